#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs the C peers the interop tests run
# against (libtiff and its tools), then runs every test of every crate, interop included.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libtiff-dev libtiff-tools pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

cargo test --workspace --all-features
