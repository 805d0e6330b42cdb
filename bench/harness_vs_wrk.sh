#!/bin/sh
# How close `patternbench run` comes to wrk against the same nginx, and what
# logging every request to SQLite costs. Rounds alternate the tools so that a
# change in machine load hits all of them alike; medians are compared.
#
#   wrk -t1 -c64 -dD URL
#   patternbench run --pattern queue --concurrency 64 --duration D --target URL  (every row logged)
#   the same with --no-record (a hidden bench switch: no recorder at all)
#
# Targets (issue 4): harness/wrk >= 0.6; logging cost <= 5 %.
# Environment: PB (the binary, default build/patternbench), DURATION (10s),
# ROUNDS (3), CONNS (64).
set -eu

cd "$(dirname "$0")/.."
PB=${PB:-build/patternbench}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
NGINX=${NGINX:-/usr/sbin/nginx}

for tool in wrk "$NGINX" "$PB"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "$tool" ] || {
        echo "harness_vs_wrk: $tool not found (make build; scripts/install-deps.sh --bench)" >&2
        exit 1
    }
done

TMP=$(mktemp -d /tmp/pb-harness-vs-wrk.XXXXXX)
NGINX_PID=""
cleanup() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# nginx answering a 2-byte body from memory on loopback, one worker, keep-alive
# without a request limit; a busy port gets another try.
start_nginx() {
    for try in 1 2 3 4 5; do
        PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000 ))
        cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes 1;
error_log $TMP/error.log;
pid $TMP/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$PORT;
        location / { return 200 "ok"; }
    }
}
EOF
        "$NGINX" -c "$TMP/nginx.conf" -p "$TMP" &
        NGINX_PID=$!
        # wait (bounded) until nginx answers or exits
        i=0
        while [ $i -lt 50 ]; do
            if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
                return 0
            fi
            kill -0 "$NGINX_PID" 2>/dev/null || break
            i=$((i + 1))
            sleep 0.1
        done
        kill "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
        NGINX_PID=""
    done
    echo "harness_vs_wrk: nginx did not start; see $TMP/error.log" >&2
    cat "$TMP/error.log" >&2 || true
    exit 1
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

json_num() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }

start_nginx
URL="http://127.0.0.1:$PORT/"
echo "nginx on $URL; $ROUNDS rounds of $DURATION, $CONNS connections; machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

: >"$TMP/wrk" ; : >"$TMP/rec" ; : >"$TMP/norec"; : >"$TMP/bytes"
r=1
while [ "$r" -le "$ROUNDS" ]; do
    w=$(wrk -t1 -c"$CONNS" -d"$DURATION" "$URL" | awk '/Requests\/sec/ { print $2 }')
    rm -f "$TMP/run.db" "$TMP/run.db-wal" "$TMP/run.db-shm"
    rec=$("$PB" run --pattern queue --concurrency "$CONNS" --duration "$DURATION" --target "$URL" \
        --db "$TMP/run.db" --quiet --json | json_num rps)
    rows=$(sqlite3 "$TMP/run.db" "select count(*) from requests")
    size=$(sqlite3 "$TMP/run.db" "pragma wal_checkpoint(truncate); select page_count * page_size from pragma_page_count, pragma_page_size" | tail -1)
    norec=$("$PB" run --pattern queue --concurrency "$CONNS" --duration "$DURATION" --target "$URL" \
        --no-record --quiet --json | json_num rps)
    echo "$w" >>"$TMP/wrk"; echo "$rec" >>"$TMP/rec"; echo "$norec" >>"$TMP/norec"
    awk -v s="$size" -v n="$rows" 'BEGIN { printf "%.1f\n", s / n }' >>"$TMP/bytes"
    printf 'round %d: wrk %.0f req/s, run %.0f req/s (%d rows), run --no-record %.0f req/s\n' \
        "$r" "$w" "$rec" "$rows" "$norec"
    r=$((r + 1))
done

W=$(median <"$TMP/wrk"); R=$(median <"$TMP/rec"); N=$(median <"$TMP/norec"); B=$(median <"$TMP/bytes")
awk -v w="$W" -v r="$R" -v n="$N" -v b="$B" 'BEGIN {
    printf "\nmedians: wrk %.0f, run %.0f, run --no-record %.0f req/s\n", w, r, n
    printf "run / wrk             %.2f   (target >= 0.60)\n", r / w
    printf "run --no-record / wrk %.2f\n", n / w
    printf "logging cost          %.1f %%  (1 - run / run --no-record; target <= 5 %%)\n", 100 * (1 - r / n)
    printf "database size         %.1f bytes per request (file size / rows, whole file)\n", b
}'
echo "(provisional: measured on a shared machine)"
