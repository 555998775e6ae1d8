// gemm: the small kernels around cuBLASLt GEMMs.
//   - activation quantization for W8A8 FP8 linears: per row (token) absmax -> scale -> e4m3, or a static scale;
//   - weight dequantization for the weight-only paths: FP8 (with per-row scales) and NF4 (bitsandbytes
//     layout) into the activations' dtype, in a scratch buffer that a 16-bit GEMM then reads;
//   - an epilogue for what cuBLASLt cannot fuse in a given case: f32 accumulator (or the output in place)
//     times per-column and per-row scales, plus bias, optional GELU (tanh), rounded once to the output type.

// ---------------------------------------------------------------------------------------------------------
// Activation quantization. One block of 256 threads per row: pass 1 finds the row's absmax, pass 2 writes
// q = e4m3(x / scale) with scale = absmax / 448 (1 when the row is all zeros), or the static `fixed_scale`
// when it is > 0. The division is IEEE (no fast math) so the CPU reference can reproduce every code.

#define BT_QUANT_THREADS 256

__device__ __forceinline__ float bt_block_max(float v, float* shared) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)((blockDim.x + 31) / 32) ? shared[lane] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
        if (lane == 0) shared[0] = v;
    }
    __syncthreads();
    return shared[0];
}

// NaN-propagating absmax step (fmaxf would drop a NaN; a NaN row must stay NaN as on the CPU).
__device__ __forceinline__ float bt_absmax_step(float m, float x) {
    float a = fabsf(x);
    return (a > m || a != a) ? a : m;
}

// x: rows of K elements, `row_stride` elements apart; q: [rows, K] contiguous; scales: [rows].
// `vec`: K is a multiple of the 16-byte vector and every row starts 16-byte aligned.
template <typename Traits>
__device__ void bt_quantize_rows(const typename Traits::T* __restrict__ x, i64 row_stride, u8* __restrict__ q,
                                 float* __restrict__ scales, int k, float fixed_scale, int vec) {
    typedef typename Traits::T T;
    const int per = 16 / (int)sizeof(T);           // elements per 16-byte vector
    __shared__ float shared[32];
    const i64 row = blockIdx.x;
    const T* src = x + row * row_stride;
    u8* dst = q + row * (i64)k;
    float scale = fixed_scale;
    if (!(fixed_scale > 0.0f)) {
        float m = 0.0f;
        if (vec) {
            for (int i = threadIdx.x * per; i < k; i += BT_QUANT_THREADS * per) {
                bt_u128 v = *(const bt_u128*)(src + i);
                const T* e = (const T*)&v;
                #pragma unroll
                for (int j = 0; j < 16 / (int)sizeof(T); ++j) m = bt_absmax_step(m, Traits::to_f32(e[j]));
            }
        } else {
            for (int i = threadIdx.x; i < k; i += BT_QUANT_THREADS) m = bt_absmax_step(m, Traits::to_f32(src[i]));
        }
        // A NaN anywhere in the row makes the scale NaN, so the row's outputs are NaN as on the CPU (fmaxf
        // across threads would drop a NaN, hence the separate flag).
        float absmax = bt_block_max(m != m ? __int_as_float(0x7f800000) : m, shared);
        __syncthreads();
        float has_nan = bt_block_max(m != m ? 1.0f : 0.0f, shared);
        scale = absmax == 0.0f ? 1.0f : __fdiv_rn(absmax, 448.0f);
        if (has_nan > 0.0f) scale = __int_as_float(0x7fc00000);
    }
    if (threadIdx.x == 0) scales[row] = scale;
    if (vec) {
        for (int i = threadIdx.x * per; i < k; i += BT_QUANT_THREADS * per) {
            bt_u128 v = *(const bt_u128*)(src + i);
            const T* e = (const T*)&v;
            u64 packed = 0;                        // the vector's codes, first element in the low byte
            #pragma unroll
            for (int j = 0; j < 16 / (int)sizeof(T); ++j)
                packed |= (u64)bt_f32_to_e4m3(__fdiv_rn(Traits::to_f32(e[j]), scale)) << (8 * j);
            if (sizeof(T) == 2) *(u64*)(dst + i) = packed;
            else *(u32*)(dst + i) = (u32)packed;
        }
    } else {
        for (int i = threadIdx.x; i < k; i += BT_QUANT_THREADS) dst[i] = bt_f32_to_e4m3(__fdiv_rn(Traits::to_f32(src[i]), scale));
    }
}

// The fast variant for rows of at most BT_QUANT_VECS 16-byte vectors per thread (blockDim.x a multiple of
// 32, up to 1024): each thread loads its vectors once into registers (consecutive threads, consecutive
// vectors: coalesced), so the row is read from memory once and all loads are in flight together.
#define BT_QUANT_VECS 4

