// Rotary position embedding, and the fused QK norm + RoPE of FLUX-style attention. Host side:
// CUDABackend+Rope.swift. Formulas follow the CPU backend (Sources/BantamCPU/Kernels/Rope.swift,
// RMSNorm.swift): pair (x0, x1) at position l rotates by cos, sin [l, j]:
//     out0 = cos·x0 − sin·x1,  out1 = sin·x0 + cos·x1
// in f32 (two products and one sum, no fused multiply-add), rounded once. `.interleaved` pairs
// (x[2j], x[2j+1]); `.halves` pairs (x[j], x[j + D/2]).
//
// The fused kernel (`bantam_rope_rows_*`): a team of D/(2W) threads owns a row of x [B, H, L, D] (any
// strides over B, H, L; the features contiguous); each thread holds two vectors of W elements, vector
// `lane` and vector `lane + team`, which for `.halves` are exactly the two halves of its pairs (and for
// `.interleaved` each vector holds whole pairs). With NORMALIZE it first applies RMSNorm with a weight
// (x·rsqrt(mean(x²) + eps)·w) and rounds that to T, as the composition rope(rmsNorm(x, w)) does, so the
// fused op is the same function as its default implementation. Output is contiguous [B, H, L, D].
//
// `bantam_rope_pairs`: one pair per step, any dtypes and strides (for head sizes the row kernel does not fit).

// Rope geometry (C layout; Swift builds it with KernelStruct in this order).
struct BtRopeDesc {
    i64 stride_b, stride_h, stride_l;    // x strides in elements (features have stride 1)
    i32 heads, length, d;                // H, L, D
    i32 rows;                            // B·H·L
    i32 team;                            // threads per row (power of two <= 32, or the block)
    i32 halves;                          // 1: rotate-half pairs; 0: interleaved
    i32 table_type;                      // dtype code of cos and sin [L, D/2]
    i32 table_vectors;                   // 1: f32 tables whose rows allow vector loads
    i32 weight_type;                     // NORMALIZE: dtype code of the norm weight [D]
    float eps;
};

// N consecutive table entries from element `at` as f32.
template <int N>
__device__ __forceinline__ void bt_table_load(const u8* p, int type, int vectors, u64 at, float (&out)[N]) {
    if (vectors) {
        BtVec<BtF32, N>::load(reinterpret_cast<const float*>(p) + at, out);
    } else {
        const int width = type == BT_F32 ? 4 : 2;
#pragma unroll
        for (int k = 0; k < N; ++k) out[k] = bt_load_f32(p + (at + k) * width, type);
    }
}

// Rotates pairs: a[k] with b[k] (halves), or (a[2i], a[2i+1]) and (b[2i], b[2i+1]) (interleaved), with the
// angles of pair index `first_a` (first pair of a) and `first_b`.
template <int W>
__device__ __forceinline__ float bt_rot0(float c, float s, float x0, float x1) { return __fsub_rn(__fmul_rn(c, x0), __fmul_rn(s, x1)); }
__device__ __forceinline__ float bt_rot1(float c, float s, float x0, float x1) { return __fadd_rn(__fmul_rn(s, x0), __fmul_rn(c, x1)); }

template <typename TT, int W, bool NORMALIZE>
__device__ __forceinline__ void bt_rope_rows(const typename TT::T* __restrict__ x, const u8* __restrict__ cos_table,
                                             const u8* __restrict__ sin_table, const u8* __restrict__ weight,
                                             typename TT::T* __restrict__ out, const BtRopeDesc& g) {
    __shared__ float scratch[33];
    const int team = g.team;
    int row, lane;
    if (team <= 32) {
        row = blockIdx.x * (blockDim.x / team) + threadIdx.x / team;
        lane = threadIdx.x % team;
    } else {
        row = blockIdx.x;
        lane = threadIdx.x;
    }
    const bool active = row < g.rows;
    const int r = active ? row : 0;
    const int l = r % g.length, h = (r / g.length) % g.heads, b = r / (g.length * g.heads);
    const typename TT::T* src = x + (u64)b * g.stride_b + (u64)h * g.stride_h + (u64)l * g.stride_l;
    const int ia = lane * W, ib = (lane + team) * W;    // first element of each vector
    float va[W], vb[W];
    if (active) {
        BtVec<TT, W>::load(src + ia, va);
        BtVec<TT, W>::load(src + ib, vb);
    } else {
#pragma unroll
        for (int k = 0; k < W; ++k) va[k] = vb[k] = 0.0f;
    }
    if (NORMALIZE) {
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < W; ++k) s += va[k] * va[k] + vb[k] * vb[k];
        const float ms = __fdiv_rn(bt_team_reduce<BtSumOp>(s, team, scratch), (float)g.d);
        const float scale = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(ms, g.eps)));
        float wa[W], wb[W];
        bt_param_load<TT, W>(weight, g.weight_type, ia, 1.0f, wa);
        bt_param_load<TT, W>(weight, g.weight_type, ib, 1.0f, wb);
