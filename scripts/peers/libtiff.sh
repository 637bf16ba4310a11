#!/usr/bin/env bash
# libtiff and its tools: the codec peer (interop crate, libtiff_peer tests, benches).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install libtiff-dev libtiff-tools pkg-config
