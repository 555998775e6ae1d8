// Softmax over the last axis: y = e^(x − max) / Σ e^(x − max), in f32, rounded once (the CPU backend's
// formula, Sources/BantamCPU/Kernels/Softmax.swift). Unlike the CPU, each element is multiplied by the
// reciprocal of the sum (one IEEE division per row instead of per element, which would cost more than the
// memory traffic): within 1.5 f32 ulp of the division, inside the stated tolerance.
// Host side: CUDABackend+Softmax.swift. torch's edge cases come out of the arithmetic as on the CPU: a NaN
// or +inf in the row makes the max or the sum NaN; an all −inf row gives −inf − (−inf) = NaN; −inf next
// to finite values gives exactly 0.
//
// Same structure as the row norms (norms.cu): a team of threads keeps its row in registers (`_v` 16-byte
// vectors, `_s` single elements); `_big` rows re-read global memory per pass.

#define BT_SOFTMAX_VPT 4

template <typename TT, int W>
__device__ __forceinline__ void bt_softmax_row(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out,
                                               int rows, int d, int team) {
    __shared__ float scratch[33];
    int row, lane;
    if (team <= 32) {
        row = blockIdx.x * (blockDim.x / team) + threadIdx.x / team;
        lane = threadIdx.x % team;
    } else {
        row = blockIdx.x;
        lane = threadIdx.x;
    }
    const bool active = row < rows;
    const int vectors = d / W;
    const u64 base = (u64)(active ? row : 0) * (u64)d;
    const float negative_infinity = -__int_as_float(0x7f800000);
    float v[BT_SOFTMAX_VPT][W];
    float m = negative_infinity;
#pragma unroll
    for (int j = 0; j < BT_SOFTMAX_VPT; ++j) {
        const int c = lane + j * team;
        if (active && c < vectors) {
            BtVec<TT, W>::load(x + base + (u64)c * W, v[j]);
#pragma unroll
            for (int k = 0; k < W; ++k) m = bt_nan_max(m, v[j][k]);
        }
    }
    m = bt_team_reduce<BtMaxOp>(m, team, scratch);
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < BT_SOFTMAX_VPT; ++j) {
        if (lane + j * team < vectors) {
#pragma unroll
            for (int k = 0; k < W; ++k) {
                v[j][k] = expf(__fsub_rn(v[j][k], m));
                s += v[j][k];
            }
        }
    }
    const float inverse = __fdiv_rn(1.0f, bt_team_reduce<BtSumOp>(s, team, scratch));
    if (!active) return;
#pragma unroll
    for (int j = 0; j < BT_SOFTMAX_VPT; ++j) {
        const int c = lane + j * team;
        if (c < vectors) {
#pragma unroll
            for (int k = 0; k < W; ++k) v[j][k] = __fmul_rn(v[j][k], inverse);
            BtVec<TT, W>::store(out + base + (u64)c * W, v[j]);
        }
    }
}

template <typename TT>
__device__ __forceinline__ void bt_softmax_big(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out, int d) {
    __shared__ float scratch[33];
    const int team = blockDim.x;
    const u64 base = (u64)blockIdx.x * (u64)d;
    float m = -__int_as_float(0x7f800000);
    for (int c = threadIdx.x; c < d; c += team) m = bt_nan_max(m, TT::to_f32(x[base + c]));
    m = bt_team_reduce<BtMaxOp>(m, team, scratch);
    float s = 0.0f;
    for (int c = threadIdx.x; c < d; c += team) s += expf(__fsub_rn(TT::to_f32(x[base + c]), m));
    const float inverse = __fdiv_rn(1.0f, bt_team_reduce<BtSumOp>(s, team, scratch));
    for (int c = threadIdx.x; c < d; c += team)
        out[base + c] = TT::from_f32(__fmul_rn(expf(__fsub_rn(TT::to_f32(x[base + c]), m)), inverse));
}

#define BT_SOFTMAX(NAME, TT)                                                                                        \
    extern "C" __global__ void bantam_softmax_v_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, int rows, \
                                                       int d, int team) {                                           \
        bt_softmax_row<TT, 16 / sizeof(TT::T)>(x, out, rows, d, team);                                              \
    }                                                                                                               \
    extern "C" __global__ void bantam_softmax_s_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, int rows, \
                                                       int d, int team) {                                           \
        bt_softmax_row<TT, 1>(x, out, rows, d, team);                                                               \
    }                                                                                                               \
    extern "C" __global__ void bantam_softmax_big_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, int d) { \
        bt_softmax_big<TT>(x, out, d);                                                                              \
    }

BT_SOFTMAX(f32, BtF32)
BT_SOFTMAX(f16, BtF16)
BT_SOFTMAX(bf16, BtBF16)
