#!/bin/sh
# How close `patternbench run` comes to wrk against the same nginx (the set-up
# of bench/mock_vs_nginx.sh: 2 workers, 64-byte body, loopback), and what
# logging every request to SQLite costs. Each round runs, back to back:
#
#   wrk -t1 -c64 -dD URL
#   patternbench run --pattern queue --concurrency 64 --duration D --target URL   (every row logged)
#   the same run with --no-record (a hidden bench switch: no recorder at all)
#   bench_curl_loops: a bare curl_multi_poll loop and the engine's own client loop
#
# then prints, for each round, run/wrk and the logging cost, and their
# medians over the rounds. Ratios are taken within a round because this
# shared machine's speed drifts by 20 % and more between rounds: two figures
# measured a few seconds apart drift together. `run` uses its default client
# threads (one per CPU, at most one per 16 connections), printed as `thr`.
# Targets (issue 4): run/wrk >= 0.6, logging cost <= 5 %.
# Usage: bench/harness_vs_wrk.sh   (env: PB, DURATION=10s, ROUNDS=5, CONNS=64)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
CONNS=${CONNS:-64}
LOOPS=${LOOPS:-$(dirname "$PB")/bench/bench_curl_loops}
need_tools
if [ ! -x "$LOOPS" ]; then
    echo "$0: $LOOPS not found; run 'make build' first (or set LOOPS=path/to/bench_curl_loops)" >&2
    exit 1
fi

start_nginx
URL=$NGINX_URL
SECS=${DURATION%s}

json_num() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }

echo "nginx $URL; $ROUNDS rounds of $DURATION at $CONNS connections; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(figures are provisional on a shared machine)"
printf '%-5s %8s %8s %4s %9s %9s %9s %8s %8s %7s\n' round wrk run thr no-record poll-loop uv-loop run/wrk logging B/row
RW='' LC='' PW='' UP='' B=''
for r in $(seq 1 "$ROUNDS"); do
    run_wrk "$CONNS" "$DURATION" "$URL"
    w=$(wrk_rps)
    rm -f "$TMP/run.db" "$TMP/run.db-wal" "$TMP/run.db-shm"
    "$PB" run --pattern queue --concurrency "$CONNS" --duration "$DURATION" --target "$URL" \
        --db "$TMP/run.db" --quiet --json >"$TMP/run.json"
    rec=$(json_num rps <"$TMP/run.json")
    thr=$(json_num client_threads <"$TMP/run.json")
    rows=$(sqlite3 "$TMP/run.db" "select count(*) from requests")
    sqlite3 "$TMP/run.db" "pragma wal_checkpoint(truncate)" >/dev/null
    bytes=$(awk -v s="$(wc -c <"$TMP/run.db")" -v n="$rows" 'BEGIN { printf "%.1f", s / n }')
    norec=$("$PB" run --pattern queue --concurrency "$CONNS" --duration "$DURATION" --target "$URL" \
        --no-record --quiet --json | json_num rps)
    "$LOOPS" "$URL" "$CONNS" "$SECS" 1 >"$TMP/loops.out"
    p=$(awk '/^round 1:/ { print $4 }' "$TMP/loops.out")
    u=$(awk '/^round 1:/ { print $7 }' "$TMP/loops.out")
    rw=$(ratio "$rec" "$w")
    lc=$(awk -v r="$rec" -v n="$norec" 'BEGIN { printf "%.1f", 100 * (1 - r / n) }')
    printf '%-5s %8.0f %8.0f %4s %9.0f %9.0f %9.0f %8s %7s%% %7s\n' "$r" "$w" "$rec" "$thr" "$norec" \
        "$p" "$u" "$rw" "$lc" "$bytes"
    RW="$RW $rw" LC="$LC $lc" PW="$PW $(ratio "$p" "$w")" UP="$UP $(ratio "$u" "$p")" B="$B $bytes"
done
# the lists are split on purpose
# shellcheck disable=SC2086
{
echo
echo "medians over $ROUNDS rounds of the per-round figures:"
echo "run / wrk                          $(median $RW)   (target >= 0.6)"
echo "bare curl_multi_poll loop / wrk    $(median $PW)   (one thread: the issue's 0.46-0.50 reference)"
echo "engine's one-thread uv loop / poll $(median $UP)   (> 1: multi_socket + libuv is faster)"
echo "logging cost                       $(median $LC) %   (1 - run / run --no-record; target <= 5 %)"
echo "database size                      $(median $B) bytes per request (whole file / rows)"
}
