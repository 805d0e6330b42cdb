# Shared by the bench/*.sh scripts (sourced, not run): start and stop the
# mock server and nginx, run wrk, read its figures. Everything
# listens on 127.0.0.1 and is killed on exit.

PB=${PB:-build/patternbench}
TMP=$(mktemp -d /tmp/pb-bench.XXXXXX)
MOCK_PID=
NGINX_PID=

cleanup() {
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_tools() {
    if [ ! -x "$PB" ]; then
        echo "$0: $PB not found; run 'make build' first (or set PB=path/to/patternbench)" >&2
        exit 1
    fi
    command -v wrk >/dev/null 2>&1 && [ -x /usr/sbin/nginx ] || ./scripts/install-deps.sh --bench
    # wrk and the servers need a descriptor per connection
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

# start_mock ARGS...: start `patternbench mock` on a free port; sets MOCK_URL.
start_mock() {
    "$PB" mock --listen 127.0.0.1:0 "$@" >"$TMP/mock.out" 2>"$TMP/mock.err" &
    MOCK_PID=$!
    i=0
    while ! head -n 1 "$TMP/mock.out" 2>/dev/null | grep -q '^listening on '; do
        i=$((i + 1))
        if [ "$i" -gt 100 ] || ! kill -0 "$MOCK_PID" 2>/dev/null; then
            echo "$0: patternbench mock did not start:" >&2
            cat "$TMP/mock.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    MOCK_URL=$(head -n 1 "$TMP/mock.out" | sed 's/^listening on //')
}

stop_mock() {
    kill "$MOCK_PID" && wait "$MOCK_PID" 2>/dev/null || true
    MOCK_PID=
}

# run_wrk CONNECTIONS DURATION URL: wrk -t1 with latency figures into $TMP/wrk.out.
run_wrk() {
    wrk -t1 -c"$1" -d"$2" --latency "$3" >"$TMP/wrk.out" 2>&1
}

# Requests per second of the last wrk run.
wrk_rps() {
    awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.out"
}

# A latency percentile (50, 99) of the last wrk run, in milliseconds.
wrk_ms() {
    awk -v p="$1%" '$1 == p {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
        printf "%.2f", v }' "$TMP/wrk.out"
}

# Socket errors and non-2xx answers of the last wrk run ("0" when none).
wrk_errors() {
    awk '/Socket errors:/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
         /Non-2xx/ { e += $NF }
         END { print e + 0 }' "$TMP/wrk.out"
}

# ratio A B: A/B with three decimals.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'
}

# median of the arguments
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# plain_server: the server block's directives of start_nginx's default, a
# 64-byte body on $PORT.
plain_server() {
    BODY=$(head -c 63 /dev/zero | tr '\0' 'x')
    cat <<SERVER
        listen 127.0.0.1:$PORT;
        location / { default_type text/plain; return 200 "$BODY\n"; }
SERVER
}

# write_nginx_conf SERVER: $TMP/nginx.conf, 2 workers, no access log,
# keep-alive for the whole run, the function SERVER printing its server block.
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
$($1)
    }
}
CONF
}

# start_nginx [SERVER]: nginx on loopback with the server block the function
# SERVER prints (plain_server by default), on random free ports $PORT and
# $TLS_PORT = $PORT + 1 (for a server that listens on both); sets NGINX_URL.
start_nginx() {
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
        TLS_PORT=$((PORT + 1))
        write_nginx_conf "${1:-plain_server}"
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
}
