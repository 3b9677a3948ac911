#!/usr/bin/env bash
# The shell and jq recipes of docs/clients.md, run as written (memctx on PATH, a fresh MEMCTX_HOME).
# Exits non-zero, saying which recipe, when one does not give what the guide promises.
set -euo pipefail
fail() { echo "shell recipe failed: $*" >&2; exit 1; }

id=$(memctx call saveCheckpoint --params '{"description":"Upgraded to PostgreSQL 16","tags":["db"]}' | jq -r .checkpoint.id)
[[ "$id" =~ ^[0-9a-f-]{36}$ ]] || fail "saveCheckpoint | jq -r .checkpoint.id gave '$id'"

titles=$(echo '{"jsonrpc":"2.0","id":1,"method":"listSessions","params":{"limit":5}}' | memctx | jq '.result.sessions[].title')
[[ "$titles" == *"Upgraded to PostgreSQL 16"* ]] || fail "listSessions through a pipe gave '$titles'"

memctx call savePattern --params '{"patternType":"code","name":"Retry with backoff","template":"sleep base * 2^n, then retry"}' >/dev/null
hits=$(memctx call searchPatterns --params '{"query":"retry with backoff","limit":3}' | jq -r '.hits[] | "\(.score)  \(.pattern.name)"')
[[ "$hits" == *"Retry with backoff"* ]] || fail "searchPatterns | jq gave '$hits'"

both=$(printf '%s\n' \
    '{"jsonrpc":"2.0","id":1,"method":"saveCheckpoint","params":{"description":"first"}}' \
    '{"jsonrpc":"2.0","id":2,"method":"stats"}' | memctx | jq -c '{id, ok: (.error == null)}' | sort)
[[ "$both" == $'{"id":1,"ok":true}\n{"id":2,"ok":true}' ]] || fail "two requests through one process gave '$both'"

context=$(jq -n '{query: "PostgreSQL", tokenBudget: 500}' | memctx call loadContext --params - | jq -r .context)
[[ "$context" == *"PostgreSQL 16"* ]] || fail "loadContext with params from stdin gave '$context'"

if memctx call listSessions --params '{"limit":0}' >/dev/null 2>/tmp/memctx-recipe-error.$$; then
    fail "a bad call exited 0"
fi
grep -q limit /tmp/memctx-recipe-error.$$ || fail "a bad call's error does not name the field"
rm -f /tmp/memctx-recipe-error.$$
echo "shell recipes: all passed"
