#!/bin/sh
# Installs what tailgate needs on Debian 12, only what is missing.
#   scripts/deps.sh          build + run (make, make demo)
#   scripts/deps.sh --test   also what `make check` needs (cmocka, python3,
#                            xmllint, chromium, nginx, clang for the fuzzers,
#                            python3-yaml for the Kubernetes manifests' test,
#                            python3-fastapi + python3-uvicorn for the test
#                            LLM server on vLLM's server stack)
set -eu
pkgs="make gcc libc6-dev libjansson-dev libssl-dev libnghttp2-dev"
if [ "${1:-}" = "--test" ]; then
    pkgs="$pkgs libcmocka-dev python3 libxml2-utils chromium nginx-light openssl clang libclang-rt-14-dev procps python3-yaml python3-fastapi python3-uvicorn"
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -q --no-install-recommends $missing
fi
