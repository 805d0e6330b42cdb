#!/bin/sh
# How long `patternbench report` takes on big runs, against references measured
# in the same go: the report of a real 10 s run, and the report of a 72-hour run
# before its request rows were added (report time must not grow with the number
# of requests).
#
# 1. A real run of REAL_REQUESTS (default 5,000,000) requests: `patternbench
#    run --pattern queue --concurrency 64` against the built-in mock, in its
#    own database (a few minutes at ~25k req/s; REAL_REQUESTS=0 skips it).
# 2. The 10 s run's database gets a synthetic 72-hour run added with SQL:
#    259,200 `seconds` rows (copies of the real run's seconds, histograms
#    included), reported, then given 5,000,000 `requests` rows.
# Usage: [REAL_REQUESTS=N] bench/report_scale.sh [path/to/patternbench]   (default build/patternbench)
set -eu

PB=${1:-build/patternbench}
[ -x "$PB" ] || { echo "report_scale: $PB is not built (make build)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "report_scale: needs the sqlite3 program" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-report-scale-XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
DB=$TMP/pb.db
REAL_DB=$TMP/real.db
REAL_REQUESTS=${REAL_REQUESTS:-5000000}
HOURS=72
SECONDS_ROWS=$((HOURS * 3600))
REQUESTS=5000000

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# best of five, in seconds (the machine may be shared)
# best_report RUN_ID [DATABASE]
best_report() {
    best=""
    for i in 1 2 3 4 5; do
        t0=$(now)
        "$PB" report "${2:-$DB}" --run "$1" -o "$TMP/report-$1" >/dev/null 2>"$TMP/report.err" ||
            { cat "$TMP/report.err" >&2; exit 1; }
        t=$(elapsed "$t0" "$(now)")
        if [ -z "$best" ] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
    done
    echo "$best"
}

echo "report_scale: a real 10 s run for the schema and the small reference..." >&2
"$PB" run --pattern queue --duration 10s --db "$DB" >/dev/null
if [ "$REAL_REQUESTS" -gt 0 ]; then
    echo "report_scale: a real run of $REAL_REQUESTS requests (a few minutes)..." >&2
    "$PB" run --pattern queue --concurrency 64 --requests "$REAL_REQUESTS" --db "$REAL_DB" \
        --quiet >/dev/null
fi

BASE=$(sqlite3 "$DB" "SELECT MAX(id) FROM runs")
LONG=$((BASE + 1))
echo "report_scale: adding a ${HOURS} h run ($SECONDS_ROWS seconds rows)..." >&2
sqlite3 "$DB" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
INSERT INTO runs(id, compare_id, label, pattern, params_json, config_json, seed, target, started_at,
                 ended_at, duration_us, status, versions_json, host, summary_json)
SELECT $LONG, NULL, 'synthetic ${HOURS} h', pattern, params_json, config_json, seed, target, started_at,
       started_at + $SECONDS_ROWS * 1000000, $SECONDS_ROWS * 1000000, 'completed',
       versions_json, host, summary_json FROM runs WHERE id = $BASE;
WITH RECURSIVE s(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM s WHERE x < $SECONDS_ROWS - 1)
INSERT INTO seconds(run_id, sec, count, ok, http_error, timeout, connect_error, reset,
                    protocol_error, rejected, dropped, other, retries, bytes, p50_us, p90_us,
                    p99_us, max_us, hist, in_flight, lim, queue, breaker, phase)
SELECT $LONG, x, count, ok, http_error, timeout, connect_error, reset, protocol_error, rejected,
       dropped, other, retries, bytes, p50_us, p90_us, p99_us, max_us, hist, in_flight, lim,
       queue, breaker, phase
FROM s JOIN seconds AS src ON src.run_id = $BASE AND src.sec = 1 + x % 8;
COMMIT;
SQL
long_empty=$(best_report "$LONG")

echo "report_scale: adding $REQUESTS request rows to it..." >&2
sqlite3 "$DB" >/dev/null <<SQL
BEGIN;
WITH RECURSIVE r(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM r WHERE x < $REQUESTS - 1)
INSERT INTO requests(run_id, t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes, slot,
                     lim, queue)
SELECT $LONG, x * 51840, 0, 0, 15000 + x % 977, 20000 + x % 1999, 0, 230, x % 10, 10, 0 FROM r;
COMMIT;
SQL
rows=$(sqlite3 "$DB" "SELECT COUNT(*) FROM requests")
secs=$(sqlite3 "$DB" "SELECT COUNT(*) FROM seconds WHERE run_id = $LONG")
size=$(du -m "$DB" | cut -f1)

small=$(best_report "$BASE")
big=$(best_report "$LONG")
if [ "$REAL_REQUESTS" -gt 0 ]; then
    real=$(best_report 1 "$REAL_DB")
    real_rows=$(sqlite3 "$REAL_DB" "SELECT COUNT(*) FROM requests")
    real_secs=$(sqlite3 "$REAL_DB" "SELECT COUNT(*) FROM seconds")
fi

printf 'database: %s MB, %s request rows, %s seconds rows in the long run\n' "$size" "$rows" "$secs"
printf 'report of the 10 s run (reference):     %.3f s\n' "$small"
printf 'report of the %s h run, %s requests: %.3f s  = %s x the 10 s run\n' "$HOURS" "$rows" \
    "$big" "$(ratio "$big" "$small")"
printf 'same run before its request rows:      %.3f s  (with them: %s x)\n' "$long_empty" \
    "$(ratio "$big" "$long_empty")"
if [ "$REAL_REQUESTS" -gt 0 ]; then
    printf 'real run, %s requests over %s s:   %.3f s  = %s x the 10 s run\n' "$real_rows" \
        "$real_secs" "$real" "$(ratio "$real" "$small")"
fi
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
