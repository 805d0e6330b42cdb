#!/bin/sh
# Install the Debian packages patternbench needs, only those that are missing.
# Idempotent and quiet when everything is present. Usage: install-deps.sh [--bench] [--test]
#   --bench  also the benchmark tools (wrk, nginx-light)
#   --test   also what only the tests use (chromium, for the report's browser test;
#            prometheus and promtool, for the live metrics tests;
#            clang and its libFuzzer runtime, for the fuzz targets of tests/fuzz;
#            python3-aiohttp, for the Python reference of reference/python/;
#            nginx-light and openssl, the server and certificates of the request and HTTPS tests)
set -eu

missing=""
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }

need_cmd pkg-config pkg-config
need_cmd cmake cmake
need_cmd cc gcc
need_cmd make make
need_cmd gnuplot gnuplot-nox
need_cmd sqlite3 sqlite3
if command -v pkg-config >/dev/null 2>&1; then
    need_pc libcurl libcurl4-openssl-dev
    need_pc libmicrohttpd libmicrohttpd-dev
    need_pc sqlite3 libsqlite3-dev
    need_pc libuv libuv1-dev
    need_pc jansson libjansson-dev
    need_pc cmocka libcmocka-dev
else
    missing="$missing libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev libuv1-dev libjansson-dev libcmocka-dev"
fi
for arg in "$@"; do
    case "$arg" in
    --bench)
        need_cmd wrk wrk
        [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
        ;;
    --test)
        [ -x /usr/bin/chromium ] || missing="$missing chromium"
        [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
        need_cmd openssl openssl
        need_cmd prometheus prometheus
        need_cmd clang clang
        # libFuzzer's runtime is a package of its own (libclang-rt-14-dev on bookworm)
        if ! command -v clang >/dev/null 2>&1 ||
            [ ! -e "$(clang -print-file-name="libclang_rt.fuzzer-$(uname -m).a")" ]; then
            missing="$missing libclang-rt-dev"
        fi
        # kubectl, for the manifest test of deploy/kubernetes
        command -v kubectl >/dev/null 2>&1 || missing="$missing kubernetes-client"
        # Debian's python3-aiohttp installs for /usr/bin/python3, which the
        # tests use when it exists
        py=python3
        [ -x /usr/bin/python3 ] && py=/usr/bin/python3
        "$py" -c "import aiohttp" >/dev/null 2>&1 || missing="$missing python3-aiohttp"
        ;;
    *)
        echo "install-deps: unknown option \"$arg\"; expected --bench or --test" >&2
        exit 2
        ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: missing packages:$missing; run as root or install sudo" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
