#!/bin/sh
# Does a long run keep its memory flat and its books exact? Runs `patternbench
# run --pattern queue --concurrency 64` against the built-in mock with 5 % 503s
# and 1 % resets, every row logged, for MINUTES minutes (default 6), samples the
# process's RSS once a minute, and prints
#   RSS at the end / RSS after the first minute   (1.00 = flat)
#   requests the server counted / (attempts + libcurl re-sends)   (must be 1)
#   bytes per request in the database file
# Usage: bench/soak_memory.sh   (env: PB, MINUTES=6, THREADS = --client-threads, default: the run's own)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
MINUTES=${MINUTES:-6}
if [ ! -x "$PB" ]; then
    echo "$0: $PB not found; run 'make build' first (or set PB=path/to/patternbench)" >&2
    exit 1
fi
command -v sqlite3 >/dev/null || { echo "$0: needs the sqlite3 program" >&2; exit 1; }

# One figure of the run's summary, as stored in runs.summary_json.
summary() { sqlite3 "$TMP/soak.db" "select json_extract(summary_json, '\$.$1') from runs"; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

echo "$MINUTES min against the built-in mock (5 % 503s, 1 % resets), 64 connections; $(nproc) CPUs"
"$PB" run --pattern queue --concurrency 64 ${THREADS:+--client-threads "$THREADS"} \
    --duration "${MINUTES}m" --errors 503:0.05 --faults reset:0.01 \
    --db "$TMP/soak.db" --quiet --json >"$TMP/run.json" &
RUN=$!
first=
m=0
while [ "$m" -lt "$MINUTES" ]; do
    sleep 58
    m=$((m + 1))
    r=$(rss "$RUN")
    [ -n "$first" ] || first=$r
    echo "minute $m: RSS $r kB"
    last=$r
done
wait "$RUN"
sqlite3 "$TMP/soak.db" "pragma wal_checkpoint(truncate)" >/dev/null
requests=$(summary requests)
resent=$(summary resent)
server=$(summary server.requests)
bytes=$(wc -c <"$TMP/soak.db")
echo
echo "requests $requests at $(summary rps) req/s, re-sent $resent, server counted $server, client threads $(summary client_threads)"
echo "RSS end / RSS after 1 minute          $(ratio "$last" "$first")   (1.00 = flat)"
echo "server count / (attempts + re-sends)  $(ratio "$server" "$((requests + resent))")   (must be 1.000)"
echo "database size                         $(awk -v s="$bytes" -v n="$requests" 'BEGIN { printf "%.1f", s / n }') bytes per request"
