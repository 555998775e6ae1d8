// The x86 micro-kernels declared in CBantamKernels.h. Each one keeps an MR×NR tile of C in vector
// registers, and for every step p broadcasts the MR values a[p*MR + i] and multiplies them with the NR
// values b[p*NR ...] (fused multiply-add). Written with macros so the accumulators are plain locals the
// compiler keeps in registers (an array would be too, at -O2, but not in debug builds).
#include "CBantamKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int bantam_cpu_supports_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

int bantam_cpu_supports_avx2_fma(void) {
    __builtin_cpu_init();
    return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
}

// ---- AVX-512F, 12 rows × 32 columns: 24 accumulators + 2 B vectors + 1 broadcast of the 32 zmm ----

#define AVX512_DECLARE(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps();
#define AVX512_STEP(i) { \
        __m512 ai = _mm512_set1_ps(ap[i]); \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0); \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1); }
#define AVX512_STORE(i) { \
        float *row = c + (i) * ldc; \
        if (accumulate) { \
            c##i##0 = _mm512_add_ps(c##i##0, _mm512_loadu_ps(row)); \
            c##i##1 = _mm512_add_ps(c##i##1, _mm512_loadu_ps(row + 16)); \
        } \
        _mm512_storeu_ps(row, c##i##0); \
        _mm512_storeu_ps(row + 16, c##i##1); }

__attribute__((target("avx512f")))
void bantam_sgemm_avx512_12x32(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                               int32_t accumulate) {
    // Ask for the C tile early: its rows are ldc apart, which the hardware prefetcher does not guess.
    for (int i = 0; i < 12; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0);
    }
    AVX512_DECLARE(0) AVX512_DECLARE(1) AVX512_DECLARE(2) AVX512_DECLARE(3)
    AVX512_DECLARE(4) AVX512_DECLARE(5) AVX512_DECLARE(6) AVX512_DECLARE(7)
    AVX512_DECLARE(8) AVX512_DECLARE(9) AVX512_DECLARE(10) AVX512_DECLARE(11)
    for (int64_t p = 0; p < kc; p++) {
        const float *ap = a + p * 12;
        __m512 b0 = _mm512_loadu_ps(b + p * 32);
        __m512 b1 = _mm512_loadu_ps(b + p * 32 + 16);
        AVX512_STEP(0) AVX512_STEP(1) AVX512_STEP(2) AVX512_STEP(3)
        AVX512_STEP(4) AVX512_STEP(5) AVX512_STEP(6) AVX512_STEP(7)
        AVX512_STEP(8) AVX512_STEP(9) AVX512_STEP(10) AVX512_STEP(11)
    }
    AVX512_STORE(0) AVX512_STORE(1) AVX512_STORE(2) AVX512_STORE(3)
    AVX512_STORE(4) AVX512_STORE(5) AVX512_STORE(6) AVX512_STORE(7)
    AVX512_STORE(8) AVX512_STORE(9) AVX512_STORE(10) AVX512_STORE(11)
}

// ---- AVX2 + FMA, 6 rows × 16 columns: 12 accumulators + 2 B vectors + 1 broadcast of the 16 ymm ----

#define AVX2_DECLARE(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
#define AVX2_STEP(i) { \
        __m256 ai = _mm256_broadcast_ss(ap + (i)); \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0); \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1); }
#define AVX2_STORE(i) { \
        float *row = c + (i) * ldc; \
        if (accumulate) { \
            c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(row)); \
            c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(row + 8)); \
        } \
        _mm256_storeu_ps(row, c##i##0); \
        _mm256_storeu_ps(row + 8, c##i##1); }

__attribute__((target("avx2,fma")))
void bantam_sgemm_avx2_6x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                            int32_t accumulate) {
    AVX2_DECLARE(0) AVX2_DECLARE(1) AVX2_DECLARE(2)
    AVX2_DECLARE(3) AVX2_DECLARE(4) AVX2_DECLARE(5)
    for (int64_t p = 0; p < kc; p++) {
        const float *ap = a + p * 6;
        __m256 b0 = _mm256_loadu_ps(b + p * 16);
        __m256 b1 = _mm256_loadu_ps(b + p * 16 + 8);
        AVX2_STEP(0) AVX2_STEP(1) AVX2_STEP(2)
        AVX2_STEP(3) AVX2_STEP(4) AVX2_STEP(5)
    }
    AVX2_STORE(0) AVX2_STORE(1) AVX2_STORE(2)
    AVX2_STORE(3) AVX2_STORE(4) AVX2_STORE(5)
}

#else  // not x86-64: no kernels here; the Swift kernel is used.

int bantam_cpu_supports_avx512f(void) { return 0; }
int bantam_cpu_supports_avx2_fma(void) { return 0; }

void bantam_sgemm_avx512_12x32(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                               int32_t accumulate) {
    (void)kc; (void)a; (void)b; (void)c; (void)ldc; (void)accumulate;
}

void bantam_sgemm_avx2_6x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                            int32_t accumulate) {
    (void)kc; (void)a; (void)b; (void)c; (void)ldc; (void)accumulate;
}

#endif
