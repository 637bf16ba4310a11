#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: installs the real peers the interop tests run
# against (each area's script in scripts/peers/), then runs every test of every crate, interop
# included. FAXKIT_REQUIRE_PEERS=1 turns "peer not installed, skipped" into a test failure.
set -euo pipefail
cd "$(dirname "$0")/.."

for script in scripts/peers/*.sh; do
    [ "$(basename "$script")" = lib.sh ] && continue
    bash "$script"
done

export FAXKIT_REQUIRE_PEERS=1
cargo test --workspace --all-features
