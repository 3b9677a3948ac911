#!/usr/bin/env bash
# The official MCP Python SDK (PyPI `mcp`, pinned) in a venv of its own, for the tests that drive memctx
# with a real MCP client. Prints the venv's python on stdout; messages go to stderr.
#
#   scripts/mcp-sdk.sh              # install if missing (about 15 s), print the python path
#   MEMCTX_MCP_VENV=DIR scripts/mcp-sdk.sh
#
# The venv is ${XDG_CACHE_HOME:-~/.cache}/memctx/mcp-venv unless MEMCTX_MCP_VENV names another. Needs python3
# (3.10 or later) with venv (scripts/setup.sh installs python3-venv) and PyPI.
set -euo pipefail

version=2.3.0
cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/memctx"
venv="${MEMCTX_MCP_VENV:-$cache/mcp-venv}"
say() { printf 'mcp-sdk: %s\n' "$*" >&2; }

python="$venv/bin/python"
if [ -x "$python" ] && "$python" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$version')" 2>/dev/null; then
    echo "$python"
    exit 0
fi
base="$(command -v python3 || true)"
[ -x /usr/bin/python3 ] && base=/usr/bin/python3
[ -n "$base" ] || { say "python3 is missing (scripts/setup.sh installs it)"; exit 1; }
mkdir -p "$(dirname "$venv")"
rm -rf "$venv"
"$base" -m venv "$venv" >&2 || { say "python3 -m venv failed (install python3-venv)"; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$version" >&2 || { say "pip install mcp==$version failed"; exit 1; }
say "installed mcp $version in $venv"
echo "$python"
