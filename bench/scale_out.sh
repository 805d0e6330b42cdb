#!/bin/sh
# Scale-out (issue 15): one `patternbench run` process against two segment
# processes (`--segment 0/2`, `1/2`, a shared --start-at) of the same run,
# against the same nginx, then `patternbench merge` of the two databases.
# Prints per round the logged req/s of one process, of the two together (the
# merged run's rows / its duration) and their ratio, then the merge speed in
# rows/s. On a 2-CPU machine expect little gain: the one process already uses
# both CPUs (two client threads), and nginx shares them.
# Usage: bench/scale_out.sh   (env: PB, DURATION=10s, ROUNDS=3, CONNS=64)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
need_tools
start_nginx
URL=$NGINX_URL
json_num() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }

echo "nginx $URL; $ROUNDS rounds of $DURATION at $CONNS connections; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(figures are provisional on a shared machine)"
printf '%-5s %10s %10s %7s %10s %12s\n' round one two two/one rows merge_rows/s
R='' M=''
i=1
while [ "$i" -le "$ROUNDS" ]; do
    rm -f "$TMP"/*.db*
    one=$("$PB" run --target "$URL" --pattern queue --concurrency "$CONNS" --duration "$DURATION" \
        --db "$TMP/one.db" --quiet --json | json_num rps)
    start=$(($(date +%s) + 2))
    pids=""
    for s in 0 1; do
        "$PB" run --target "$URL" --pattern queue --concurrency "$CONNS" --duration "$DURATION" \
            --segment "$s/2" --start-at "$start" --db "$TMP/seg$s.db" --quiet >/dev/null &
        pids="$pids $!"
    done
    # the two segments only: a bare `wait` would wait for nginx too
    for p in $pids; do wait "$p"; done
    out=$("$PB" merge "$TMP/merged.db" "$TMP/seg0.db" "$TMP/seg1.db")
    rows=$(echo "$out" | sed -n 's/^ *\([0-9]*\) request rows.*/\1/p')
    mrate=$(echo "$out" | sed -n 's/.*(\([0-9]*\) rows\/s).*/\1/p')
    two=$(sqlite3 "$TMP/merged.db" "SELECT json_extract(summary_json, '\$.rps') FROM runs")
    r=$(ratio "$two" "$one")
    printf '%-5s %10.0f %10.0f %7s %10s %12s\n' "$i" "$one" "$two" "$r" "$rows" "$mrate"
    R="$R $r" M="$M $mrate"
    i=$((i + 1))
done
# shellcheck disable=SC2086
echo "median two/one $(median $R); median merge $(median $M) rows/s"
