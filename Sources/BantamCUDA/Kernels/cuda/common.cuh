// Bantam's common device header. It is prepended to every kernel file before NVRTC compiles it, so kernels
// need no CUDA toolkit header (users' NVRTC installs, pip wheels in particular, may ship none).
//
// What it gives kernel authors:
//   - fixed-width integer names (u8 ... i64) and BT_* dtype codes matching `DType.cudaCode` in Swift;
//   - bit-exact conversions between f32 and f16 / bf16 / fp8 (e4m3fn, e5m2), identical to the CPU
//     backend (BantamCore's FloatBits, i.e. torch 2.13's casts), NaN bit patterns included;
//   - element load/store by runtime dtype code (bt_load_f32, bt_store_f32, ...), for generic kernels;
//   - traits structs BtF32, BtF16, BtBF16, BtE4M3, BtE5M2 (storage type T, to_f32, from_f32) for templates;
//   - BtShape6 and bt_offset(): element offsets of a linear index in a strided view of rank <= 6.
// Every kernel is `extern "C" __global__` so Swift finds it by its plain name.

typedef unsigned char u8;
typedef signed char i8;
typedef unsigned short u16;
typedef short i16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;

// DType codes (Swift: DType.cudaCode).
#define BT_F64 0
#define BT_F32 1
#define BT_F16 2
#define BT_BF16 3
#define BT_E4M3 4
#define BT_E5M2 5
#define BT_I64 6
#define BT_I32 7
#define BT_I16 8
#define BT_I8 9
#define BT_U8 10
#define BT_BOOL 11

#define BT_MAX_RANK 6

// 16 bytes, for vectorized copies (one 128-bit load or store).
struct __align__(16) bt_u128 { u64 lo, hi; };

// ---------------------------------------------------------------------------------------------------------
// Scalar conversions. Explicit __fadd_rn keeps the compiler from fusing or reordering the few float
// operations the exact algorithms rely on.

// f32 -> bf16, round to nearest even; NaN -> 0x7FC0 (c10's scalar path, as the CPU backend).
__device__ __forceinline__ u16 bt_f32_to_bf16(float x) {
    u32 b = __float_as_uint(x);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (u16)0x7fc0;
    u32 bias = ((b >> 16) & 1u) + 0x7fffu;
    return (u16)((b + bias) >> 16);
}

__device__ __forceinline__ float bt_bf16_to_f32(u16 h) { return __uint_as_float(((u32)h) << 16); }

// f32 -> f16: the hardware conversion rounds to nearest even with IEEE overflow and subnormals; a NaN keeps
// its sign and top 10 payload bits with the quiet bit set (what x86 F16C, used by torch on the CPU, writes).
__device__ __forceinline__ u16 bt_f32_to_f16(float x) {
    u32 w = __float_as_uint(x);
    if ((w & 0x7fffffffu) > 0x7f800000u)
        return (u16)(((w >> 16) & 0x8000u) | 0x7e00u | ((w >> 13) & 0x3ffu));
    u16 r;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r) : "f"(x));
    return r;
}

// f16 -> f32, exact; a NaN keeps its payload and becomes quiet (as on the CPU).
__device__ __forceinline__ float bt_f16_to_f32(u16 h) {
    u32 sign = ((u32)h & 0x8000u) << 16;
    u32 nonsign = (u32)h & 0x7fffu;
    if (nonsign > 0x7c00u) return __uint_as_float(sign | 0x7fc00000u | ((nonsign & 0x3ffu) << 13));
    float r;
    asm("cvt.f32.f16 %0, %1;" : "=f"(r) : "h"(h));
    return r;
}

