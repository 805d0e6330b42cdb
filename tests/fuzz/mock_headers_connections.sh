#!/bin/sh
# fuzz_mock_headers must be able to run for hours: a connection per input
# used up the loopback's ports after ~32,000 inputs. Run BIN over 5,000
# mutated inputs and require at most one connection per 100 of them.
# Usage: mock_headers_connections.sh BIN SEED_CORPUS DICT WORK_DIR
set -eu
bin=$1 seeds=$2 dict=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
log="$work.log"
"$bin" -runs=5000 -seed=1 -dict="$dict" "$work" "$seeds" >"$log" 2>&1 || {
    tail -n 20 "$log"
    exit 1
}
line=$(grep 'inputs over' "$log") || {
    echo "no 'N inputs over M connections' line from $bin" >&2
    exit 1
}
echo "$line"
set -- $line
inputs=$2 connections=$5
if [ $((connections * 100)) -gt "$inputs" ]; then
    echo "more than one connection per 100 inputs" >&2
    exit 1
fi
