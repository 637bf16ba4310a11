#!/usr/bin/env bash
# faxkit-examples cover pages: libtiff's tiffcp decodes our cover-page TIFFs (tests/cover_cli.rs).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install libtiff-tools
