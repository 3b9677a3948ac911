#!/usr/bin/env bash
# The JSON-RPC benchmark of docs/performance.md: release build, then `memctx bench rpc` over real pipes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
swift build -c release --product memctx --package-path "$root" >&2
exec "$(swift build -c release --show-bin-path --package-path "$root")/memctx" bench rpc "$@"
