// Normalizations over the last axis (layerNorm, rmsNorm, the fused modulated LayerNorm) and groupNorm.
// Host side: CUDABackend+Norms.swift. Formulas and rounding points follow the CPU backend
// (Sources/BantamCPU/Kernels/LayerNorm.swift, RMSNorm.swift, GroupNorm.swift); statistics are f32 tree
// reductions instead of the CPU's pairwise sums, so results agree to a few f32 ulp (one ulp of a 16-bit
// output at most, where the f32 values straddle a rounding boundary).
//
// Row kernels (`_v`: 16-byte vectors of W = 16/sizeof(T) elements; `_s`: one element, for rows whose length
// or address does not allow vectors): a "team" of threads owns a row and keeps it in registers, VPT vectors
// per thread, so the row is read once and written once. Teams of <= 32 lanes share a warp (several rows per
// warp, reductions with shuffles); larger teams are the whole block (one row per block). Rows longer than
// team·VPT·W for a 1024-thread team go to the `_big` kernels, which re-read the row from global memory
// (L2) for each pass.

#define BT_NORM_VPT 4

// Where a thread sits: its row and its lane in the row's team.
struct BtTeam {
    int row, lane;
    bool active;
    __device__ __forceinline__ BtTeam(int rows, int team) {
        if (team <= 32) {
            row = blockIdx.x * (blockDim.x / team) + threadIdx.x / team;
            lane = threadIdx.x % team;
        } else {
            row = blockIdx.x;
            lane = threadIdx.x;
        }
        active = row < rows;
    }
};

// Loads this lane's VPT vectors of a row of `vectors` vectors (vector c = lane + j·team); missing ones are 0.
template <typename TT, int W>
__device__ __forceinline__ void bt_row_load(const typename TT::T* __restrict__ p, int vectors, int lane, int team, bool active,
                                            float (&v)[BT_NORM_VPT][W]) {
#pragma unroll
    for (int j = 0; j < BT_NORM_VPT; ++j) {
        const int c = lane + j * team;
        if (active && c < vectors) {
            BtVec<TT, W>::load(p + (u64)c * W, v[j]);
        } else {
#pragma unroll
            for (int k = 0; k < W; ++k) v[j][k] = 0.0f;
        }
    }
}

template <typename TT, int W>
__device__ __forceinline__ void bt_row_store(typename TT::T* __restrict__ p, int vectors, int lane, int team, bool active,
                                             const float (&v)[BT_NORM_VPT][W]) {
    if (!active) return;
#pragma unroll
    for (int j = 0; j < BT_NORM_VPT; ++j) {
        const int c = lane + j * team;
        if (c < vectors) BtVec<TT, W>::store(p + (u64)c * W, v[j]);
    }
}

// ---------------------------------------------------------------------------------------------------------
// LayerNorm, also modulated: y = ((x − mean) − correction)·rstd·w + b with the corrected two-pass moments of
// the CPU. With `shift`/`scale` (FLUX's adaLN), y = LN(x) (no w, b) is then modulated with the rounding
// points of the composition (1 + scale) * LN(x) + shift: LN rounded to T, 1 + scale rounded to T, the
// product rounded to T, the sum rounded on store. shift/scale rows: element (row / rows_per_batch)·stride + c.

struct BtNormParams {
    const u8* weight;       // nullable; dtype code weight_type
    const u8* bias;         // nullable
    const u8* shift;        // modulated LN only
    const u8* scale;
    i64 mod_stride;         // elements between batches of shift/scale
    i32 weight_type, bias_type, mod_type;
    i32 rows_per_batch;     // rows sharing one shift/scale row
};

template <typename TT, int W, bool MODULATED>
__device__ __forceinline__ void bt_layer_norm_row(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out,
                                                  int rows, int d, int team, float eps, const BtNormParams& p) {
    __shared__ float scratch[33];
    const BtTeam t(rows, team);
    const int vectors = d / W;
    const u64 base = (u64)(t.active ? t.row : 0) * (u64)d;
    float v[BT_NORM_VPT][W];
    bt_row_load<TT, W>(x + base, vectors, t.lane, team, t.active, v);

    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < BT_NORM_VPT; ++j)
#pragma unroll
        for (int k = 0; k < W; ++k) s += v[j][k];
    const float mean = __fdiv_rn(bt_team_reduce<BtSumOp>(s, team, scratch), (float)d);

    float s1 = 0.0f, s2 = 0.0f;
