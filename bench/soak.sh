#!/bin/sh
# A soak rehearsal: scenarios/soak-72h.json's schedule run SCALE times faster
# (compare --time-scale: run length and every phase offset divided; latencies,
# timeouts and the patterns' windows stay real), one pattern entry, watched
# through --metrics. Prints, each against a reference measured in the same run:
#   RSS at the end / RSS after 5 minutes (flat memory = 1.00)
#   database bytes per hour of rehearsal, and the 72 h projection at the
#     scenario's real rate (bytes per request row × rows the real run makes)
#   the requests counter scraped from /metrics after the run / the rows stored
#   the report's time / the rehearsal's length, and the drift verdicts the
#     report printed (runs of 10 minutes or more get a drift section)
# With KILL_AT=N the compare is killed with SIGKILL N s in and the run goes on
# with `run --resume` (same --metrics port): the RSS ratio is then the resumed
# process's, and the report shows the gap.
# Usage: bench/soak.sh   (env: PB, SCALE=72, PATTERN=breaker-rate-retry,
#                         DIR=a fresh temp folder, PORT=19464, EARLY=300 (s, the
#                         early RSS mark), KILL_AT=0 (no kill))
set -eu
cd "$(dirname "$0")/.."
PB=${PB:-build/patternbench}
SCALE=${SCALE:-72}
PATTERN=${PATTERN:-breaker-rate-retry}
DIR=${DIR:-$(mktemp -d /tmp/pb-soak.XXXXXX)}
mkdir -p "$DIR"
PORT=${PORT:-19464}
EARLY=${EARLY:-300}
KILL_AT=${KILL_AT:-0}
DB=$DIR/soak.db
[ -x "$PB" ] || { echo "$0: $PB not found; run 'make build' first (or set PB)" >&2; exit 1; }
command -v curl >/dev/null || { echo "$0: curl is needed to scrape /metrics" >&2; exit 1; }

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "rehearsal of scenarios/soak-72h.json, time scale $SCALE, entry $PATTERN, in $DIR"
start=$(date +%s)
"$PB" compare scenarios/soak-72h.json --time-scale "$SCALE" --patterns "$PATTERN" --db "$DB" \
    --quiet --metrics "127.0.0.1:$PORT" --metrics-linger 30s >"$DIR/compare.out" 2>"$DIR/compare.err" &
pid=$!
# with KILL_AT: SIGKILL at that second, then the run goes on in a new process
if [ "$KILL_AT" -gt 0 ]; then
    i=0
    while [ $i -lt "$KILL_AT" ] && kill -0 $pid 2>/dev/null; do
        sleep 1
        i=$((i + 1))
    done
    kill -9 $pid 2>/dev/null && echo "killed with SIGKILL at $i s"
    wait $pid 2>/dev/null || true
    rows_at_kill=$(sqlite3 "$DB" "SELECT count(*) FROM requests")
    echo "rows stored at the kill: $rows_at_kill; resuming"
    "$PB" run --resume "$DB" --quiet --metrics "127.0.0.1:$PORT" --metrics-linger 30s \
        >"$DIR/resume.out" 2>"$DIR/resume.err" &
    pid=$!
fi
# RSS after EARLY seconds (or at the end, for a rehearsal shorter than that)
rss5=0
i=0
while [ $i -lt "$EARLY" ] && kill -0 $pid 2>/dev/null; do
    sleep 1
    i=$((i + 1))
done
kill -0 $pid 2>/dev/null && rss5=$(rss_kb $pid)
rss_end=0
scraped=""
# the last minute of the run: sample RSS, and once the runs end scrape the final page
while kill -0 $pid 2>/dev/null; do
    r=$(rss_kb $pid)
    [ "$r" -gt 0 ] && rss_end=$r
    page=$(curl -fs "http://127.0.0.1:$PORT/metrics" 2>/dev/null || true)
    if echo "$page" | grep -q '^patternbench_run_finished{.*} 1$'; then
        scraped=$(echo "$page" | awk '/^patternbench_requests_total\{/ {s += $NF} END {print s + 0}')
    fi
    sleep 1
done
wait $pid || echo "the run exited $? (see $DIR/compare.err, $DIR/resume.err)"
end=$(date +%s)
secs=$((end - start))
rows=$(sqlite3 "$DB" "SELECT count(*) FROM requests")
bytes=$(($(stat -c %s "$DB") + $(stat -c %s "$DB-wal" 2>/dev/null || echo 0)))
t0=$(date +%s.%N)
"$PB" report "$DB" -o "$DIR/report" >/dev/null 2>"$DIR/report.err" || echo "report failed: $(cat "$DIR/report.err")"
t1=$(date +%s.%N)

echo "rehearsal: $secs s wall, $rows request rows, database $bytes bytes"
[ "$rss5" -gt 0 ] && echo "RSS end / after $EARLY s          $(echo "$rss_end $rss5" | awk '{printf "%.3f (%d kB / %d kB)", $1 / $2, $1, $2}')"
echo "database bytes per hour         $(echo "$bytes $secs" | awk '{printf "%.0f", $1 * 3600 / $2}') (rehearsal time)"
echo "bytes per request row           $(echo "$bytes $rows" | awk '{printf "%.1f", $1 / $2}')"
echo "72 h projection                 $(echo "$bytes $rows" | awk '{rows72 = (100 * 36 + 200 * 36) * 3600; printf "%.1f GB (%.0f M rows at the scenario'"'"'s 100/200 req/s)", $1 / $2 * rows72 / 1e9, rows72 / 1e6}')"
[ -n "$scraped" ] && echo "scraped requests / rows          $(echo "$scraped $rows" | awk '{printf "%.4f (%d / %d)", $1 / $2, $1, $2}')"
echo "report time / rehearsal         $(echo "$t0 $t1 $secs" | awk '{printf "%.4f (%.1f s)", ($2 - $1) / $3, $2 - $1}')"
if [ -f "$DIR/report/summary.json" ]; then
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for r in d.get("runs", []):
    for name, v in ((r.get("health") or {}).get("drift") or {}).items():
        if isinstance(v, dict) and "verdict" in v:
            print("drift %-10s %-13s %+.2f %%/h (first 10 %% %.4g, last 10 %% %.4g)" % (
                name, v["verdict"], v.get("pct_per_h") or 0.0, v.get("first_10pct") or 0.0,
                v.get("last_10pct") or 0.0))
' "$DIR/report/summary.json" || true
fi
