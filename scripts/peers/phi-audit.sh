#!/usr/bin/env bash
# phi-audit's real peers: Debian rsyslog with the OpenSSL network stream driver (the RFC 5425
# receiver of tests/rsyslog.rs), openssl (that test's throw-away CA and certificates), and
# moto's S3 server (the object_store mirror's peer in tests/mirror.rs, feature `mirror`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install rsyslog rsyslog-openssl openssl
command -v moto_server >/dev/null 2>&1 || pip_install "moto[server]"
