#!/usr/bin/env bash
# faxd peers: moto[server] is the S3-compatible server the `s3` feature's faxd test
# (examples/tests/faxd.rs) starts on 127.0.0.1. Everything else faxd's tests need is ours.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
pip_install "moto[server]"
