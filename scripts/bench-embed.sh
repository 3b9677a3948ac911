#!/usr/bin/env bash
# The embedding benchmark: memctx's native encoder and the NumPy reference, in the same run.
#   scripts/bench-embed.sh
# Needs the model (scripts/fetch-model.sh) and, for the reference, python3 with numpy (and scipy for its
# vectorised erf: pip install numpy scipy).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch-model.sh
export MEMCTX_MODEL_DIR="$(scripts/fetch-model.sh --print-dir)"
swift build -c release --product memctx >&2
.build/release/memctx bench embed "$@"
echo
if python3 -c 'import numpy' 2>/dev/null; then
    python3 scripts/bench/numpy_reference.py
else
    echo "numpy reference skipped: python3 has no numpy (pip install numpy scipy)"
fi
