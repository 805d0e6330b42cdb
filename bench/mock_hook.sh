#!/bin/sh
# The cost of the mock's request hook (pb_mock_start_hooked): the mock with no
# hook (the reference) against the mock with a hook that counts its calls with
# an atomic increment, the same binary (bench_mock_hook), 2 server threads and
# a 64-byte body on 127.0.0.1, wrk -t1 at 64 and 256 connections, alternating
# off and on for ROUNDS rounds. Per run: requests per second, and the
# server's CPU time per request (steadier than req/s on a shared machine);
# then the median ratios on/off of each. Each hooked run must have as many
# calls as requests counted. Last, the hook's own work timed alone (no server,
# no network) as a share of the CPU time a request costs with no hook, for
# when the machine's noise is larger than the difference.
# Usage: bench/mock_hook.sh   (env: BENCH, DURATION=5s, ROUNDS=3)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
BENCH=${BENCH:-build/bench/bench_mock_hook}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
need_tools
if [ ! -x "$BENCH" ]; then
    echo "$0: $BENCH not found; run 'make build' first (or set BENCH=path/to/bench_mock_hook)" >&2
    exit 1
fi

# start_hooked off|on: start bench_mock_hook; sets MOCK_PID and MOCK_URL.
start_hooked() {
    # the last run's "listening on" must not be taken for this one's
    rm -f "$TMP/mock.out"
    "$BENCH" "$1" >"$TMP/mock.out" 2>"$TMP/mock.err" &
    MOCK_PID=$!
    i=0
    while ! head -n 1 "$TMP/mock.out" 2>/dev/null | grep -q '^listening on '; do
        i=$((i + 1))
        if [ "$i" -gt 100 ] || ! kill -0 "$MOCK_PID" 2>/dev/null; then
            echo "$0: $BENCH $1 did not start:" >&2
            cat "$TMP/mock.err" >&2
            exit 1
        fi
        sleep 0.05
    done
    MOCK_URL=$(head -n 1 "$TMP/mock.out" | sed 's/^listening on //')
}

# stop_hooked off|on: stop it (bench_mock_hook fails when on and its calls
# differ from its requests); keeps the hooked runs' counts in $TMP/hooked.
stop_hooked() {
    kill "$MOCK_PID"
    rc=0
    wait "$MOCK_PID" || rc=$?
    MOCK_PID=
    if [ "$rc" -ne 0 ]; then
        echo "$0: $BENCH $1 exited with $rc: $(tail -n 1 "$TMP/mock.out")" >&2
        cat "$TMP/mock.err" >&2
        exit 1
    fi
    [ "$1" = off ] || tail -n 1 "$TMP/mock.out" >>"$TMP/hooked"
}

# measure off|on CONNECTIONS: one wrk run against a fresh server; sets RPS and
# US (the server's CPU microseconds per request).
measure() {
    start_hooked "$1"
    run_wrk "$2" "$DURATION" "$MOCK_URL/"
    stop_hooked "$1"
    RPS=$(wrk_rps)
    US=$(awk '$1 == "requests" && $2 > 0 { printf "%.2f", $6 / $2 }' "$TMP/mock.out")
}

echo "bench_mock_hook off (reference) vs on (an atomic increment per request)," \
    "wrk -t1 -d$DURATION, $ROUNDS rounds"
echo "(figures are provisional on a shared machine)"
printf '%-6s %-5s %10s %10s %7s %9s %9s %7s\n' conns round off_rps on_rps ratio \
    off_us/req on_us/req ratio
all_off_us=
for c in 64 256; do
    rps_ratios=
    cpu_ratios=
    for r in $(seq 1 "$ROUNDS"); do
        # alternate which goes first, so that a drift in the machine's load
        # does not favour one side
        if [ $((r % 2)) -eq 1 ]; then
            measure off "$c"
            off=$RPS off_us=$US
            measure on "$c"
            on=$RPS on_us=$US
        else
            measure on "$c"
            on=$RPS on_us=$US
            measure off "$c"
            off=$RPS off_us=$US
        fi
        q=$(ratio "$on" "$off")
        u=$(ratio "$on_us" "$off_us")
        rps_ratios="$rps_ratios $q"
        cpu_ratios="$cpu_ratios $u"
        all_off_us="$all_off_us $off_us"
        printf '%-6s %-5s %10s %10s %7s %9s %9s %7s\n' "$c" "$r" "$off" "$on" "$q" "$off_us" \
            "$on_us" "$u"
    done
    # shellcheck disable=SC2086
    echo "c=$c median ratios on/off: req/s $(median $rps_ratios)," \
        "CPU per request $(median $cpu_ratios)"
done
# shellcheck disable=SC2086
off_us=$(median $all_off_us)
alone=$("$BENCH" alone | awk '{ print $2 }')
echo "the hook's own work alone: $alone ns a request, $(awk -v a="$alone" -v u="$off_us" \
    'BEGIN { printf "%.2f", a / (u * 1000) * 100 }') % of the $off_us us of CPU a request" \
    "costs without it (median)"
echo "hooked runs, one call per request counted in each:"
sed 's/^/  /' "$TMP/hooked"
