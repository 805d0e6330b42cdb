#!/bin/sh
# Run fuzz targets built in BUILD (default build-fuzz) for SECONDS each
# (default 60), each with its seed corpus and dictionary. New inputs go to
# BUILD/fuzz/corpus/NAME, crashes to BUILD/fuzz/artifacts/; the seed corpora
# in the tree are only read. Usage: run.sh [BUILD [SECONDS [NAME...]]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build-fuzz}
seconds=${2:-60}
[ $# -gt 2 ] && shift 2 || set --
names=${*:-$(ls "$here/corpus")}

failed=""
for name in $names; do
    bin="$build/tests/fuzz/fuzz_$name"
    if [ ! -x "$bin" ]; then
        echo "run.sh: no target $bin; build it with make fuzz" >&2
        exit 2
    fi
    work="$build/fuzz/corpus/$name"
    artifacts="$build/fuzz/artifacts"
    mkdir -p "$work" "$artifacts"
    # a target's own bounds per input (flags/NAME: libFuzzer flags, one line)
    flags=$(cat "$here/flags/$name" 2>/dev/null || true)
    echo "== fuzz_$name for ${seconds}s"
    # shellcheck disable=SC2086 # flags holds several words
    if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$bin" -max_total_time="$seconds" -print_final_stats=1 $flags \
        -dict="$here/dict/$name.dict" -artifact_prefix="$artifacts/$name-" \
        "$work" "$here/corpus/$name" >"$build/fuzz/$name.log" 2>&1; then
        grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units)' "$build/fuzz/$name.log" || true
    else
        tail -n 40 "$build/fuzz/$name.log"
        failed="$failed $name"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: found a crash in:$failed (inputs in $build/fuzz/artifacts/)" >&2
    exit 1
fi
