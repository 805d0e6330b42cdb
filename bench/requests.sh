#!/bin/sh
# What describing the request costs the harness, against nginx on loopback (2
# workers, keep-alive, a 3-byte static answer that reads and drops any body):
# in each round, back to back, `run --pattern queue --concurrency C` for D of
#
#   GET  over HTTP                      (the reference)
#   POST of a 1 KiB body from a file    over HTTP
#   GET  over HTTPS (TLS 1.3, a self-signed P-256 certificate, --cacert)
#
# and prints req/s of each (with the TLS connections opened: kept alive, they
# are about CONNS), POST/GET and HTTPS/HTTP per round and their
# medians over the rounds. Ratios are taken within a round, as this shared
# machine's speed drifts between rounds. The runs do not record (--no-record),
# so that the figures are about the HTTP client and the server only.
# Usage: bench/requests.sh   (env: PB, DURATION=5s, ROUNDS=3, CONNS=64)
set -eu
cd "$(dirname "$0")/.."
. bench/bench_common.sh
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
if [ ! -x "$PB" ]; then
    echo "$0: $PB not found; run 'make build' first (or set PB=path/to/patternbench)" >&2
    exit 1
fi
[ -x /usr/sbin/nginx ] && command -v openssl >/dev/null 2>&1 || ./scripts/install-deps.sh --bench

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
head -c 1024 /dev/urandom >"$TMP/body.bin"
printf 'ok\n' >"$TMP/ok.txt"

# a plain and a TLS port; any method answers ok.txt
tls_server() {
    cat <<SERVER
        listen 127.0.0.1:$PORT;
        listen 127.0.0.1:$TLS_PORT ssl;
        ssl_certificate $TMP/cert.pem;
        ssl_certificate_key $TMP/key.pem;
        location / { default_type text/plain; root $TMP; try_files /ok.txt =404;
                     error_page 405 =200 /ok.txt; }
SERVER
}
start_nginx tls_server
HTTP=http://127.0.0.1:$PORT/
HTTPS=https://127.0.0.1:$TLS_PORT/

json_num() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p"; }

# one run's req/s, failing the script when any request failed
rps() {
    "$PB" run --pattern queue --concurrency "$CONNS" --duration "$DURATION" --no-record \
        --quiet --json "$@" >"$TMP/run.json"
    failed=$(json_num failed <"$TMP/run.json")
    if [ "$failed" != 0 ]; then
        echo "$0: $failed requests failed: $*" >&2
        exit 1
    fi
    json_num rps <"$TMP/run.json"
}

echo "nginx $HTTP and $HTTPS; $ROUNDS rounds of $DURATION at $CONNS connections; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-5s %9s %9s %9s %6s %9s %10s\n' round get post https conns post/get https/http
PG='' HH=''
for r in $(seq 1 "$ROUNDS"); do
    get=$(rps --target "$HTTP")
    post=$(rps --target "$HTTP" --method POST --body "@$TMP/body.bin" \
        --header 'Content-Type: application/octet-stream')
    https=$(rps --target "$HTTPS" --cacert "$TMP/cert.pem")
    conns=$(json_num connections <"$TMP/run.json")
    pg=$(ratio "$post" "$get")
    hh=$(ratio "$https" "$get")
    printf '%-5s %9.0f %9.0f %9.0f %6s %9s %10s\n' "$r" "$get" "$post" "$https" "$conns" "$pg" \
        "$hh"
    PG="$PG $pg"
    HH="$HH $hh"
done
# shellcheck disable=SC2086
echo "median POST/GET $(median $PG), HTTPS/HTTP $(median $HH)"
