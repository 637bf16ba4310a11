# Helpers for scripts/peers/*.sh: idempotent installs of the real peers the tests run against.

# apt_install PKG...: installs the Debian packages that are not installed yet.
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

# pip_install SPEC...: installs Python packages for the interop tests (user site if not root).
# A fresh Debian 12 has python3 without pip and marks its Python as externally managed
# (PEP 668), so a plain `pip install` fails there: install pip from Debian first, and allow the
# install (test-only tools on a CI machine).
pip_install() {
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q "$@"
}
