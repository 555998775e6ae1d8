// Hand-vectorized micro-kernels for the CPU backend's GEMM (BantamCPU/Kernels/GEMM*.swift).
//
// Swift code in this package compiles for baseline x86-64 (SSE2) because a package cannot pass
// compiler flags. These few C functions carry function-level target attributes instead
// (`__attribute__((target("avx512f")))`), so they build with a plain `swift build` and are only
// called after `bantam_cpu_supports_*` says the running CPU has the instructions. On other
// architectures the kernels are empty stubs and the queries return 0.
#ifndef CBANTAM_KERNELS_H
#define CBANTAM_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU (and OS) support AVX-512F, else 0.
int bantam_cpu_supports_avx512f(void);
/// 1 when the CPU (and OS) support AVX2 and FMA, else 0.
int bantam_cpu_supports_avx2_fma(void);

/// One register tile of C = A·B over `kc` steps, from packed panels.
///
/// `a` holds kc groups of MR floats (column p of the tile's rows: a[p*MR + i]); `b` holds kc groups of
/// NR floats (row p of the tile's columns: b[p*NR + j]). The tile is written to c[i*ldc + j] for
/// i < MR, j < NR: stored when `accumulate` is 0 (c is not read), added to c otherwise.
/// Panels need no alignment; c rows need none either.

/// MR = 12, NR = 32 (AVX-512F: 24 zmm accumulators).
void bantam_sgemm_avx512_12x32(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                               int32_t accumulate);
/// MR = 6, NR = 16 (AVX2 + FMA: 12 ymm accumulators).
void bantam_sgemm_avx2_6x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                            int32_t accumulate);

#ifdef __cplusplus
}
#endif

#endif