#pragma unroll
    for (int j = 0; j < BT_NORM_VPT; ++j) {
        if (t.lane + j * team < vectors) {
#pragma unroll
            for (int k = 0; k < W; ++k) {
                const float c = __fsub_rn(v[j][k], mean);
                s1 += c;
                s2 += c * c;
            }
        }
    }
    s1 = bt_team_reduce<BtSumOp>(s1, team, scratch);
    s2 = bt_team_reduce<BtSumOp>(s2, team, scratch);
    const float correction = __fdiv_rn(s1, (float)d);
    const float variance = fmaxf(0.0f, __fsub_rn(__fdiv_rn(s2, (float)d), __fmul_rn(correction, correction)));
    const float rstd = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(variance, eps)));

    const u64 batch = MODULATED ? (u64)(t.active ? t.row : 0) / (u64)p.rows_per_batch * (u64)p.mod_stride : 0;
#pragma unroll
    for (int j = 0; j < BT_NORM_VPT; ++j) {
        const int c = t.lane + j * team;
        if (c >= vectors) continue;
        if (MODULATED) {
            float sh[W], sc[W];
            bt_param_load<TT, W>(p.shift, p.mod_type, batch + (u64)c * W, 0.0f, sh);
            bt_param_load<TT, W>(p.scale, p.mod_type, batch + (u64)c * W, 0.0f, sc);
#pragma unroll
            for (int k = 0; k < W; ++k) {
                const float n = bt_round<TT>(__fmul_rn(__fsub_rn(__fsub_rn(v[j][k], mean), correction), rstd));
                const float m = bt_round<TT>(__fmul_rn(bt_round<TT>(__fadd_rn(sc[k], 1.0f)), n));
                v[j][k] = __fadd_rn(m, sh[k]);
            }
        } else {
            // Absent parameters are skipped (not ·1 + 0), as the CPU does.
            float w[W], b[W];
            if (p.weight != nullptr) bt_param_load<TT, W>(p.weight, p.weight_type, (u64)c * W, 1.0f, w);
            if (p.bias != nullptr) bt_param_load<TT, W>(p.bias, p.bias_type, (u64)c * W, 0.0f, b);
#pragma unroll
            for (int k = 0; k < W; ++k) {
                float y = __fmul_rn(__fsub_rn(__fsub_rn(v[j][k], mean), correction), rstd);
                if (p.weight != nullptr) y = __fmul_rn(y, w[k]);
                if (p.bias != nullptr) y = __fadd_rn(y, b[k]);
                v[j][k] = y;
            }
        }
    }
    bt_row_store<TT, W>(out + base, vectors, t.lane, team, t.active, v);
}

// RMSNorm: y = x·rsqrt(mean(x²) + eps)·w, rounded once.
template <typename TT, int W>
__device__ __forceinline__ void bt_rms_norm_row(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out,
                                                int rows, int d, int team, float eps, const BtNormParams& p) {
    __shared__ float scratch[33];
    const BtTeam t(rows, team);
    const int vectors = d / W;
    const u64 base = (u64)(t.active ? t.row : 0) * (u64)d;
    float v[BT_NORM_VPT][W];
    bt_row_load<TT, W>(x + base, vectors, t.lane, team, t.active, v);
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < BT_NORM_VPT; ++j)
#pragma unroll
        for (int k = 0; k < W; ++k) s += v[j][k] * v[j][k];
    const float ms = __fdiv_rn(bt_team_reduce<BtSumOp>(s, team, scratch), (float)d);
    const float scale = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(ms, eps)));
#pragma unroll
    for (int j = 0; j < BT_NORM_VPT; ++j) {
        const int c = t.lane + j * team;
        if (c >= vectors) continue;
        float w[W];
        if (p.weight != nullptr) bt_param_load<TT, W>(p.weight, p.weight_type, (u64)c * W, 1.0f, w);
#pragma unroll
        for (int k = 0; k < W; ++k) {
            const float y = __fmul_rn(v[j][k], scale);
            v[j][k] = p.weight != nullptr ? __fmul_rn(y, w[k]) : y;
        }
    }
    bt_row_store<TT, W>(out + base, vectors, t.lane, team, t.active, v);
}

