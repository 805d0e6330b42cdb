#!/bin/sh
# How fast `patternbench export` streams a run's request rows, against a
# reference measured in the same go: the sqlite3 program reading the same
# columns of the same rows into /dev/null (a plain SELECT with SQLite's own
# text output, no unpacking of `code`).
#
# Usage: bench/export_speed.sh [DB [RUN_ID]] [path/to/patternbench]
#   Without DB, a 30 s run at concurrency 64 against the built-in mock is made
#   first (over a million rows on the development machine). RUN_ID defaults to
#   the last run. Each figure is the best of ROUNDS (default 3) rounds.
set -eu

DB=${1:-}
RUN=${2:-}
PB=${3:-build/patternbench}
ROUNDS=${ROUNDS:-3}
[ -x "$PB" ] || { echo "export_speed: $PB is not built (make build)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "export_speed: needs the sqlite3 program" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pb-export-speed-XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
if [ -z "$DB" ]; then
    DB=$TMP/pb.db
    echo "export_speed: recording a 30 s run at concurrency 64 into $DB ..." >&2
    "$PB" run --duration 30s --concurrency 64 --db "$DB" --quiet
fi
[ -n "$RUN" ] || RUN=$(sqlite3 "$DB" "SELECT MAX(id) FROM runs")
ROWS=$(sqlite3 "$DB" "SELECT COUNT(*) FROM requests WHERE run_id = $RUN")

# cpu CMD...: run CMD with stdout to /dev/null; prints "wall cpu" in seconds
# (cpu = user + system: on a shared machine wall time follows the load, CPU
# time much less)
cpu() {
    /usr/bin/time -f "%e %U %S" -o "$TMP/time" "$@" > /dev/null 2>"$TMP/err" || {
        cat "$TMP/err" >&2; exit 1; }
    awk '{ printf "%s %.3f", $1, $2 + $3 }' "$TMP/time"
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

# the columns export writes: seq too, from schema version 3 on
SEQ=$(sqlite3 "$DB" "SELECT iif(count(*) > 0, ', seq', '') FROM pragma_table_info('requests') \
    WHERE name = 'seq'")
ref_w= ref_c= csv_w= csv_c= jsonl_w= jsonl_c=
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    set -- $(cpu sqlite3 -csv "$DB" "SELECT run_id, t_us, wait_us, connect_us, ttfb_us, total_us, \
        code, bytes, slot, lim, queue$SEQ FROM requests WHERE run_id = $RUN")
    ref_w=$(best "$1" "$ref_w"); ref_c=$(best "$2" "$ref_c")
    set -- $(cpu "$PB" export "$DB" --run "$RUN" --format csv)
    csv_w=$(best "$1" "$csv_w"); csv_c=$(best "$2" "$csv_c")
    set -- $(cpu "$PB" export "$DB" --run "$RUN" --format jsonl)
    jsonl_w=$(best "$1" "$jsonl_w"); jsonl_c=$(best "$2" "$jsonl_c")
    i=$((i + 1))
done
awk -v rows="$ROWS" -v rw="$ref_w" -v rc="$ref_c" -v cw="$csv_w" -v cc="$csv_c" \
    -v jw="$jsonl_w" -v jc="$jsonl_c" 'BEGIN {
    printf "rows %d (best of rounds; M rows/s by wall time and by CPU time)\n", rows
    printf "sqlite3 -csv (ref)     wall %.2f s %.2f M/s   cpu %.2f s %.2f M/s\n", rw, rows/rw/1e6, rc, rows/rc/1e6
    printf "export --format csv    wall %.2f s %.2f M/s   cpu %.2f s %.2f M/s   ratio to ref: wall %.2f cpu %.2f\n", cw, rows/cw/1e6, cc, rows/cc/1e6, rw/cw, rc/cc
    printf "export --format jsonl  wall %.2f s %.2f M/s   cpu %.2f s %.2f M/s   ratio to ref: wall %.2f cpu %.2f\n", jw, rows/jw/1e6, jc, rows/jc/1e6, rw/jw, rc/jc
}'
