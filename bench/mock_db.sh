#!/bin/sh
# What `patternbench mock --db` costs: the mock's req/s recording every
# request into SQLite, against the same mock recording nothing (the
# reference, measured in the same run), wrk -t1 at CONNECTIONS connections on
# 127.0.0.1, alternating off and on for ROUNDS rounds; then the median ratio
# on/off, and per recorded run its rows against the requests the mock counted
# (they must be equal) and the writer's stalls (the mock's threads waiting
# for the writer).
# Usage: bench/mock_db.sh   (env: PB, DURATION=5s, ROUNDS=3, CONNECTIONS=64)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
need_tools

# the last line "requests N" of the mock's counters
mock_requests() {
    awk '$1 == "requests" { print $2 }' "$TMP/mock.out"
}

ratios=
round=1
while [ "$round" -le "$ROUNDS" ]; do
    start_mock
    run_wrk "$CONNECTIONS" "$DURATION" "$MOCK_URL/"
    off=$(wrk_rps)
    stop_mock

    db="$TMP/round$round.db"
    start_mock --db "$db"
    run_wrk "$CONNECTIONS" "$DURATION" "$MOCK_URL/"
    on=$(wrk_rps)
    stop_mock
    counted=$(mock_requests)
    rows=$(sqlite3 "$db" 'SELECT count(*) FROM requests')
    stalls=$(sqlite3 "$db" "SELECT json_extract(summary_json, '\$.writer_stalls') FROM runs")
    bytes=$(stat -c %s "$db")
    ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
    echo "round $round: no --db $off req/s, --db $on req/s, ratio $ratio;" \
        "rows $rows of $counted counted, writer stalls $stalls," \
        "$(awk -v b="$bytes" -v r="$rows" 'BEGIN { printf "%.1f", b / r }') bytes per row"
    if [ "$rows" != "$counted" ]; then
        echo "$0: round $round recorded $rows rows for $counted requests" >&2
        exit 1
    fi
    ratios="$ratios $ratio"
    round=$((round + 1))
done
echo "mock --db / mock: median $(echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -n |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }') over $ROUNDS rounds" \
    "($CONNECTIONS connections, $DURATION each)"
