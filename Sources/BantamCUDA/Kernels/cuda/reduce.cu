// sum, mean and max over one axis of x viewed as [outer, R, inner] (contiguous) -> out [outer, inner], whose
// dtype (f32, f16 or bf16, a code) may differ from x's. Host side: CUDABackend+Reduce.swift.
//
// Numerics: f32 accumulation. Each thread sums its share of the axis with Kahan compensation, and the
// threads' partial sums are combined in a tree, so the error stays near a few ulp of Σ|x| for any R (the CPU
// sums pairwise; the two agree to that level, not bit for bit). mean = sum / R (f32 division); max
// propagates NaN like torch's amax. An empty axis gives sum 0 and mean NaN (0/0), as on the CPU (the host
// refuses max of an empty axis).
//
//  - bantam_reduce_rows_*: inner = 1; a team of threads per row (a warp, or the block for long rows),
//    16-byte vectors when the row allows.
//  - bantam_reduce_columns_*: inner > 1; block (32, 8): threadIdx.x walks 32 neighbouring columns
//    (coalesced), threadIdx.y splits the axis in 8 interleaved parts, combined through shared memory; when
//    there are few column tiles, grid.z splits the axis further and bantam_reduce_finish combines the
//    splits' f32 partials in order.

#define BT_R_SUM 0
#define BT_R_MEAN 1
#define BT_R_MAX 2

// Running sum with Kahan compensation, or running NaN-propagating max.
struct BtAccumulator {
    float value, compensation;
    bool is_max;
    __device__ __forceinline__ BtAccumulator(bool max) : value(max ? -__int_as_float(0x7f800000) : 0.0f), compensation(0.0f), is_max(max) {}
    __device__ __forceinline__ void add(float v) {
        if (is_max) {
            value = bt_nan_max(value, v);
        } else {
            const float y = __fsub_rn(v, compensation);
            const float t = __fadd_rn(value, y);
            compensation = __fsub_rn(__fsub_rn(t, value), y);
            value = t;
        }
    }
};

template <typename TT, int W>
__device__ __forceinline__ void bt_reduce_rows(const typename TT::T* __restrict__ x, u8* __restrict__ out, int out_type,
                                               u64 rows, u64 length, int team, int op) {
    __shared__ float scratch[33];
    u64 row;
    int lane;
    if (team <= 32) {
        row = (u64)blockIdx.x * (blockDim.x / team) + threadIdx.x / team;
        lane = threadIdx.x % team;
    } else {
        row = blockIdx.x;
        lane = threadIdx.x;
    }
    const bool active = row < rows;
    const bool is_max = op == BT_R_MAX;
    BtAccumulator acc(is_max);
    if (active) {
        const typename TT::T* p = x + row * length;
        const u64 vectors = length / W;
        // Four vectors in flight per thread before they are accumulated.
        for (u64 c = lane; c < vectors; c += 4 * (u64)team) {
            float v[4][W];
#pragma unroll
            for (int u = 0; u < 4; ++u)
                if (c + u * team < vectors) BtVec<TT, W>::load(p + (c + u * team) * W, v[u]);
#pragma unroll
            for (int u = 0; u < 4; ++u)
                if (c + u * team < vectors) {
#pragma unroll
                    for (int k = 0; k < W; ++k) acc.add(v[u][k]);
                }
        }
    }
    const float total = is_max ? bt_team_reduce<BtMaxOp>(acc.value, team, scratch)
                               : bt_team_reduce<BtSumOp>(__fsub_rn(acc.value, acc.compensation), team, scratch);
    if (active && lane == 0) {
        const float result = op == BT_R_MEAN ? __fdiv_rn(total, (float)length) : total;
        bt_store_f32(out + row * (out_type == BT_F32 ? 4 : 2), out_type, result);
    }
}

