#include "memctx_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stddef.h>

bool memctx_dense_few_rows_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) static inline float sum8(__m256 v) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/// `outs` consecutive weight rows (from `w`) against `rows` consecutive input rows (from `a`): outs × rows
/// dot products of length `inputs`, added to c[r·ldc + j]. Both counts are constants after inlining, so the
/// accumulators live in registers (at most 4 × 3 = 12 of AVX2's 16). With `next`, the `outs` weight rows there
/// are prefetched meanwhile, so the next tile finds them in cache (the hardware prefetcher alone left a short
/// query's products about a quarter slower).
__attribute__((target("avx2,fma"), always_inline)) static inline void tile(
    const int outs, const int rows, const float *a, const int inputs, const float *w, const float *next, float *c,
    const int ldc) {
    __m256 acc[4][3];
    for (int j = 0; j < outs; j++)
        for (int r = 0; r < rows; r++) acc[j][r] = _mm256_setzero_ps();
    const int vectorized = inputs & ~7;
    for (int k = 0; k < vectorized; k += 8) {
        __m256 x[4];
        for (int j = 0; j < outs; j++) x[j] = _mm256_loadu_ps(w + (long)j * inputs + k);
        if (next)
            for (int j = 0; j < outs; j++) _mm_prefetch((const char *)(next + (long)j * inputs + k), _MM_HINT_T0);
        for (int r = 0; r < rows; r++) {
            const __m256 y = _mm256_loadu_ps(a + (long)r * inputs + k);
            for (int j = 0; j < outs; j++) acc[j][r] = _mm256_fmadd_ps(y, x[j], acc[j][r]);
        }
    }
    for (int j = 0; j < outs; j++) {
        for (int r = 0; r < rows; r++) {
            float sum = sum8(acc[j][r]);
            for (int k = vectorized; k < inputs; k++) sum += a[(long)r * inputs + k] * w[(long)j * inputs + k];
            c[(long)r * ldc + j] += sum;
        }
    }
}

/// Every input row against `outs` weight rows: the weight rows are read from memory once, then from L1. The
/// first tile prefetches the `outs` weight rows at `next` (NULL: none).
__attribute__((target("avx2,fma"), always_inline)) static inline void weightRows(
    const int outs, int rows, const float *a, int inputs, const float *w, const float *next, float *c, int outputs) {
    int r = 0;
    for (; r + 3 <= rows; r += 3) {
        tile(outs, 3, a + (long)r * inputs, inputs, w, r == 0 ? next : NULL, c + (long)r * outputs, outputs);
    }
    if (rows - r == 2) tile(outs, 2, a + (long)r * inputs, inputs, w, r == 0 ? next : NULL, c + (long)r * outputs, outputs);
    if (rows - r == 1) tile(outs, 1, a + (long)r * inputs, inputs, w, r == 0 ? next : NULL, c + (long)r * outputs, outputs);
}

__attribute__((target("avx2,fma"))) void memctx_dense_few_rows(
    int rows, int inputs, int outputs, const float *a, const float *w, float *c) {
    int n = 0;
    for (; n + 4 <= outputs; n += 4) {
        const float *next = n + 8 <= outputs ? w + (long)(n + 4) * inputs : NULL;
        weightRows(4, rows, a, inputs, w + (long)n * inputs, next, c + n, outputs);
    }
    for (; n < outputs; n++) weightRows(1, rows, a, inputs, w + (long)n * inputs, NULL, c + n, outputs);
}

#else

bool memctx_dense_few_rows_available(void) { return false; }

void memctx_dense_few_rows(int rows, int inputs, int outputs, const float *a, const float *w, float *c) {
    (void)rows, (void)inputs, (void)outputs, (void)a, (void)w, (void)c;
}

#endif
