#!/usr/bin/env bash
# phi-store peers: Google Tink (Python) decrypts/encrypts our object bodies (tink_interop test);
# moto[server] is the S3-compatible server the `s3` feature's tests start on 127.0.0.1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
pip_install tink "moto[server]"
