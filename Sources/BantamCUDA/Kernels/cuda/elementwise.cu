// Element-wise ops: unary functions (and the scalar affine map x·scale + shift), binary ops with
// broadcasting, and the fused gated residual x + gate·y. Host side: CUDABackend+Elementwise.swift.
//
// Numerics follow the CPU backend (Sources/BantamCPU/Kernels/Unary.swift, Binary.swift, Affine.swift):
// inputs decoded to f32, the same f32 formula, one rounding on store. Products and sums that the CPU keeps
// separate use __fmul_rn/__fadd_rn so the compiler cannot contract them into a fused multiply-add (which
// would round differently). Transcendentals are CUDA's accurate expf/tanhf/erff (within 2 ulp, vs libm's
// 1 ulp on the CPU), so those ops agree to a few f32 ulp, not bit for bit.
//
// Paths (chosen on the host):
//  - contiguous: every operand dense and 16-byte aligned; one 16-byte vector per step (4 f32, 8 f16/bf16),
//    grid-stride loop, scalar tail. Templated per dtype.
//  - row broadcast (binary, gated residual): out and the full operand dense; the other operand is a row of
//    D elements (stride 1), the same for L consecutive rows, stepping by `batch_stride` every L rows (a
//    bias [D] over [rows, D], FLUX's modulation [B, 1, D] over [B, L, D]).
//  - strided: any strides (rank <= 6 after merging axes), any float dtypes per operand, one element per step.

// Unary op codes (Swift: UnaryOp.cudaCode); 13 is the scalar affine map.
#define BT_U_GELU_TANH 0
#define BT_U_GELU_ERF 1
#define BT_U_SILU 2
#define BT_U_SIGMOID 3
#define BT_U_QUICK_GELU 4
#define BT_U_RELU 5
#define BT_U_EXP 6
#define BT_U_TANH 7
#define BT_U_SQRT 8
#define BT_U_RSQRT 9
#define BT_U_SQUARE 10
#define BT_U_NEG 11
#define BT_U_ABS 12
#define BT_U_AFFINE 13

// 1/(1 + e^(−x)) without overflow (the CPU's formula): for x < 0, e^x/(1 + e^x).
__device__ __forceinline__ float bt_sigmoid(float x) {
    if (x >= 0.0f) return __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-x)));
    const float e = expf(x);
    return __fdiv_rn(e, __fadd_rn(1.0f, e));
}

// One unary function of x; `scale`, `shift` only for BT_U_AFFINE.
__device__ __forceinline__ float bt_unary(int op, float x, float scale, float shift) {
    switch (op) {
    case BT_U_GELU_TANH: {
        // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), term by term as PyTorch and the CPU.
        const float cube = __fmul_rn(__fmul_rn(x, x), x);
        const float inner = __fmul_rn(0.7978845608028654f, __fadd_rn(x, __fmul_rn(0.044715f, cube)));
        return __fmul_rn(__fmul_rn(0.5f, x), __fadd_rn(1.0f, tanhf(inner)));
    }
    case BT_U_GELU_ERF:
        return __fmul_rn(__fmul_rn(0.5f, x), __fadd_rn(1.0f, erff(__fmul_rn(x, 0.7071067811865476f))));
    case BT_U_SILU: return __fmul_rn(x, bt_sigmoid(x));
    case BT_U_SIGMOID: return bt_sigmoid(x);
    case BT_U_QUICK_GELU: return __fmul_rn(x, bt_sigmoid(__fmul_rn(1.702f, x)));
    case BT_U_RELU: return x < 0.0f ? 0.0f : x;                 // keeps NaN and −0, like torch.relu
    case BT_U_EXP: return expf(x);
    case BT_U_TANH: return tanhf(x);
    case BT_U_SQRT: return __fsqrt_rn(x);
    case BT_U_RSQRT: return __fdiv_rn(1.0f, __fsqrt_rn(x));     // two roundings, like the CPU
    case BT_U_SQUARE: return __fmul_rn(x, x);
    case BT_U_NEG: return -x;
    case BT_U_ABS: return fabsf(x);
    default: return __fmaf_rn(x, scale, shift);                 // affine: one rounding of x·scale + shift
    }
}