template <typename Traits>
__device__ void bt_quantize_rows_registers(const typename Traits::T* __restrict__ x, i64 row_stride, u8* __restrict__ q,
                                           float* __restrict__ scales, int k, float fixed_scale) {
    typedef typename Traits::T T;
    const int per = 16 / (int)sizeof(T);
    __shared__ float shared[32];
    const i64 row = blockIdx.x;
    const T* src = x + row * row_stride;
    u8* dst = q + row * (i64)k;
    const int vectors = k / per;
    bt_u128 v[BT_QUANT_VECS];
    #pragma unroll
    for (int j = 0; j < BT_QUANT_VECS; ++j) {
        const int index = threadIdx.x + j * blockDim.x;
        if (index < vectors) v[j] = *(const bt_u128*)(src + (i64)index * per);
    }
    float scale = fixed_scale;
    if (!(fixed_scale > 0.0f)) {
        float m = 0.0f;
        #pragma unroll
        for (int j = 0; j < BT_QUANT_VECS; ++j) {
            if (threadIdx.x + j * blockDim.x < vectors) {
                const T* e = (const T*)&v[j];
                #pragma unroll
                for (int i = 0; i < 16 / (int)sizeof(T); ++i) m = bt_absmax_step(m, Traits::to_f32(e[i]));
            }
        }
        float absmax = bt_block_max(m != m ? __int_as_float(0x7f800000) : m, shared);
        __syncthreads();
        float has_nan = bt_block_max(m != m ? 1.0f : 0.0f, shared);
        scale = absmax == 0.0f ? 1.0f : __fdiv_rn(absmax, 448.0f);
        if (has_nan > 0.0f) scale = __int_as_float(0x7fc00000);
    }
    if (threadIdx.x == 0) scales[row] = scale;
    #pragma unroll
    for (int j = 0; j < BT_QUANT_VECS; ++j) {
        const int index = threadIdx.x + j * blockDim.x;
        if (index < vectors) {
            const T* e = (const T*)&v[j];
            u64 packed = 0;
            #pragma unroll
            for (int i = 0; i < 16 / (int)sizeof(T); ++i)
                packed |= (u64)bt_f32_to_e4m3(__fdiv_rn(Traits::to_f32(e[i]), scale)) << (8 * i);
            if (sizeof(T) == 2) *(u64*)(dst + (i64)index * per) = packed;
            else *(u32*)(dst + (i64)index * per) = (u32)packed;
        }
    }
}

#define BT_QUANTIZE(NAME, TRAITS)                                                                            \
    extern "C" __global__ void __launch_bounds__(BT_QUANT_THREADS) bantam_quantize_rows_e4m3_##NAME(          \
        const TRAITS::T* __restrict__ x, i64 row_stride, u8* __restrict__ q, float* __restrict__ scales,     \
        int k, float fixed_scale, int vec) {                                                                 \
        bt_quantize_rows<TRAITS>(x, row_stride, q, scales, k, fixed_scale, vec);                             \
    }                                                                                                        \
    extern "C" __global__ void __launch_bounds__(1024) bantam_quantize_rows_e4m3_registers_##NAME(            \
        const TRAITS::T* __restrict__ x, i64 row_stride, u8* __restrict__ q, float* __restrict__ scales,     \
        int k, float fixed_scale) {                                                                          \
        bt_quantize_rows_registers<TRAITS>(x, row_stride, q, scales, k, fixed_scale);                        \
    }
BT_QUANTIZE(f32, BtF32)
BT_QUANTIZE(f16, BtF16)
BT_QUANTIZE(bf16, BtBF16)

// ---------------------------------------------------------------------------------------------------------
// FP8 weight dequantization: out[n, k] = T(f32(w[n, k]) * row_scales[n]) (row_scales may be null: 1), for a
// contiguous [rows, cols] weight. Grid-stride over groups of 4 bytes when `vec4` (cols % 4 == 0, aligned).

template <typename WTraits, typename OutTraits>
__device__ void bt_dequant_fp8(const u8* __restrict__ w, const float* __restrict__ row_scales,
                               typename OutTraits::T* __restrict__ out, i64 rows, i64 cols, int vec4) {
    const i64 count = rows * cols;
    const i64 step = (i64)gridDim.x * blockDim.x;
    if (vec4) {
        for (i64 g = (i64)blockIdx.x * blockDim.x + threadIdx.x; g < count / 4; g += step) {
            const i64 i = g * 4;
            const float s = row_scales ? row_scales[i / cols] : 1.0f;
            u32 bytes = *(const u32*)(w + i);
            #pragma unroll
            for (int j = 0; j < 4; ++j) out[i + j] = OutTraits::from_f32(WTraits::to_f32((u8)(bytes >> (8 * j))) * s);
        }
    } else {
        for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
            const float s = row_scales ? row_scales[i / cols] : 1.0f;
            out[i] = OutTraits::from_f32(WTraits::to_f32(w[i]) * s);
        }
    }
}

#define BT_DEQUANT_FP8(WNAME, WTRAITS, ONAME, OTRAITS)                                                       \
    extern "C" __global__ void bantam_dequant_##WNAME##_##ONAME(const u8* __restrict__ w,                   \
        const float* __restrict__ row_scales, OTRAITS::T* __restrict__ out, i64 rows, i64 cols, int vec4) {  \
        bt_dequant_fp8<WTRAITS, OTRAITS>(w, row_scales, out, rows, cols, vec4);                              \
    }