// f32 -> float8 e4m3fn, round to nearest even, saturating to +-448; NaN -> 0x7F | sign (torch 2.13).
__device__ __forceinline__ u8 bt_f32_to_e4m3(float x) {
    const u32 fp8_limit = 1087u << 20;      // 480.0f: first value past the e4m3fn range
    const u32 denorm_mask = 141u << 23;
    u32 f = __float_as_uint(x);
    u32 sign = f & 0x80000000u;
    f ^= sign;
    u32 r;
    if (f >= fp8_limit) {
        r = f > 0x7f800000u ? 0x7fu : 0x7eu;
    } else if (f < (121u << 23)) {
        // Below 2^-6: the FPU rounds the subnormal when a magic number is added.
        r = __float_as_uint(__fadd_rn(__uint_as_float(f), __uint_as_float(denorm_mask))) - denorm_mask;
    } else {
        u32 odd = (f >> 20) & 1u;
        f += ((u32)(7 - 127) << 23) + 0x7ffffu;
        f += odd;
        r = f >> 20;
        if (r == 0x7fu) r = 0x7eu;          // rounding carried into the NaN code: saturate
    }
    return (u8)(r | (sign >> 24));
}

__device__ __forceinline__ float bt_e4m3_to_f32(u8 b) {
    u32 w = ((u32)b) << 24;
    u32 sign = w & 0x80000000u;
    u32 nonsign = w & 0x7fffffffu;
    u32 renorm = (u32)__clz((int)nonsign);
    renorm = renorm > 4u ? renorm - 4u : 0u;
    u32 inf_nan_mask = ((u32)(((i32)(nonsign + 0x01000000u)) >> 8)) & 0x7f800000u;
    u32 zero_mask = (u32)(((i32)(nonsign - 1u)) >> 31);
    u32 body = ((nonsign << renorm) >> 4) + ((0x78u - renorm) << 23);
    return __uint_as_float(sign | ((body | inf_nan_mask) & ~zero_mask));
}

// f32 -> float8 e5m2, round to nearest even; |x| >= 65536 -> +-Inf; NaN -> 0x7F | sign.
__device__ __forceinline__ u8 bt_f32_to_e5m2(float x) {
    const u32 fp32_inf = 255u << 23;
    const u32 fp8_max = 143u << 23;         // 65536.0f
    const u32 denorm_mask = 134u << 23;
    u32 f = __float_as_uint(x);
    u32 sign = f & 0x80000000u;
    f ^= sign;
    u32 r;
    if (f >= fp8_max) {
        r = f > fp32_inf ? 0x7fu : 0x7cu;
    } else if (f < (113u << 23)) {
        r = __float_as_uint(__fadd_rn(__uint_as_float(f), __uint_as_float(denorm_mask))) - denorm_mask;
    } else {
        u32 odd = (f >> 21) & 1u;
        f += ((u32)(15 - 127) << 23) + 0xfffffu;
        f += odd;
        r = f >> 21;
    }
    return (u8)(r | (sign >> 24));
}

// e5m2 is the top byte of an f16.
__device__ __forceinline__ float bt_e5m2_to_f32(u8 b) { return bt_f16_to_f32((u16)(((u32)b) << 8)); }

// Float to integer as the CPU backend does it: truncate toward zero, clamp to the type's range, NaN -> 0.
__device__ __forceinline__ i64 bt_float_to_int_clamped(float v, float lo, float hi, i64 min_value, i64 max_value) {
    if (v != v) return 0;
    float t = truncf(v);
    if (t <= lo) return min_value;
    if (t >= hi) return max_value;
    return (i64)t;
}

// ---------------------------------------------------------------------------------------------------------
// Traits for templates: storage type and conversion through f32.

struct BtF32 {
    typedef float T;
    static __device__ __forceinline__ float to_f32(T v) { return v; }
    static __device__ __forceinline__ T from_f32(float v) { return v; }
};
struct BtF16 {
    typedef u16 T;
    static __device__ __forceinline__ float to_f32(T v) { return bt_f16_to_f32(v); }
    static __device__ __forceinline__ T from_f32(float v) { return bt_f32_to_f16(v); }
};
struct BtBF16 {
    typedef u16 T;
    static __device__ __forceinline__ float to_f32(T v) { return bt_bf16_to_f32(v); }
    static __device__ __forceinline__ T from_f32(float v) { return bt_f32_to_bf16(v); }
};
struct BtE4M3 {
    typedef u8 T;
    static __device__ __forceinline__ float to_f32(T v) { return bt_e4m3_to_f32(v); }
    static __device__ __forceinline__ T from_f32(float v) { return bt_f32_to_e4m3(v); }
};
struct BtE5M2 {
    typedef u8 T;
    static __device__ __forceinline__ float to_f32(T v) { return bt_e5m2_to_f32(v); }
    static __device__ __forceinline__ T from_f32(float v) { return bt_f32_to_e5m2(v); }
};

