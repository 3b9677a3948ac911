#!/usr/bin/env python3
"""The NumPy reference forward pass (minilm_numpy.py, copied from the golden fixtures' tools) timed on the same
shapes as `memctx bench embed`: float32, NumPy's OpenBLAS matmuls, GELU with a vectorised erf
(scipy.special.erf when available, else NumPy's vectorize of math.erf, which is slow and says so).
Usage: MEMCTX_MODEL_DIR=... python3 scripts/bench/numpy_reference.py"""
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import minilm_numpy  # noqa: E402

try:
    from scipy.special import erf as vector_erf
    erf_name = "scipy.special.erf (vectorised)"
except ImportError:  # pragma: no cover
    vector_erf = np.vectorize(math.erf, otypes=[np.float64])
    erf_name = "np.vectorize(math.erf) — install scipy for a vectorised erf"


def gelu(x):
    return (0.5 * x * (1.0 + vector_erf(x / np.float32(math.sqrt(2.0))))).astype(x.dtype)


minilm_numpy.gelu = gelu
directory = os.environ["MEMCTX_MODEL_DIR"]
start = time.perf_counter()
model = minilm_numpy.MiniLM(directory, np.float32)
load = time.perf_counter() - start
ids = np.array([[101] + [7592] * 30 + [102]])
model.embed(ids)
single = []
for _ in range(100):
    t = time.perf_counter()
    model.embed(ids)
    single.append(time.perf_counter() - t)
single.sort()
batch = np.repeat(ids, 32, axis=0)
model.embed(batch)
t = time.perf_counter()
done = 0
while done < 512:
    model.embed(batch)
    done += 32
rate = done / (time.perf_counter() - t)
print(f"numpy reference — float32, numpy {np.__version__}, GELU erf: {erf_name}")
print(f"model load (safetensors into numpy)                                   {load * 1e3:.1f} ms")
print(f"one 32-token sentence (100 calls)                                     p50 {single[50] * 1e3:.3f} ms   p95 {single[95] * 1e3:.3f} ms")
print(f"batch throughput ({done} sentences of 32 tokens, batches of 32)          {rate:.0f} sentences/s")