#pragma unroll
        for (int k = 0; k < W; ++k) {
            va[k] = bt_round<TT>(__fmul_rn(__fmul_rn(va[k], scale), wa[k]));
            vb[k] = bt_round<TT>(__fmul_rn(__fmul_rn(vb[k], scale), wb[k]));
        }
    }
    if (!active) return;
    const u64 table_row = (u64)l * (u64)(g.d / 2);
    if (g.halves) {
        // Pairs (a[k], b[k]) at pair index ia + k.
        float c[W], s[W];
        bt_table_load<W>(cos_table, g.table_type, g.table_vectors, table_row + ia, c);
        bt_table_load<W>(sin_table, g.table_type, g.table_vectors, table_row + ia, s);
#pragma unroll
        for (int k = 0; k < W; ++k) {
            const float x0 = va[k], x1 = vb[k];
            va[k] = bt_rot0<W>(c[k], s[k], x0, x1);
            vb[k] = bt_rot1(c[k], s[k], x0, x1);
        }
    } else {
        // Pairs (a[2i], a[2i+1]) at pair index ia/2 + i, likewise for b.
        constexpr int P = W / 2;
        float ca[P], sa[P], cb[P], sb[P];
        bt_table_load<P>(cos_table, g.table_type, g.table_vectors, table_row + ia / 2, ca);
        bt_table_load<P>(sin_table, g.table_type, g.table_vectors, table_row + ia / 2, sa);
        bt_table_load<P>(cos_table, g.table_type, g.table_vectors, table_row + ib / 2, cb);
        bt_table_load<P>(sin_table, g.table_type, g.table_vectors, table_row + ib / 2, sb);
#pragma unroll
        for (int i = 0; i < P; ++i) {
            float x0 = va[2 * i], x1 = va[2 * i + 1];
            va[2 * i] = bt_rot0<W>(ca[i], sa[i], x0, x1);
            va[2 * i + 1] = bt_rot1(ca[i], sa[i], x0, x1);
            x0 = vb[2 * i];
            x1 = vb[2 * i + 1];
            vb[2 * i] = bt_rot0<W>(cb[i], sb[i], x0, x1);
            vb[2 * i + 1] = bt_rot1(cb[i], sb[i], x0, x1);
        }
    }
    typename TT::T* dst = out + (u64)row * (u64)g.d;
    BtVec<TT, W>::store(dst + ia, va);
    BtVec<TT, W>::store(dst + ib, vb);
}

#define BT_ROPE(NAME, TT)                                                                                           \
    extern "C" __global__ void bantam_rope_rows_v_##NAME(const TT::T* __restrict__ x, const u8* __restrict__ c,    \
                                                         const u8* __restrict__ s, TT::T* __restrict__ out, BtRopeDesc g) { \
        bt_rope_rows<TT, 16 / sizeof(TT::T), false>(x, c, s, nullptr, out, g);                                      \
    }                                                                                                               \
    extern "C" __global__ void bantam_rope_rows_s_##NAME(const TT::T* __restrict__ x, const u8* __restrict__ c,    \
                                                         const u8* __restrict__ s, TT::T* __restrict__ out, BtRopeDesc g) { \
        bt_rope_rows<TT, 2, false>(x, c, s, nullptr, out, g);                                                       \
    }                                                                                                               \
    extern "C" __global__ void bantam_qk_norm_rope_v_##NAME(const TT::T* __restrict__ x, const u8* __restrict__ c, \
                                                            const u8* __restrict__ s, const u8* __restrict__ w,     \
                                                            TT::T* __restrict__ out, BtRopeDesc g) {                \
        bt_rope_rows<TT, 16 / sizeof(TT::T), true>(x, c, s, w, out, g);                                             \
    }                                                                                                               \
    extern "C" __global__ void bantam_qk_norm_rope_s_##NAME(const TT::T* __restrict__ x, const u8* __restrict__ c, \
                                                            const u8* __restrict__ s, const u8* __restrict__ w,     \
                                                            TT::T* __restrict__ out, BtRopeDesc g) {                \
        bt_rope_rows<TT, 2, true>(x, c, s, w, out, g);                                                              \
    }

BT_ROPE(f32, BtF32)
BT_ROPE(f16, BtF16)
BT_ROPE(bf16, BtBF16)

// One pair per step: pair p of all B·H·L·D/2 pairs; x strided as in BtRopeDesc, element width and dtype codes
// at run time; out contiguous.
extern "C" __global__ void bantam_rope_pairs(const u8* __restrict__ x, const u8* __restrict__ cos_table,
                                             const u8* __restrict__ sin_table, u8* __restrict__ out, BtRopeDesc g,
                                             int x_type, int out_type, u64 pairs) {
    const int half = g.d / 2;
    const int xw = x_type == BT_F32 ? 4 : 2, ow = out_type == BT_F32 ? 4 : 2, tw = g.table_type == BT_F32 ? 4 : 2;
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 p = (u64)blockIdx.x * blockDim.x + threadIdx.x; p < pairs; p += step) {
        const u64 row = p / half;
        const int j = (int)(p % half);
        const u64 l = row % g.length, h = (row / g.length) % g.heads, b = row / ((u64)g.length * g.heads);
        const u64 base = b * g.stride_b + h * g.stride_h + l * g.stride_l;
        const int i0 = g.halves ? j : 2 * j, i1 = g.halves ? j + half : 2 * j + 1;
        const float x0 = bt_load_f32(x + (base + i0) * xw, x_type), x1 = bt_load_f32(x + (base + i1) * xw, x_type);
        const float c = bt_load_f32(cos_table + (l * half + j) * tw, g.table_type);
        const float s = bt_load_f32(sin_table + (l * half + j) * tw, g.table_type);
        bt_store_f32(out + (row * g.d + i0) * ow, out_type, bt_rot0<1>(c, s, x0, x1));
        bt_store_f32(out + (row * g.d + i1) * ow, out_type, bt_rot1(c, s, x0, x1));
    }
}