// ---------------------------------------------------------------------------------------------------------
// Elements by runtime dtype code (for generic kernels; the code is uniform across a launch, so the
// switches do not diverge).

__device__ __forceinline__ int bt_is_float(int t) { return t <= BT_E5M2; }

// One element as f32 (integers and f64 rounded to nearest).
__device__ __forceinline__ float bt_load_f32(const u8* p, int t) {
    switch (t) {
    case BT_F32: return *(const float*)p;
    case BT_F16: return bt_f16_to_f32(*(const u16*)p);
    case BT_BF16: return bt_bf16_to_f32(*(const u16*)p);
    case BT_E4M3: return bt_e4m3_to_f32(*p);
    case BT_E5M2: return bt_e5m2_to_f32(*p);
    case BT_F64: return __double2float_rn(*(const double*)p);
    case BT_I64: return (float)*(const i64*)p;
    case BT_I32: return (float)*(const i32*)p;
    case BT_I16: return (float)*(const i16*)p;
    case BT_I8: return (float)*(const i8*)p;
    default: return (float)*p;              // u8, bool
    }
}

// Stores an f32 as dtype t: floats round to nearest even, integers truncate and clamp, bool is v != 0.
__device__ __forceinline__ void bt_store_f32(u8* p, int t, float v) {
    switch (t) {
    case BT_F32: *(float*)p = v; break;
    case BT_F16: *(u16*)p = bt_f32_to_f16(v); break;
    case BT_BF16: *(u16*)p = bt_f32_to_bf16(v); break;
    case BT_E4M3: *p = bt_f32_to_e4m3(v); break;
    case BT_E5M2: *p = bt_f32_to_e5m2(v); break;
    case BT_F64: *(double*)p = (double)v; break;
    case BT_I64:
        *(i64*)p = bt_float_to_int_clamped(v, -9223372036854775808.0f, 9223372036854775808.0f,
                                           (i64)(-9223372036854775807LL - 1), 9223372036854775807LL);
        break;
    case BT_I32: *(i32*)p = (i32)bt_float_to_int_clamped(v, -2147483648.0f, 2147483648.0f, -2147483648LL, 2147483647LL); break;
    case BT_I16: *(i16*)p = (i16)bt_float_to_int_clamped(v, -32768.0f, 32767.0f, -32768, 32767); break;
    case BT_I8: *(i8*)p = (i8)bt_float_to_int_clamped(v, -128.0f, 127.0f, -128, 127); break;
    case BT_U8: *p = (u8)bt_float_to_int_clamped(v, 0.0f, 255.0f, 0, 255); break;
    default: *p = v != 0.0f ? 1 : 0; break; // bool (NaN is true)
    }
}

// One integer element, sign- or zero-extended.
__device__ __forceinline__ i64 bt_load_i64(const u8* p, int t) {
    switch (t) {
    case BT_I64: return *(const i64*)p;
    case BT_I32: return *(const i32*)p;
    case BT_I16: return *(const i16*)p;
    case BT_I8: return *(const i8*)p;
    default: return *p;                     // u8, bool
    }
}

// Stores an integer with wrap-around (bool: v != 0).
__device__ __forceinline__ void bt_store_i64(u8* p, int t, i64 v) {
    switch (t) {
    case BT_I64: *(i64*)p = v; break;
    case BT_I32: *(i32*)p = (i32)v; break;
    case BT_I16: *(i16*)p = (i16)v; break;
    case BT_I8: *(i8*)p = (i8)v; break;
    case BT_U8: *p = (u8)v; break;
    default: *p = v != 0 ? 1 : 0; break;
    }
}

// One element as f64: f64 itself, integers rounded to nearest, floats exactly.
__device__ __forceinline__ double bt_load_f64(const u8* p, int t) {
    if (t == BT_F64) return *(const double*)p;
    if (!bt_is_float(t)) return (double)bt_load_i64(p, t);
    return (double)bt_load_f32(p, t);
}