// Applies the op to N values; the switch sits outside the per-element loop (op is uniform per launch).
template <int N>
__device__ __forceinline__ void bt_unary_vec(int op, float (&v)[N], float scale, float shift) {
    switch (op) {
#define BT_UNARY_CASE(CODE) case CODE: _Pragma("unroll") for (int k = 0; k < N; ++k) v[k] = bt_unary(CODE, v[k], scale, shift); break;
    BT_UNARY_CASE(BT_U_GELU_TANH) BT_UNARY_CASE(BT_U_GELU_ERF) BT_UNARY_CASE(BT_U_SILU) BT_UNARY_CASE(BT_U_SIGMOID)
    BT_UNARY_CASE(BT_U_QUICK_GELU) BT_UNARY_CASE(BT_U_RELU) BT_UNARY_CASE(BT_U_EXP) BT_UNARY_CASE(BT_U_TANH)
    BT_UNARY_CASE(BT_U_SQRT) BT_UNARY_CASE(BT_U_RSQRT) BT_UNARY_CASE(BT_U_SQUARE) BT_UNARY_CASE(BT_U_NEG)
    BT_UNARY_CASE(BT_U_ABS)
#undef BT_UNARY_CASE
    default:
#pragma unroll
        for (int k = 0; k < N; ++k) v[k] = __fmaf_rn(v[k], scale, shift);
        break;
    }
}

// Binary op codes (Swift: BinaryOp.cudaCode).
#define BT_B_ADD 0
#define BT_B_SUB 1
#define BT_B_MUL 2
#define BT_B_DIV 3
#define BT_B_MAX 4
#define BT_B_MIN 5

__device__ __forceinline__ float bt_binary(int op, float x, float y) {
    switch (op) {
    case BT_B_ADD: return __fadd_rn(x, y);
    case BT_B_SUB: return __fsub_rn(x, y);
    case BT_B_MUL: return __fmul_rn(x, y);
    case BT_B_DIV: return __fdiv_rn(x, y);
    // NaN in either input gives NaN (torch.maximum/minimum); between equal values the first input wins.
    case BT_B_MAX: return (x >= y || x != x) ? x : y;
    default: return (x <= y || x != x) ? x : y;
    }
}

template <int N>
__device__ __forceinline__ void bt_binary_vec(int op, float (&x)[N], const float (&y)[N]) {
    switch (op) {
#define BT_BINARY_CASE(CODE) case CODE: _Pragma("unroll") for (int k = 0; k < N; ++k) x[k] = bt_binary(CODE, x[k], y[k]); break;
    BT_BINARY_CASE(BT_B_ADD) BT_BINARY_CASE(BT_B_SUB) BT_BINARY_CASE(BT_B_MUL) BT_BINARY_CASE(BT_B_DIV)
    BT_BINARY_CASE(BT_B_MAX)
#undef BT_BINARY_CASE
    default:
#pragma unroll
        for (int k = 0; k < N; ++k) x[k] = bt_binary(BT_B_MIN, x[k], y[k]);
        break;
    }
}

// ---------------------------------------------------------------------------------------------------------
// Contiguous paths: V = 16 / sizeof(T) elements per step.

template <typename TT>
__device__ __forceinline__ void bt_unary_contiguous(const typename TT::T* __restrict__ x, typename TT::T* __restrict__ out,
                                                    u64 count, int op, float scale, float shift) {
    constexpr int V = 16 / sizeof(typename TT::T);
    const u64 vectors = count / V;
    const u64 thread = (u64)blockIdx.x * blockDim.x + threadIdx.x, step = (u64)gridDim.x * blockDim.x;
    for (u64 i = thread; i < vectors; i += step) {
        float v[V];
        BtVec<TT, V>::load(x + i * V, v);
        bt_unary_vec<V>(op, v, scale, shift);
        BtVec<TT, V>::store(out + i * V, v);
    }
    const u64 tail = vectors * V + thread;
    if (tail < count) out[tail] = TT::from_f32(bt_unary(op, TT::to_f32(x[tail]), scale, shift));
}

template <typename TT>
__device__ __forceinline__ void bt_binary_contiguous(const typename TT::T* __restrict__ a, const typename TT::T* __restrict__ b,
                                                     typename TT::T* __restrict__ out, u64 count, int op) {
    constexpr int V = 16 / sizeof(typename TT::T);
    const u64 vectors = count / V;
    const u64 thread = (u64)blockIdx.x * blockDim.x + threadIdx.x, step = (u64)gridDim.x * blockDim.x;
    for (u64 i = thread; i < vectors; i += step) {
        float x[V], y[V];
        BtVec<TT, V>::load(a + i * V, x);
        BtVec<TT, V>::load(b + i * V, y);
        bt_binary_vec<V>(op, x, y);
        BtVec<TT, V>::store(out + i * V, x);
    }
    const u64 tail = vectors * V + thread;
    if (tail < count) out[tail] = TT::from_f32(bt_binary(op, TT::to_f32(a[tail]), TT::to_f32(b[tail])));
}

