#!/usr/bin/env bash
# Builds memctx in release mode when needed and runs it with the given arguments.
#   scripts/run.sh call health --pretty
#   echo '{"jsonrpc":"2.0","id":1,"method":"health"}' | scripts/run.sh
# Build output goes to stderr, so stdout carries only what memctx prints.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/fetch-model.sh" || echo "run: continuing without the model: search is lexical only" >&2
swift build -c release --product memctx --package-path "$root" >&2
exec "$(swift build -c release --show-bin-path --package-path "$root")/memctx" "$@"
