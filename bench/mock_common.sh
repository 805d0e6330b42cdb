# Shared by bench/mock_vs_nginx.sh and bench/mock_delay.sh (sourced, not run):
# start and stop the mock server, run wrk, read its figures. Everything
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
