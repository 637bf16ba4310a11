#!/usr/bin/env bash
# T.38 peers: tshark (the Wireshark dissector as an encoding oracle, t38/tests/tshark.rs) and
# spandsp (its IFP codec and T.38 terminal through the interop crate's FFI,
# interop/tests/spandsp_peer.rs), and spandsp's terminal as the peer of ours
# (interop/tests/spandsp_terminal.rs, realtime_udp.rs; tiffcmp comes from libtiff.sh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# tshark's package asks whether non-root users may capture; answer before installing.
if ! dpkg -s tshark >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
fi
apt_install tshark libspandsp-dev pkg-config