// Columns: grid (column tiles of 32, outer (looped), splits of the axis). Each block reduces rows
// [z·chunk, (z+1)·chunk) of its 32 columns (threadIdx.y takes every 8th row, four loads in flight), combines
// its 8 parts in a fixed tree, and writes the result (one split) or an f32 partial to
// partials[z][o][column], which bantam_reduce_finish combines in split order.
template <typename TT>
__device__ __forceinline__ void bt_reduce_columns(const typename TT::T* __restrict__ x, u8* __restrict__ out, int out_type,
                                                  float* __restrict__ partials, u64 outer, u64 length, u64 inner,
                                                  u64 chunk, int op) {
    __shared__ float partial[8][33];
    const bool is_max = op == BT_R_MAX;
    const u64 column = (u64)blockIdx.x * 32 + threadIdx.x;
    const u64 first = (u64)blockIdx.z * chunk;
    const u64 last = first + chunk < length ? first + chunk : length;
    for (u64 o = blockIdx.y; o < outer; o += gridDim.y) {
        BtAccumulator acc(is_max);
        if (column < inner) {
            const typename TT::T* p = x + o * length * inner + column;
            for (u64 r = first + threadIdx.y; r < last; r += 32) {
                float v[4];
#pragma unroll
                for (int u = 0; u < 4; ++u) v[u] = r + 8 * u < last ? TT::to_f32(p[(r + 8 * u) * inner]) : 0.0f;
#pragma unroll
                for (int u = 0; u < 4; ++u)
                    if (r + 8 * u < last) acc.add(v[u]);
            }
        }
        partial[threadIdx.y][threadIdx.x] = is_max ? acc.value : __fsub_rn(acc.value, acc.compensation);
        __syncthreads();
        if (threadIdx.y == 0 && column < inner) {
            float total = partial[0][threadIdx.x];
            if (is_max) {
                for (int k = 1; k < 8; ++k) total = bt_nan_max(total, partial[k][threadIdx.x]);
            } else {
                // A fixed tree over the 8 parts.
                const float a = __fadd_rn(partial[0][threadIdx.x], partial[1][threadIdx.x]);
                const float b = __fadd_rn(partial[2][threadIdx.x], partial[3][threadIdx.x]);
                const float c = __fadd_rn(partial[4][threadIdx.x], partial[5][threadIdx.x]);
                const float d = __fadd_rn(partial[6][threadIdx.x], partial[7][threadIdx.x]);
                total = __fadd_rn(__fadd_rn(a, b), __fadd_rn(c, d));
            }
            if (gridDim.z > 1) {
                partials[((u64)blockIdx.z * outer + o) * inner + column] = total;
            } else {
                if (op == BT_R_MEAN) total = __fdiv_rn(total, (float)length);
                bt_store_f32(out + (o * inner + column) * (out_type == BT_F32 ? 4 : 2), out_type, total);
            }
        }
        __syncthreads();
    }
}

// Combines the splits' partials [splits, outer·inner] in order (Kahan) and stores the results.
extern "C" __global__ void bantam_reduce_finish(const float* __restrict__ partials, u8* __restrict__ out, int out_type,
                                                u64 count, u64 length, int splits, int op) {
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        BtAccumulator acc(op == BT_R_MAX);
        for (int z = 0; z < splits; ++z) acc.add(partials[(u64)z * count + i]);
        float total = op == BT_R_MAX ? acc.value : __fsub_rn(acc.value, acc.compensation);
        if (op == BT_R_MEAN) total = __fdiv_rn(total, (float)length);
        bt_store_f32(out + i * (out_type == BT_F32 ? 4 : 2), out_type, total);
    }
}

#define BT_REDUCE(NAME, TT)                                                                                         \
    extern "C" __global__ void bantam_reduce_rows_v_##NAME(const TT::T* __restrict__ x, u8* __restrict__ out,      \
                                                           int out_type, u64 rows, u64 length, int team, int op) {  \
        bt_reduce_rows<TT, 16 / sizeof(TT::T)>(x, out, out_type, rows, length, team, op);                           \
    }                                                                                                               \
    extern "C" __global__ void bantam_reduce_rows_s_##NAME(const TT::T* __restrict__ x, u8* __restrict__ out,      \
                                                           int out_type, u64 rows, u64 length, int team, int op) {  \
        bt_reduce_rows<TT, 1>(x, out, out_type, rows, length, team, op);                                            \
    }                                                                                                               \
    extern "C" __global__ void bantam_reduce_columns_##NAME(const TT::T* __restrict__ x, u8* __restrict__ out,     \
                                                            int out_type, float* __restrict__ partials, u64 outer,  \
                                                            u64 length, u64 inner, u64 chunk, int op) {             \
        bt_reduce_columns<TT>(x, out, out_type, partials, outer, length, inner, chunk, op);                         \
    }

BT_REDUCE(f32, BtF32)
BT_REDUCE(f16, BtF16)
BT_REDUCE(bf16, BtBF16)