// Rows too long for registers: one block per row, each pass reads the row again (from L2).
template <typename TT, bool MODULATED>
__device__ __forceinline__ void bt_layer_norm_big(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out,
                                                  int d, float eps, const BtNormParams& p) {
    __shared__ float scratch[33];
    const int team = blockDim.x;
    const u64 base = (u64)blockIdx.x * (u64)d;
    const typename TT::T* row = x + base;
    float s = 0.0f;
    for (int c = threadIdx.x; c < d; c += team) s += TT::to_f32(row[c]);
    const float mean = __fdiv_rn(bt_team_reduce<BtSumOp>(s, team, scratch), (float)d);
    float s1 = 0.0f, s2 = 0.0f;
    for (int c = threadIdx.x; c < d; c += team) {
        const float e = __fsub_rn(TT::to_f32(row[c]), mean);
        s1 += e;
        s2 += e * e;
    }
    s1 = bt_team_reduce<BtSumOp>(s1, team, scratch);
    s2 = bt_team_reduce<BtSumOp>(s2, team, scratch);
    const float correction = __fdiv_rn(s1, (float)d);
    const float variance = fmaxf(0.0f, __fsub_rn(__fdiv_rn(s2, (float)d), __fmul_rn(correction, correction)));
    const float rstd = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(variance, eps)));
    const u64 batch = MODULATED ? (u64)blockIdx.x / (u64)p.rows_per_batch * (u64)p.mod_stride : 0;
    for (int c = threadIdx.x; c < d; c += team) {
        const float centred = __fmul_rn(__fsub_rn(__fsub_rn(TT::to_f32(row[c]), mean), correction), rstd);
        float y;
        if (MODULATED) {
            float sh[1], sc[1];
            bt_param_load<TT, 1>(p.shift, p.mod_type, batch + c, 0.0f, sh);
            bt_param_load<TT, 1>(p.scale, p.mod_type, batch + c, 0.0f, sc);
            const float m = bt_round<TT>(__fmul_rn(bt_round<TT>(__fadd_rn(sc[0], 1.0f)), bt_round<TT>(centred)));
            y = __fadd_rn(m, sh[0]);
        } else {
            float w[1], b[1];
            bt_param_load<TT, 1>(p.weight, p.weight_type, c, 1.0f, w);
            bt_param_load<TT, 1>(p.bias, p.bias_type, c, 0.0f, b);
            y = p.weight != nullptr ? __fmul_rn(centred, w[0]) : centred;
            if (p.bias != nullptr) y = __fadd_rn(y, b[0]);
        }
        out[base + c] = TT::from_f32(y);
    }
}

template <typename TT>
__device__ __forceinline__ void bt_rms_norm_big(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out,
                                                int d, float eps, const BtNormParams& p) {
    __shared__ float scratch[33];
    const int team = blockDim.x;
    const u64 base = (u64)blockIdx.x * (u64)d;
    float s = 0.0f;
    for (int c = threadIdx.x; c < d; c += team) { const float e = TT::to_f32(x[base + c]); s += e * e; }
    const float ms = __fdiv_rn(bt_team_reduce<BtSumOp>(s, team, scratch), (float)d);
    const float scale = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(ms, eps)));
    for (int c = threadIdx.x; c < d; c += team) {
        float w[1];
        bt_param_load<TT, 1>(p.weight, p.weight_type, c, 1.0f, w);
        const float y = __fmul_rn(TT::to_f32(x[base + c]), scale);
        out[base + c] = TT::from_f32(p.weight != nullptr ? __fmul_rn(y, w[0]) : y);
    }
}