// Row broadcast: `full` and out are dense [count]; the row operand's element for index i is
// row[(i / (rows_per_batch·D))·batch_stride + i % D]. `row_first`: the row is the op's first operand.
// Vectorized when D and batch_stride are multiples of V (the host checks, else passes vector = 1).
// Index is u32 when every index fits (cheaper divisions), else u64.
template <typename TT, int V, typename Index>
__device__ __forceinline__ void bt_binary_row(const typename TT::T* __restrict__ full, const typename TT::T* __restrict__ row,
                                              typename TT::T* __restrict__ out, Index count, Index d, Index batch_span,
                                              Index batch_stride, int op, int row_first) {
    const Index vectors = count / V;
    const Index thread = (Index)blockIdx.x * blockDim.x + threadIdx.x, step = (Index)gridDim.x * blockDim.x;
    for (Index i = thread; i < vectors; i += step) {
        const Index e = i * V;
        const Index r = (e / batch_span) * batch_stride + e % d;
        float x[V], y[V];
        BtVec<TT, V>::load(full + e, x);
        BtVec<TT, V>::load(row + r, y);
        if (row_first) {
            bt_binary_vec<V>(op, y, x);
            BtVec<TT, V>::store(out + e, y);
        } else {
            bt_binary_vec<V>(op, x, y);
            BtVec<TT, V>::store(out + e, x);
        }
    }
}

// Gated residual out = x + gate·y (x, y, out dense [B·L·D]; gate row as in bt_binary_row), with the rounding
// points of the composition `x + gate * y`: the product is rounded to T before the sum.
template <typename TT, int V, typename Index>
__device__ __forceinline__ void bt_gated_residual(const typename TT::T* __restrict__ x, const typename TT::T* __restrict__ gate,
                                                  const typename TT::T* __restrict__ y, typename TT::T* __restrict__ out,
                                                  Index count, Index d, Index batch_span, Index batch_stride) {
    const Index vectors = count / V;
    const Index thread = (Index)blockIdx.x * blockDim.x + threadIdx.x, step = (Index)gridDim.x * blockDim.x;
    for (Index i = thread; i < vectors; i += step) {
        const Index e = i * V;
        const Index r = (e / batch_span) * batch_stride + e % d;
        float a[V], g[V], b[V];
        BtVec<TT, V>::load(x + e, a);
        BtVec<TT, V>::load(y + e, b);
        BtVec<TT, V>::load(gate + r, g);
#pragma unroll
        for (int k = 0; k < V; ++k) a[k] = __fadd_rn(a[k], bt_round<TT>(__fmul_rn(g[k], b[k])));
        BtVec<TT, V>::store(out + e, a);
    }
}

#define BT_ELEMENTWISE(NAME, TT)                                                                                   \
    extern "C" __global__ void bantam_unary_##NAME(const TT::T* __restrict__ x, TT::T* __restrict__ out, u64 count, \
                                                   int op, float scale, float shift) {                            \
        bt_unary_contiguous<TT>(x, out, count, op, scale, shift);                                                 \
    }                                                                                                              \
    extern "C" __global__ void bantam_binary_##NAME(const TT::T* __restrict__ a, const TT::T* __restrict__ b,      \
                                                    TT::T* __restrict__ out, u64 count, int op) {                 \
        bt_binary_contiguous<TT>(a, b, out, count, op);                                                           \
    }                                                                                                              \
    extern "C" __global__ void bantam_binary_row_##NAME(const TT::T* __restrict__ full, const TT::T* __restrict__ row, \
                                                        TT::T* __restrict__ out, u32 count, u32 d, u32 batch_span,  \
                                                        u32 batch_stride, int op, int row_first, int vectorized) {  \
        if (vectorized) bt_binary_row<TT, 16 / sizeof(TT::T), u32>(full, row, out, count, d, batch_span, batch_stride, op, row_first); \
        else bt_binary_row<TT, 1, u32>(full, row, out, count, d, batch_span, batch_stride, op, row_first);        \
    }                                                                                                              \
    extern "C" __global__ void bantam_binary_row64_##NAME(const TT::T* __restrict__ full, const TT::T* __restrict__ row, \
                                                          TT::T* __restrict__ out, u64 count, u64 d, u64 batch_span, \
                                                          u64 batch_stride, int op, int row_first, int vectorized) { \
        if (vectorized) bt_binary_row<TT, 16 / sizeof(TT::T), u64>(full, row, out, count, d, batch_span, batch_stride, op, row_first); \
        else bt_binary_row<TT, 1, u64>(full, row, out, count, d, batch_span, batch_stride, op, row_first);        \
    }                                                                                                              \
    extern "C" __global__ void bantam_gated_residual_##NAME(const TT::T* __restrict__ x, const TT::T* __restrict__ gate, \
                                                            const TT::T* __restrict__ y, TT::T* __restrict__ out,     \
                                                            u64 count, u64 d, u64 batch_span, u64 batch_stride,       \
                                                            int vectorized) {                                         \
        if (count <= 0xffffffffull) {                                                                              \
            if (vectorized) bt_gated_residual<TT, 16 / sizeof(TT::T), u32>(x, gate, y, out, (u32)count, (u32)d, (u32)batch_span, (u32)batch_stride); \
            else bt_gated_residual<TT, 1, u32>(x, gate, y, out, (u32)count, (u32)d, (u32)batch_span, (u32)batch_stride); \
        } else {                                                                                                   \
            if (vectorized) bt_gated_residual<TT, 16 / sizeof(TT::T), u64>(x, gate, y, out, count, d, batch_span, batch_stride); \
            else bt_gated_residual<TT, 1, u64>(x, gate, y, out, count, d, batch_span, batch_stride);              \
        }                                                                                                          \
    }

