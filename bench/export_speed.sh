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

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }

ref= csv= jsonl=
i=0
while [ "$i" -lt "$ROUNDS" ]; do
    t0=$(now)
    sqlite3 -csv "$DB" "SELECT run_id, t_us, wait_us, connect_us, ttfb_us, total_us, code, bytes, \
        slot, lim, queue FROM requests WHERE run_id = $RUN" > /dev/null
    ref=$(best "$(elapsed "$t0" "$(now)")" "$ref")
    t0=$(now)
    "$PB" export "$DB" --run "$RUN" --format csv 2>/dev/null > /dev/null
    csv=$(best "$(elapsed "$t0" "$(now)")" "$csv")
    t0=$(now)
    "$PB" export "$DB" --run "$RUN" --format jsonl 2>/dev/null > /dev/null
    jsonl=$(best "$(elapsed "$t0" "$(now)")" "$jsonl")
    i=$((i + 1))
done
awk -v rows="$ROWS" -v ref="$ref" -v csv="$csv" -v jsonl="$jsonl" 'BEGIN {
    printf "rows                   %d\n", rows
    printf "sqlite3 -csv (ref)     %.3f s  %.2f M rows/s\n", ref, rows / ref / 1e6
    printf "export --format csv    %.3f s  %.2f M rows/s  ratio to ref %.2f\n", csv, rows / csv / 1e6, ref / csv
    printf "export --format jsonl  %.3f s  %.2f M rows/s  ratio to ref %.2f\n", jsonl, rows / jsonl / 1e6, ref / jsonl
}'
