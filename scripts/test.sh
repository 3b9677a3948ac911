#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this and nothing else).
#
# On a fresh Debian 12 machine with the Swift toolchain it installs what the suite needs, builds every
# target in debug with warnings as errors, and runs every test target. It fails, saying what is missing,
# if something it needs cannot be set up.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*" >&2; }

command -v swift >/dev/null || { echo "scripts/test.sh: the Swift toolchain (swift) is not on PATH" >&2; exit 1; }

log "System packages"
scripts/setup.sh

log "Model files (all-MiniLM-L6-v2)"
scripts/fetch-model.sh
# Tests give each server an isolated MEMCTX_HOME; they all share this one model directory.
export MEMCTX_MODEL_DIR="$(scripts/fetch-model.sh --print-dir)"

log "Services: PostgreSQL and ChromaDB on loopback (scripts/dev-services.sh)"
# A failure to start either is fatal: CI must run the PostgreSQL and ChromaDB suites, never skip them.
services_env="$(scripts/dev-services.sh start)"
eval "$services_env"
trap 'scripts/dev-services.sh stop >/dev/null 2>&1 || true' EXIT

log "MCP client for the tests: the official Python SDK (scripts/mcp-sdk.sh)"
export MEMCTX_MCP_PYTHON="$(scripts/mcp-sdk.sh)"

log "Build (debug, warnings as errors)"
export MEMCTX_WARNINGS_AS_ERRORS=1
swift build --build-tests

log "Tests"
# The end-to-end suites spawn the binary this build produced.
export MEMCTX_BINARY="$(swift build --show-bin-path)/memctx"
swift test --skip-build

log "End-to-end suite again, against the central repository (PostgreSQL + ChromaDB)"
MEMCTX_E2E_CENTRAL=1 swift test --skip-build --filter EndToEndTests