#define BT_NORMS(NAME, TT)                                                                                          \
    extern "C" __global__ void bantam_layer_norm_v_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out,     \
                                                          int rows, int d, int team, float eps, BtNormParams p) {   \
        bt_layer_norm_row<TT, 16 / sizeof(TT::T), false>(x, out, rows, d, team, eps, p);                            \
    }                                                                                                               \
    extern "C" __global__ void bantam_layer_norm_s_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out,     \
                                                          int rows, int d, int team, float eps, BtNormParams p) {   \
        bt_layer_norm_row<TT, 1, false>(x, out, rows, d, team, eps, p);                                             \
    }                                                                                                               \
    extern "C" __global__ void bantam_layer_norm_big_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out,   \
                                                            int d, float eps, BtNormParams p) {                     \
        bt_layer_norm_big<TT, false>(x, out, d, eps, p);                                                            \
    }                                                                                                               \
    extern "C" __global__ void bantam_modulated_layer_norm_v_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, \
                                                                    int rows, int d, int team, float eps, BtNormParams p) { \
        bt_layer_norm_row<TT, 16 / sizeof(TT::T), true>(x, out, rows, d, team, eps, p);                             \
    }                                                                                                               \
    extern "C" __global__ void bantam_modulated_layer_norm_s_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, \
                                                                    int rows, int d, int team, float eps, BtNormParams p) { \
        bt_layer_norm_row<TT, 1, true>(x, out, rows, d, team, eps, p);                                              \
    }                                                                                                               \
    extern "C" __global__ void bantam_modulated_layer_norm_big_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, \
                                                                      int d, float eps, BtNormParams p) {          \
        bt_layer_norm_big<TT, true>(x, out, d, eps, p);                                                             \
    }                                                                                                               \
    extern "C" __global__ void bantam_rms_norm_v_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out,       \
                                                        int rows, int d, int team, float eps, BtNormParams p) {     \
        bt_rms_norm_row<TT, 16 / sizeof(TT::T)>(x, out, rows, d, team, eps, p);                                     \
    }                                                                                                               \
    extern "C" __global__ void bantam_rms_norm_s_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out,       \
                                                        int rows, int d, int team, float eps, BtNormParams p) {     \
        bt_rms_norm_row<TT, 1>(x, out, rows, d, team, eps, p);                                                      \
    }                                                                                                               \
    extern "C" __global__ void bantam_rms_norm_big_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out,     \
                                                          int d, float eps, BtNormParams p) {                       \
        bt_rms_norm_big<TT>(x, out, d, eps, p);                                                                     \
    }

BT_NORMS(f32, BtF32)
BT_NORMS(f16, BtF16)
BT_NORMS(bf16, BtBF16)

// ---------------------------------------------------------------------------------------------------------
// GroupNorm of x [N, C, S]: a group (sample n, group g) is the contiguous run of C/groups·S elements at
// (n·groups + g)·group_size. Three launches:
//  1. stats: grid (chunks, N·groups); each block takes a chunk of its group and writes the chunk's count,
//     mean and M2 = Σ(x − mean)² (the corrected two-pass moments of the chunk, the second pass from cache)
//     as f64 to `partials` [N·groups, chunks, 3].
//  2. finalize: one thread per group merges its chunks in f64 with the exact parallel-variance identity
//     (Chan et al.) M2 = Σ M2_c + n_c·(mean_c − mean)², like the CPU's merge of rows, and writes
//     (mean as two f32 parts hi + lo, rstd) to `stats` [N·groups, 3].
//  3. apply: every element, (x − hi − lo)·rstd·w[c] + b[c] in f32, rounded once; a block row per channel
//     row (vectors when S allows).

template <typename TT, int W>
__device__ __forceinline__ void bt_group_norm_stats(const typename TT::T* __restrict__ x, double* __restrict__ partials,
                                                    u64 group_size, u64 chunk) {
    __shared__ float scratch[33];
    const u64 group = blockIdx.y, index = blockIdx.x, chunks = gridDim.x;
    const u64 first = index * chunk;
    const u64 count = first < group_size ? (group_size - first < chunk ? group_size - first : chunk) : 0;
    const typename TT::T* p = x + group * group_size + first;
    const int team = blockDim.x;
    const u64 vectors = count / W;       // the host makes chunk and group_size multiples of W
    float s = 0.0f;
    for (u64 c = threadIdx.x; c < vectors; c += team) {
        float v[W];
        BtVec<TT, W>::load(p + c * W, v);
#pragma unroll
        for (int k = 0; k < W; ++k) s += v[k];
    }
    const float n = (float)count;
    const float mean = count > 0 ? __fdiv_rn(bt_team_reduce<BtSumOp>(s, team, scratch), n)
                                 : bt_team_reduce<BtSumOp>(0.0f, team, scratch);
    float s1 = 0.0f, s2 = 0.0f;
    for (u64 c = threadIdx.x; c < vectors; c += team) {
        float v[W];
        BtVec<TT, W>::load(p + c * W, v);
#pragma unroll
        for (int k = 0; k < W; ++k) {
            const float e = __fsub_rn(v[k], mean);
            s1 += e;
            s2 += e * e;
        }
    }
    s1 = bt_team_reduce<BtSumOp>(s1, team, scratch);
    s2 = bt_team_reduce<BtSumOp>(s2, team, scratch);
    if (threadIdx.x == 0) {
        double* out = partials + (group * chunks + index) * 3;
        const double nd = (double)count;
        out[0] = nd;
        out[1] = count > 0 ? (double)mean + (double)s1 / nd : 0.0;
        out[2] = count > 0 ? fmax(0.0, (double)s2 - (double)s1 * (double)s1 / nd) : 0.0;
    }
}