BT_ELEMENTWISE(f32, BtF32)
BT_ELEMENTWISE(f16, BtF16)
BT_ELEMENTWISE(bf16, BtBF16)

// ---------------------------------------------------------------------------------------------------------
// Strided paths: any strides, dtype codes per operand (f32/f16/bf16 and the others bt_load_f32 reads).

// Up to three operands over merged axes (C layout; Swift builds it with KernelStruct in this order).
struct BtEwDesc {
    i64 sizes[BT_MAX_RANK];
    i64 strides[3][BT_MAX_RANK];
    i32 rank;
    i32 types[3];
    i32 widths[3];   // bytes per element
};

template <typename Index>
__device__ __forceinline__ void bt_offsets(Index i, const BtEwDesc& d, int operands, Index (&offsets)[3]) {
    offsets[0] = offsets[1] = offsets[2] = 0;
    for (int a = d.rank - 1; a >= 0; --a) {
        const Index size = (Index)d.sizes[a];
        const Index index = i % size;
        i /= size;
        for (int o = 0; o < operands; ++o) offsets[o] += index * (Index)d.strides[o][a];
    }
}

// out (operand 1) = op(x (operand 0)).
template <typename Index>
__device__ __forceinline__ void bt_unary_strided(const u8* __restrict__ x, u8* __restrict__ out, const BtEwDesc& d,
                                                 Index count, int op, float scale, float shift) {
    const Index step = (Index)gridDim.x * blockDim.x;
    for (Index i = (Index)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        Index o[3];
        bt_offsets<Index>(i, d, 2, o);
        const float v = bt_load_f32(x + (u64)o[0] * d.widths[0], d.types[0]);
        bt_store_f32(out + (u64)o[1] * d.widths[1], d.types[1], bt_unary(op, v, scale, shift));
    }
}

// out (operand 2) = op(a (operand 0), b (operand 1)).
template <typename Index>
__device__ __forceinline__ void bt_binary_strided(const u8* __restrict__ a, const u8* __restrict__ b, u8* __restrict__ out,
                                                  const BtEwDesc& d, Index count, int op) {
    const Index step = (Index)gridDim.x * blockDim.x;
    for (Index i = (Index)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        Index o[3];
        bt_offsets<Index>(i, d, 3, o);
        const float x = bt_load_f32(a + (u64)o[0] * d.widths[0], d.types[0]);
        const float y = bt_load_f32(b + (u64)o[1] * d.widths[1], d.types[1]);
        bt_store_f32(out + (u64)o[2] * d.widths[2], d.types[2], bt_binary(op, x, y));
    }
}

extern "C" __global__ void bantam_unary_strided_i32(const u8* __restrict__ x, u8* __restrict__ out, BtEwDesc d, u32 count,
                                                    int op, float scale, float shift) {
    bt_unary_strided<u32>(x, out, d, count, op, scale, shift);
}
extern "C" __global__ void bantam_unary_strided_i64(const u8* __restrict__ x, u8* __restrict__ out, BtEwDesc d, u64 count,
                                                    int op, float scale, float shift) {
    bt_unary_strided<u64>(x, out, d, count, op, scale, shift);
}
extern "C" __global__ void bantam_binary_strided_i32(const u8* __restrict__ a, const u8* __restrict__ b, u8* __restrict__ out,
                                                     BtEwDesc d, u32 count, int op) {
    bt_binary_strided<u32>(a, b, out, d, count, op);
}
extern "C" __global__ void bantam_binary_strided_i64(const u8* __restrict__ a, const u8* __restrict__ b, u8* __restrict__ out,
                                                     BtEwDesc d, u64 count, int op) {
    bt_binary_strided<u64>(a, b, out, d, count, op);
}
