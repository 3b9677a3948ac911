#ifndef MEMCTX_KERNELS_H
#define MEMCTX_KERNELS_H

#include <stdbool.h>

/// Whether this CPU runs `memctx_dense_few_rows` with AVX2 and FMA. When false, the function must not be called.
bool memctx_dense_few_rows_available(void);

/// c[r·outputs + n] += Σₖ a[r·inputs + k] · w[n·inputs + k], for r < rows, n < outputs, k < inputs:
/// `c += a·wᵀ`, with `w` stored [outputs, inputs] as PyTorch stores a dense layer's weight.
///
/// For a few rows (a short search query) this streams `w` from memory once and keeps it in L1 for the rows, where
/// a general GEMM spends most of its time packing `w`. Sums run in a different order from a GEMM, so results
/// differ from one in the last bits.
void memctx_dense_few_rows(int rows, int inputs, int outputs, const float *a, const float *w, float *c);

#endif