extern "C" __global__ void bantam_group_norm_finalize(const double* __restrict__ partials, float* __restrict__ stats,
                                                      int groups, int chunks, float eps) {
    const int g = blockIdx.x * blockDim.x + threadIdx.x;
    if (g >= groups) return;
    const double* p = partials + (u64)g * chunks * 3;
    double total = 0.0, weighted = 0.0;
    for (int c = 0; c < chunks; ++c) { total += p[3 * c]; weighted += p[3 * c] * p[3 * c + 1]; }
    const double mean = total > 0.0 ? weighted / total : 0.0;
    double m2 = 0.0;
    for (int c = 0; c < chunks; ++c) {
        const double delta = p[3 * c + 1] - mean;
        m2 += p[3 * c + 2] + p[3 * c] * delta * delta;
    }
    const float variance = (float)(m2 / total);
    const float hi = (float)mean;
    stats[3 * g] = hi;
    stats[3 * g + 1] = (float)(mean - (double)hi);
    stats[3 * g + 2] = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(variance, eps)));
}

// Rows r = n·C + c of x [N·C, S]: grid.y walks rows (channel r % C, group r / (C/groups), so statistics and
// parameters are loaded once per row), grid.x and the threads walk the row in vectors of W.
template <typename TT, int W>
__device__ __forceinline__ void bt_group_norm_apply(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out,
                                                    const float* __restrict__ stats, u64 rows, u64 s, u64 channels,
                                                    u64 per_group, const u8* weight, int weight_type, const u8* bias,
                                                    int bias_type) {
    const u64 vectors = s / W;
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 r = blockIdx.y; r < rows; r += gridDim.y) {
        const u64 channel = r % channels, group = r / per_group;
        const float hi = stats[3 * group], lo = stats[3 * group + 1], rstd = stats[3 * group + 2];
        float w[1], b[1];
        bt_param_load<TT, 1>(weight, weight_type, channel, 1.0f, w);
        bt_param_load<TT, 1>(bias, bias_type, channel, 0.0f, b);
        const typename TT::T* src = x + r * s;
        typename TT::T* dst = out + r * s;
        for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < vectors; i += step) {
            float v[W];
            BtVec<TT, W>::load(src + i * W, v);
#pragma unroll
            for (int k = 0; k < W; ++k)
                v[k] = __fadd_rn(__fmul_rn(__fmul_rn(__fsub_rn(__fsub_rn(v[k], hi), lo), rstd), w[0]), b[0]);
            BtVec<TT, W>::store(dst + i * W, v);
        }
    }
}

#define BT_GROUP_NORM(NAME, TT)                                                                                     \
    extern "C" __global__ void bantam_group_norm_stats_v_##NAME(const TT::T* __restrict__ x, double* __restrict__ partials, \
                                                                u64 group_size, u64 chunk) {                        \
        bt_group_norm_stats<TT, 16 / sizeof(TT::T)>(x, partials, group_size, chunk);                                \
    }                                                                                                               \
    extern "C" __global__ void bantam_group_norm_stats_s_##NAME(const TT::T* __restrict__ x, double* __restrict__ partials, \
                                                                u64 group_size, u64 chunk) {                        \
        bt_group_norm_stats<TT, 1>(x, partials, group_size, chunk);                                                 \
    }                                                                                                               \
    extern "C" __global__ void bantam_group_norm_apply_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, \
                                                              const float* __restrict__ stats, u64 rows, u64 s,     \
                                                              u64 channels, u64 per_group, const u8* weight,        \
                                                              int weight_type, const u8* bias, int bias_type,       \
                                                              int vectorized) {                                     \
        if (vectorized) bt_group_norm_apply<TT, 16 / sizeof(TT::T)>(x, out, stats, rows, s, channels, per_group,     \
                                                                   weight, weight_type, bias, bias_type);           \
        else bt_group_norm_apply<TT, 1>(x, out, stats, rows, s, channels, per_group, weight, weight_type, bias, bias_type); \
    }

BT_GROUP_NORM(f32, BtF32)
BT_GROUP_NORM(f16, BtF16)
BT_GROUP_NORM(bf16, BtBF16)
