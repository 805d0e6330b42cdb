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
# then prints median ratios. Targets (issue 4): run/wrk >= 0.6, logging cost <= 5 %.
# Usage: bench/harness_vs_wrk.sh   (env: PB, DURATION=10s, ROUNDS=3, CONNS=64)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
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
printf '%-5s %10s %10s %10s %10s %10s %8s\n' round wrk run no-record poll-loop uv-loop B/row
W= R= N= P= U= B=
for r in $(seq 1 "$ROUNDS"); do
    run_wrk "$CONNS" "$DURATION" "$URL"
    w=$(wrk_rps)
    rm -f "$TMP/run.db" "$TMP/run.db-wal" "$TMP/run.db-shm"
    rec=$("$PB" run --pattern queue --concurrency "$CONNS" --duration "$DURATION" --target "$URL" \
        --db "$TMP/run.db" --quiet --json | json_num rps)
    rows=$(sqlite3 "$TMP/run.db" "select count(*) from requests")
    sqlite3 "$TMP/run.db" "pragma wal_checkpoint(truncate)" >/dev/null
    bytes=$(awk -v s="$(wc -c <"$TMP/run.db")" -v n="$rows" 'BEGIN { printf "%.1f", s / n }')
    norec=$("$PB" run --pattern queue --concurrency "$CONNS" --duration "$DURATION" --target "$URL" \
        --no-record --quiet --json | json_num rps)
    "$LOOPS" "$URL" "$CONNS" "$SECS" 1 >"$TMP/loops.out"
    p=$(awk '/^round 1:/ { print $4 }' "$TMP/loops.out")
    u=$(awk '/^round 1:/ { print $7 }' "$TMP/loops.out")
    printf '%-5s %10.0f %10.0f %10.0f %10.0f %10.0f %8s\n' "$r" "$w" "$rec" "$norec" "$p" "$u" "$bytes"
    W="$W $w" R="$R $rec" N="$N $norec" P="$P $p" U="$U $u" B="$B $bytes"
done
# shellcheck disable=SC2086
w=$(median $W) rec=$(median $R) norec=$(median $N) p=$(median $P) u=$(median $U) b=$(median $B)
echo
echo "medians (req/s): wrk $w, run $rec, run --no-record $norec, poll loop $p, uv loop $u"
echo "run / wrk                          $(ratio "$rec" "$w")   (target >= 0.6)"
echo "run --no-record / wrk              $(ratio "$norec" "$w")"
echo "bare curl_multi_poll loop / wrk    $(ratio "$p" "$w")"
echo "engine's uv loop / poll loop       $(ratio "$u" "$p")   (> 1: multi_socket + libuv is faster)"
awk -v r="$rec" -v n="$norec" 'BEGIN { printf "logging cost                       %.1f %%   (1 - run / run --no-record; target <= 5 %%)\n", 100 * (1 - r / n) }'
echo "database size                      $b bytes per request (whole file / rows)"
