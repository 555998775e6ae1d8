// 2-D convolution as im2col + GEMM (host side: CUDABackend+Conv2d.swift), like the CPU backend
// (Sources/BantamCPU/Kernels/Conv2d.swift): for sample n and group g,
//     out[n, g·Og ..< (g+1)·Og, pixels] [Og × P] = W_g [Og × K] · col [K × P],   K = C/G·KH·KW,
// built band by band of output pixels so the column scratch stays bounded.
//
//  - bantam_im2col_{2,4}: col [K, count] (row stride `count`) for output pixels first ..< first + count: the
//    raw bits of x's elements (2- or 4-byte dtypes; no conversion, so col holds x's values exactly), 0 bits
//    (+0.0) where the window hangs over the padding. grid.y walks rows of col, so (channel, ky, kx) is uniform
//    per block row and each element costs one division (pixel -> oy, ox).
//  - bantam_conv_bias_*: adds the bias of each output channel to the GEMM's [Og × count] result and moves it
//    into out's band (in place when the band is the whole image).
//  - bantam_gemm_tiled_*: a plain shared-memory tiled GEMM, C = A·B (+ bias per row), f32 accumulation,
//    one rounding on store; the fallback when the backend has no matmul for the dtype (cuBLASLt missing).

struct BtIm2colDesc {
    i64 in_h, in_w, out_w;        // input plane, output row length
    i64 kernel_h, kernel_w;
    i64 stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
    i64 rows;                     // K = C/G·KH·KW
    i64 first, count;             // the band of output pixels
};

template <typename E>
__device__ __forceinline__ void bt_im2col(const E* __restrict__ x, E* __restrict__ col, const BtIm2colDesc& d) {
    const i64 window = d.kernel_h * d.kernel_w;
    for (i64 k = blockIdx.y; k < d.rows; k += gridDim.y) {
        const i64 channel = k / window, rest = k % window;
        const i64 ky = rest / d.kernel_w, kx = rest % d.kernel_w;
        const E* plane = x + channel * d.in_h * d.in_w;
        E* row = col + k * d.count;
        const i64 y_shift = ky * d.dilation_h - d.pad_h, x_shift = kx * d.dilation_w - d.pad_w;
        for (i64 p = (i64)blockIdx.x * blockDim.x + threadIdx.x; p < d.count; p += (i64)gridDim.x * blockDim.x) {
            const i64 pixel = d.first + p;
            const i64 oy = pixel / d.out_w, ox = pixel % d.out_w;
            const i64 iy = oy * d.stride_h + y_shift, ix = ox * d.stride_w + x_shift;
            row[p] = (iy >= 0 && iy < d.in_h && ix >= 0 && ix < d.in_w) ? plane[iy * d.in_w + ix] : (E)0;
        }
    }
}

extern "C" __global__ void bantam_im2col_2(const u16* __restrict__ x, u16* __restrict__ col, BtIm2colDesc d) { bt_im2col<u16>(x, col, d); }
extern "C" __global__ void bantam_im2col_4(const u32* __restrict__ x, u32* __restrict__ col, BtIm2colDesc d) { bt_im2col<u32>(x, col, d); }

// dst[r·dst_ld + c] = src[r·src_ld + c] + bias[r] for r < rows, c < cols (bias nullable, dtype code).
template <typename TT>
__device__ __forceinline__ void bt_conv_bias(const typename TT::T* src, u64 src_ld, typename TT::T* dst, u64 dst_ld,
                                             u64 rows, u64 cols, const u8* bias, int bias_type) {
    const u64 count = rows * cols;
    const u64 step = (u64)gridDim.x * blockDim.x;
    const int width = bias_type == BT_F32 ? 4 : 2;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        const u64 r = i / cols, c = i % cols;
        const float b = bias != nullptr ? bt_load_f32(bias + r * width, bias_type) : 0.0f;
        dst[r * dst_ld + c] = TT::from_f32(__fadd_rn(TT::to_f32(src[r * src_ld + c]), b));
    }
}

// C [M, N] (row stride ldc) = A [M, K] (lda) · B [K, N] (ldb) + bias[m]: 64×64 tiles, 16-deep slices of K
// through shared memory as f32, 256 threads each computing a 4×4 block of C.
template <typename TT>
__device__ __forceinline__ void bt_gemm_tiled(const typename TT::T* __restrict__ a, u64 lda, const typename TT::T* __restrict__ b,
                                              u64 ldb, typename TT::T* __restrict__ c, u64 ldc, int m, int n, int k,
                                              const u8* bias, int bias_type) {
    __shared__ float as[16][64 + 4];
    __shared__ float bs[16][64 + 4];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    const int row0 = blockIdx.y * 64, col0 = blockIdx.x * 64;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < k; k0 += 16) {
        // A tile [64 rows × 16 k]: thread t loads rows t/16 + 16·i, column t%16.
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int r = threadIdx.x / 16 + 16 * i, kk = threadIdx.x % 16;
            const int gr = row0 + r, gk = k0 + kk;
            as[kk][r] = (gr < m && gk < k) ? TT::to_f32(a[(u64)gr * lda + gk]) : 0.0f;
        }
        // B tile [16 k × 64 columns]: thread t loads row t/64 + 4·i, column t%64.
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            const int kk = threadIdx.x / 64 + 4 * i, cc = threadIdx.x % 64;
            const int gk = k0 + kk, gc = col0 + cc;
            bs[kk][cc] = (gk < k && gc < n) ? TT::to_f32(b[(u64)gk * ldb + gc]) : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < 16; ++kk) {
            float av[4], bv[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) av[i] = as[kk][ty * 4 + i];
#pragma unroll
            for (int j = 0; j < 4; ++j) bv[j] = bs[kk][tx * 4 + j];
#pragma unroll
            for (int i = 0; i < 4; ++i)
#pragma unroll
                for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }
    const int width = bias_type == BT_F32 ? 4 : 2;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        const int r = row0 + ty * 4 + i;
        if (r >= m) continue;
        const float shift = bias != nullptr ? bt_load_f32(bias + (u64)r * width, bias_type) : 0.0f;
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int cc = col0 + tx * 4 + j;
            if (cc < n) c[(u64)r * ldc + cc] = TT::from_f32(__fadd_rn(acc[i][j], shift));
        }
    }
}

#define BT_CONV(NAME, TT)                                                                                           \
    extern "C" __global__ void bantam_conv_bias_##NAME(const TT::T* src, u64 src_ld, TT::T* dst, u64 dst_ld, u64 rows, \
                                                       u64 cols, const u8* bias, int bias_type) {                   \
        bt_conv_bias<TT>(src, src_ld, dst, dst_ld, rows, cols, bias, bias_type);                                    \
    }                                                                                                               \
    extern "C" __global__ void bantam_gemm_tiled_##NAME(const TT::T* __restrict__ a, u64 lda, const TT::T* __restrict__ b, \
                                                        u64 ldb, TT::T* __restrict__ c, u64 ldc, int m, int n, int k, \
                                                        const u8* bias, int bias_type) {                            \
        bt_gemm_tiled<TT>(a, lda, b, ldb, c, ldc, m, n, k, bias, bias_type);                                        \
    }

BT_CONV(f32, BtF32)
BT_CONV(f16, BtF16)
BT_CONV(bf16, BtBF16)