// Stores an f64 as f64, bool (v != 0) or an integer (truncated; NaN -> 0; out of the i64 range -> INT64_MIN;
// then wrapped to the width).
__device__ __forceinline__ void bt_store_f64(u8* p, int t, double v) {
    if (t == BT_F64) { *(double*)p = v; return; }
    if (t == BT_BOOL) { *p = v != 0.0 ? 1 : 0; return; }
    double truncated = v != v ? 0.0 : trunc(v);
    i64 wrapped = (truncated >= 9223372036854775808.0 || truncated < -9223372036854775808.0)
                      ? (i64)(-9223372036854775807LL - 1) : (i64)truncated;
    bt_store_i64(p, t, wrapped);
}

// ---------------------------------------------------------------------------------------------------------
// Strided views of rank <= 6 (after the host merged what it could). Sizes and strides are in elements,
// outermost first; unused trailing entries are ignored.

struct BtShape6 {
    i64 sizes[BT_MAX_RANK];
    i32 rank;
};

// Element offset of linear (row-major) index `i` in a view with `strides`.
template <typename Index>
__device__ __forceinline__ Index bt_offset(Index i, const i64* sizes, const i64* strides, int rank) {
    Index offset = 0;
    for (int a = rank - 1; a >= 0; --a) {
        Index size = (Index)sizes[a];
        Index index = i % size;
        i /= size;
        offset += index * (Index)strides[a];
    }
    return offset;
}

// ---------------------------------------------------------------------------------------------------------
// Vectors and row reductions, shared by the element-wise, norm, softmax, rope and reduce families.

template <typename A, typename B> struct BtSame { static constexpr bool value = false; };
template <typename A> struct BtSame<A, A> { static constexpr bool value = true; };

// Two floats to two bf16 / f16 in one instruction (cvt.rn.{bf16x2,f16x2}.f32, sm_80+): round to nearest
// even like the scalar conversions above, which they equal for every non-NaN input (overflow and
// subnormals included). The hardware writes a canonical NaN, so a pair holding a NaN takes the scalar
// path to keep the CPU backend's NaN bits. `lo` lands in the low half.
__device__ __forceinline__ u32 bt_pack_bf16(float lo, float hi) {
    if ((lo != lo) | (hi != hi)) return (u32)bt_f32_to_bf16(lo) | ((u32)bt_f32_to_bf16(hi) << 16);
    u32 r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
__device__ __forceinline__ u32 bt_pack_f16(float lo, float hi) {
    if ((lo != lo) | (hi != hi)) return (u32)bt_f32_to_f16(lo) | ((u32)bt_f32_to_f16(hi) << 16);
    u32 r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

// N consecutive elements of traits TT as f32: one load or store of N·sizeof(T) bytes (16 for the
// vectorized kernels: 4 f32 or 8 f16/bf16). The pointer must be aligned to N·sizeof(T). Stores of an even
// number of f16/bf16 convert pairs with one instruction (bt_pack_*).
template <typename TT, int N>
struct BtVec {
    typedef typename TT::T T;
    struct alignas(sizeof(T) * N) Raw { T v[N]; };
    static __device__ __forceinline__ void load(const T* p, float (&out)[N]) {
        const Raw r = *reinterpret_cast<const Raw*>(p);
#pragma unroll
        for (int k = 0; k < N; ++k) out[k] = TT::to_f32(r.v[k]);
    }
    static __device__ __forceinline__ void store(T* p, const float (&in)[N]) {
        if constexpr ((BtSame<TT, BtBF16>::value || BtSame<TT, BtF16>::value) && N % 2 == 0) {
            struct alignas(sizeof(T) * N) Pairs { u32 v[N / 2]; } r;
#pragma unroll
            for (int k = 0; k < N / 2; ++k)
                r.v[k] = BtSame<TT, BtBF16>::value ? bt_pack_bf16(in[2 * k], in[2 * k + 1]) : bt_pack_f16(in[2 * k], in[2 * k + 1]);
            *reinterpret_cast<Pairs*>(p) = r;
        } else {
            Raw r;
#pragma unroll
            for (int k = 0; k < N; ++k) r.v[k] = TT::from_f32(in[k]);
            *reinterpret_cast<Raw*>(p) = r;
        }
    }
};

// v rounded to the storage type of TT and back (the rounding an intermediate tensor of that dtype does):
// one hardware conversion each way; the identity for f32. (A NaN stays NaN, possibly with other payload
// bits than the CPU's conversion keeps.)
template <typename TT>
__device__ __forceinline__ float bt_round(float v) {
    if constexpr (BtSame<TT, BtBF16>::value) {
        u16 h;
        asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(v));
        return __uint_as_float(((u32)h) << 16);
    } else if constexpr (BtSame<TT, BtF16>::value) {
        u16 h;
        float r;
        asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v));
        asm("cvt.f32.f16 %0, %1;" : "=f"(r) : "h"(h));
        return r;
    } else {
        return TT::to_f32(TT::from_f32(v));
    }
}

