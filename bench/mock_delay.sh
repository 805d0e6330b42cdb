#!/bin/sh
# How closely the mock keeps an injected delay under load: --latency fixed:10ms
# at 64 connections and fixed:50ms at 1,000, wrk -t1. Throughput is printed as
# a fraction of Little's law (connections / delay): targets >= 0.93 with
# p99 <= 12.5 ms at 64, >= 0.9 at 1,000.
# Usage: bench/mock_delay.sh   (env: PB, DURATION=5s)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
DURATION=${DURATION:-5s}
need_tools

echo "wrk -t1 -d$DURATION against patternbench mock (figures are provisional on a shared machine)"
printf '%-12s %6s %10s %10s %9s %8s %8s %7s\n' latency conns rps little fraction p50_ms p99_ms errors
for spec in "10ms 64" "50ms 1000"; do
    set -- $spec
    delay=$1
    conns=$2
    start_mock --threads 2 --latency "fixed:$delay"
    run_wrk "$conns" "$DURATION" "$MOCK_URL/"
    stop_mock
    ms=${delay%ms}
    little=$(awk -v c="$conns" -v d="$ms" 'BEGIN { printf "%.0f", c / (d / 1000) }')
    rps=$(wrk_rps)
    printf '%-12s %6s %10s %10s %9s %8s %8s %7s\n' "fixed:$delay" "$conns" "$rps" "$little" \
        "$(ratio "$rps" "$little")" "$(wrk_ms 50)" "$(wrk_ms 99)" "$(wrk_errors)"
done
echo "targets: fixed:10ms/64 fraction >= 0.93 and p99 <= 12.5 ms; fixed:50ms/1000 fraction >= 0.9"
