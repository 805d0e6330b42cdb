#!/bin/sh
# Throughput of `patternbench mock` (no faults) against nginx serving the same
# 64-byte body, both with 2 workers on 127.0.0.1: wrk -t1 at 64 and 256
# connections, alternating server by server for ROUNDS rounds, then the
# median ratio mock/nginx (target >= 0.9). Finally 1,000 connections on the
# mock, to show it does not stall.
# Usage: bench/mock_vs_nginx.sh   (env: PB, DURATION=5s, ROUNDS=3)
set -eu
cd "$(dirname "$0")/.."
. bench/mock_common.sh
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
need_tools

# nginx: minimal, loopback, no access log, keep-alive for the whole run; a
# random port, another one if it is taken
BODY=$(head -c 63 /dev/zero | tr '\0' 'x')
write_nginx_conf() {
    cat >"$TMP/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    client_body_temp_path $TMP;
    proxy_temp_path $TMP;
    fastcgi_temp_path $TMP;
    uwsgi_temp_path $TMP;
    scgi_temp_path $TMP;
    server {
        listen 127.0.0.1:$1;
        location / { default_type text/plain; return 200 "$BODY\n"; }
    }
}
CONF
}
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
    write_nginx_conf "$PORT"
    rm -f "$TMP/nginx.pid"
    /usr/sbin/nginx -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/nginx.err" &
    NGINX_PID=$!
    # nginx writes its pid file once it listens; it exits if the port is taken
    i=0
    while [ ! -s "$TMP/nginx.pid" ] && kill -0 "$NGINX_PID" 2>/dev/null && [ "$i" -lt 100 ]; do
        i=$((i + 1))
        sleep 0.05
    done
    [ -s "$TMP/nginx.pid" ] && break
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
done
if [ -z "$NGINX_PID" ]; then
    echo "$0: nginx did not start:" >&2
    cat "$TMP/nginx.err" >&2
    exit 1
fi
NGINX_URL=http://127.0.0.1:$PORT/

start_mock --threads 2 --body-size 64
echo "mock $MOCK_URL vs nginx $NGINX_URL, wrk -t1 -d$DURATION, $ROUNDS rounds"
echo "(figures are provisional on a shared machine)"
printf '%-6s %-5s %12s %12s %8s\n' conns round mock_rps nginx_rps ratio
for c in 64 256; do
    ratios=
    for r in $(seq 1 "$ROUNDS"); do
        run_wrk "$c" "$DURATION" "$MOCK_URL/"
        m=$(wrk_rps)
        run_wrk "$c" "$DURATION" "$NGINX_URL"
        n=$(wrk_rps)
        q=$(ratio "$m" "$n")
        ratios="$ratios $q"
        printf '%-6s %-5s %12s %12s %8s\n' "$c" "$r" "$m" "$n" "$q"
    done
    # shellcheck disable=SC2086
    echo "c=$c median ratio mock/nginx: $(median $ratios) (target >= 0.9)"
done

run_wrk 1000 "$DURATION" "$MOCK_URL/"
echo "mock at 1000 connections: $(wrk_rps) req/s, $(wrk_errors) socket errors or non-2xx," \
    "p99 $(wrk_ms 99) ms"
