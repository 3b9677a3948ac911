#!/usr/bin/env bash
# Migration throughput (docs/performance.md): `memctx migrate` of a generated legacy MEMORY-CONTEXT
# database into a fresh local database, then into a fresh schema and collections of the central repository
# (PostgreSQL + ChromaDB from scripts/dev-services.sh, started if needed), release build.
#   scripts/bench-migrate.sh [SESSIONS]     (default 1000: about 6,000 rows, 5,700 items to embed)
set -euo pipefail
cd "$(dirname "$0")/.."
sessions="${1:-1000}"
scripts/fetch-model.sh >&2
export MEMCTX_MODEL_DIR="$(scripts/fetch-model.sh --print-dir)"
swift build -c release --product memctx >&2
memctx="$(swift build -c release --show-bin-path)/memctx"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 Tests/Fixtures/legacy/make_legacy_db.py "$work/legacy.db" --sessions "$sessions" --malformed >"$work/summary.json"
echo "legacy database: $(jq -c .rows "$work/summary.json")"

figures() {
    jq -r '"  ok: \(.ok)   rows written: \([.inserted[]] | add)   write: \(.seconds.write) s (\(.rowsPerSecond) rows/s)   " +
        "verify: \(.seconds.verify) s   embed: \(.seconds.embed) s (\(.embeddingsPerSecond) embeddings/s)"'
}

echo "local (SQLite):"
MEMCTX_HOME="$work/local" "$memctx" migrate --from "$work/legacy.db" 2>/dev/null | figures

if [ -z "${MEMCTX_DATABASE_URL:-}" ]; then eval "$(scripts/dev-services.sh start)"; fi
name="bench_migrate_$RANDOM"
echo "central (PostgreSQL + ChromaDB, schema $name):"
MEMCTX_HOME="$work/central" MEMCTX_DATABASE_SCHEMA="$name" MEMCTX_CHROMA_PREFIX="${name}_" \
    "$memctx" migrate --from "$work/legacy.db" 2>/dev/null | figures
