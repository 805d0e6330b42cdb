#!/bin/sh
# Throughput of `patternbench mock` (no faults) against nginx serving the same
# 64-byte body, both with 2 workers on 127.0.0.1: wrk -t1 at 64 and 256
# connections, alternating server by server for ROUNDS rounds, then the
# median ratio mock/nginx (target >= 0.9). Finally 1,000 connections on the
# mock, to show it does not stall.
# Usage: bench/mock_vs_nginx.sh   (env: PB, DURATION=5s, ROUNDS=3)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
need_tools

start_nginx

start_mock --threads 2 --body-size 64
echo "mock $MOCK_URL vs nginx $NGINX_URL, wrk -t1 -d$DURATION, $ROUNDS rounds"
echo "(figures are provisional on a shared machine)"
printf '%-6s %-5s %12s %12s %8s\n' conns round mock_rps nginx_rps ratio
for c in 64 256; do
    ratios=
    for r in $(seq 1 "$ROUNDS"); do
        run_wrk "$c" "$DURATION" "$MOCK_URL/"
        m=$(wrk_rps)
        run_wrk "$c" "$DURATION" "$NGINX_URL"
        n=$(wrk_rps)
        q=$(ratio "$m" "$n")
        ratios="$ratios $q"
        printf '%-6s %-5s %12s %12s %8s\n' "$c" "$r" "$m" "$n" "$q"
    done
    # shellcheck disable=SC2086
    echo "c=$c median ratio mock/nginx: $(median $ratios) (target >= 0.9)"
done

run_wrk 1000 "$DURATION" "$MOCK_URL/"
echo "mock at 1000 connections: $(wrk_rps) req/s, $(wrk_errors) socket errors or non-2xx," \
    "p99 $(wrk_ms 99) ms"