BT_DEQUANT_FP8(f8e4m3fn, BtE4M3, f32, BtF32)
BT_DEQUANT_FP8(f8e4m3fn, BtE4M3, f16, BtF16)
BT_DEQUANT_FP8(f8e4m3fn, BtE4M3, bf16, BtBF16)
BT_DEQUANT_FP8(f8e5m2, BtE5M2, f32, BtF32)
BT_DEQUANT_FP8(f8e5m2, BtE5M2, f16, BtF16)
BT_DEQUANT_FP8(f8e5m2, BtE5M2, bf16, BtBF16)

// ---------------------------------------------------------------------------------------------------------
// NF4 dequantization (bitsandbytes): element e of the flattened weight is the high nibble of byte e/2 when
// e is even, the low nibble when odd; W[e] = quant_map[code] * absmax[e / block_size], rounded once to T.
// One thread per byte (two elements). This is the hook a fused NF4 GEMM replaces later.

template <typename OutTraits>
__device__ void bt_dequant_nf4(const u8* __restrict__ codes, const float* __restrict__ absmax,
                               const float* __restrict__ quant_map, typename OutTraits::T* __restrict__ out,
                               i64 count, i64 block_size) {
    __shared__ float map[16];
    if (threadIdx.x < 16) map[threadIdx.x] = quant_map[threadIdx.x];
    __syncthreads();
    const i64 bytes = (count + 1) / 2;
    const i64 step = (i64)gridDim.x * blockDim.x;
    for (i64 b = (i64)blockIdx.x * blockDim.x + threadIdx.x; b < bytes; b += step) {
        const u32 byte = codes[b];
        const i64 e0 = 2 * b, e1 = 2 * b + 1;
        out[e0] = OutTraits::from_f32(map[byte >> 4] * absmax[e0 / block_size]);
        if (e1 < count) out[e1] = OutTraits::from_f32(map[byte & 15u] * absmax[e1 / block_size]);
    }
}

#define BT_DEQUANT_NF4(ONAME, OTRAITS)                                                                       \
    extern "C" __global__ void bantam_dequant_nf4_##ONAME(const u8* __restrict__ codes,                     \
        const float* __restrict__ absmax, const float* __restrict__ quant_map, OTRAITS::T* __restrict__ out, \
        i64 count, i64 block_size) {                                                                         \
        bt_dequant_nf4<OTRAITS>(codes, absmax, quant_map, out, count, block_size);                           \
    }
BT_DEQUANT_NF4(f32, BtF32)
BT_DEQUANT_NF4(f16, BtF16)
BT_DEQUANT_NF4(bf16, BtBF16)

// ---------------------------------------------------------------------------------------------------------
// Epilogue: out[r, c] = T(gelu?(v * col_scale[c] * row_scale[r] + bias[c])) with v = acc[r, c] (f32) or, when
// acc is null, the current out[r, c] (in place). Null scales count as 1; bias is read by dtype code.
// GELU is the tanh approximation, term by term as the CPU backend computes it.

__device__ __forceinline__ float bt_gelu_tanh(float x) {
    const float cube = x * x * x;
    const float inner = 0.7978845608028654f * (x + 0.044715f * cube);
    return 0.5f * x * (1.0f + tanhf(inner));
}

template <typename OutTraits>
__device__ void bt_gemm_epilogue(const float* __restrict__ acc, typename OutTraits::T* out, i64 rows, i64 cols,
                                 const float* __restrict__ col_scale, const float* __restrict__ row_scale,
                                 const u8* __restrict__ bias, int bias_code, int bias_width, int gelu) {
    const i64 count = rows * cols;
    const i64 step = (i64)gridDim.x * blockDim.x;
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        const i64 r = i / cols, c = i - r * cols;
        float v = acc ? acc[i] : OutTraits::to_f32(out[i]);
        if (col_scale) v *= col_scale[c];
        if (row_scale) v *= row_scale[r];
        if (bias) v += bt_load_f32(bias + c * bias_width, bias_code);
        if (gelu) v = bt_gelu_tanh(v);
        out[i] = OutTraits::from_f32(v);
    }
}

#define BT_EPILOGUE(ONAME, OTRAITS)                                                                          \
    extern "C" __global__ void bantam_gemm_epilogue_##ONAME(const float* __restrict__ acc,                  \
        OTRAITS::T* out, i64 rows, i64 cols, const float* __restrict__ col_scale,                            \
        const float* __restrict__ row_scale, const u8* __restrict__ bias, int bias_code, int bias_width,     \
        int gelu) {                                                                                          \
        bt_gemm_epilogue<OTRAITS>(acc, out, rows, cols, col_scale, row_scale, bias, bias_code, bias_width, gelu); \
    }
BT_EPILOGUE(f32, BtF32)
BT_EPILOGUE(f16, BtF16)
BT_EPILOGUE(bf16, BtBF16)
