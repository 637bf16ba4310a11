#!/usr/bin/env bash
# phi-audit's real peers: Debian rsyslog with the OpenSSL network stream driver (the RFC 5425
# receiver of the forwarding test) and openssl (the test's throw-away CA and certificates).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
apt_install rsyslog rsyslog-openssl openssl