// W values of a parameter vector (a norm weight or bias, a modulation shift or scale) starting at element
// `at`: a vector load when its element width is the input's (TT's) and its base is 16-byte aligned (the
// host keeps `at` a multiple of W and row strides multiples of W on vectorized paths), else one element at
// a time by dtype code. A null pointer gives `fallback`.
template <typename TT, int W>
__device__ __forceinline__ void bt_param_load(const u8* p, int type, u64 at, float fallback, float (&out)[W]) {
    if (p == nullptr) {
#pragma unroll
        for (int k = 0; k < W; ++k) out[k] = fallback;
    } else if (type == BT_F32 && sizeof(typename TT::T) == 4 && (W == 1 || (u64)p % 16 == 0)) {
        BtVec<BtF32, W>::load(reinterpret_cast<const float*>(p) + at, out);
    } else if ((type == BT_BF16 || type == BT_F16) && sizeof(typename TT::T) == 2 && (W == 1 || (u64)p % 16 == 0)) {
        if (type == BT_BF16) BtVec<BtBF16, W>::load(reinterpret_cast<const u16*>(p) + at, out);
        else BtVec<BtF16, W>::load(reinterpret_cast<const u16*>(p) + at, out);
    } else {
#pragma unroll
        for (int k = 0; k < W; ++k) out[k] = bt_load_f32(p + (at + k) * (type == BT_F32 ? 4 : 2), type);
    }
}

// max that propagates NaN (torch's amax / the CPU backend's nanMax): a if a > b or a is NaN, else b.
__device__ __forceinline__ float bt_nan_max(float a, float b) { return (a > b || a != a) ? a : b; }

struct BtSumOp {
    static __device__ __forceinline__ float identity() { return 0.0f; }
    static __device__ __forceinline__ float apply(float a, float b) { return a + b; }
};
struct BtMaxOp {
    static __device__ __forceinline__ float identity() { return -__int_as_float(0x7f800000); }
    static __device__ __forceinline__ float apply(float a, float b) { return bt_nan_max(a, b); }
};

// Reduces v over a "team" of threads that share a row: `team` consecutive lanes of a warp when team <= 32
// (a power of two; several rows per warp), or the whole block when team == blockDim.x > 32 (a multiple of
// 32). Every thread of the block must call it (also those without a row), and gets the team's result.
// `scratch` is 33 floats of shared memory, reused by consecutive calls without extra barriers.
template <typename Op>
__device__ __forceinline__ float bt_team_reduce(float v, int team, float* scratch) {
    const int width = team < 32 ? team : 32;
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1)
        if (offset < width) v = Op::apply(v, __shfl_xor_sync(0xffffffffu, v, offset));
    if (team <= 32) return v;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float w = lane < warps ? scratch[lane] : Op::identity();
#pragma unroll
        for (int offset = 16; offset > 0; offset >>= 1) w = Op::apply(w, __shfl_xor_sync(0xffffffffu, w, offset));
        if (lane == 0) scratch[32] = w;
    }
    __syncthreads();
    return scratch[32];
}
