// copy / cast between dtypes. Two paths, chosen by the host (CUDABackend+Copy.swift):
//  - bantam_cast_<src>_<dst>: both views contiguous and 16-byte aligned, float types f32/f16/bf16/e4m3/e5m2;
//    each thread moves 16 bytes on the wider side per step (one 128-bit access), grid-stride loop.
//  - bantam_copy_strided_{i32,i64}: any dtypes, any strides (rank <= 6), one element per step; 32-bit index
//    arithmetic when every offset fits, 64-bit otherwise.
// Same-dtype contiguous copies use cuMemcpyDtoDAsync on the host side (or bantam_copy_bytes16).
// Conversions follow the CPU backend exactly (see common.cuh).

// Strided copy descriptor (C layout; Swift builds it with KernelStruct in the same order).
struct BtCopyDesc {
    i64 sizes[BT_MAX_RANK];
    i64 src_strides[BT_MAX_RANK];
    i64 dst_strides[BT_MAX_RANK];
    i32 rank;
    i32 src_type;
    i32 dst_type;
    i32 src_width;   // bytes per element
    i32 dst_width;
};

// dst = convert(src) for one element, with the CPU backend's rules: same dtype moves bytes; integer to
// integer wraps through i64; to f64 (or f64 to an integer) goes through f64; everything else through f32.
__device__ __forceinline__ void bt_convert(const u8* s, int st, int sw, u8* d, int dt) {
    if (st == dt) {
        switch (sw) {
        case 8: *(u64*)d = *(const u64*)s; break;
        case 4: *(u32*)d = *(const u32*)s; break;
        case 2: *(u16*)d = *(const u16*)s; break;
        default: *d = *s; break;
        }
    } else if (!bt_is_float(st) && !bt_is_float(dt)) {
        bt_store_i64(d, dt, bt_load_i64(s, st));
    } else if (dt == BT_F64 || (st == BT_F64 && !bt_is_float(dt))) {
        bt_store_f64(d, dt, bt_load_f64(s, st));
    } else {
        bt_store_f32(d, dt, bt_load_f32(s, st));
    }
}

template <typename Index>
__device__ __forceinline__ void bt_copy_strided(const u8* __restrict__ src, u8* __restrict__ dst,
                                                const BtCopyDesc& d, Index count) {
    const Index step = (Index)gridDim.x * (Index)blockDim.x;
    for (Index i = (Index)blockIdx.x * (Index)blockDim.x + threadIdx.x; i < count; i += step) {
        Index rest = i, so = 0, doff = 0;
        for (int a = d.rank - 1; a >= 0; --a) {
            Index size = (Index)d.sizes[a];
            Index index = rest % size;
            rest /= size;
            so += index * (Index)d.src_strides[a];
            doff += index * (Index)d.dst_strides[a];
        }
        bt_convert(src + (u64)so * (u64)d.src_width, d.src_type, d.src_width, dst + (u64)doff * (u64)d.dst_width, d.dst_type);
    }
}

extern "C" __global__ void bantam_copy_strided_i32(const u8* __restrict__ src, u8* __restrict__ dst, BtCopyDesc d, u32 count) {
    bt_copy_strided<u32>(src, dst, d, count);
}

extern "C" __global__ void bantam_copy_strided_i64(const u8* __restrict__ src, u8* __restrict__ dst, BtCopyDesc d, u64 count) {
    bt_copy_strided<u64>(src, dst, d, count);
}

// Contiguous cast, V elements per step where V * max(sizeof src, sizeof dst) = 16 bytes.
template <typename S, typename D>
__device__ __forceinline__ void bt_cast_contiguous(const typename S::T* __restrict__ src, typename D::T* __restrict__ dst, u64 count) {
    typedef typename S::T ST;
    typedef typename D::T DT;
    constexpr int wide = sizeof(ST) > sizeof(DT) ? (int)sizeof(ST) : (int)sizeof(DT);
    constexpr int V = 16 / wide;
    struct alignas(sizeof(ST) * V) SV { ST v[V]; };
    struct alignas(sizeof(DT) * V) DV { DT v[V]; };
    const u64 vectors = count / V;
    const u64 thread = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const u64 step = (u64)gridDim.x * blockDim.x;
    const SV* __restrict__ in = reinterpret_cast<const SV*>(src);
    DV* __restrict__ out = reinterpret_cast<DV*>(dst);
    for (u64 i = thread; i < vectors; i += step) {
        SV a = in[i];
        DV b;
#pragma unroll
        for (int k = 0; k < V; ++k) b.v[k] = D::from_f32(S::to_f32(a.v[k]));
        out[i] = b;
    }
    // The last count % V elements, one per thread of the first threads.
    const u64 tail = vectors * V + thread;
    if (tail < count) dst[tail] = D::from_f32(S::to_f32(src[tail]));
}

#define BT_CAST(SN, S, DN, D)                                                                              \
    extern "C" __global__ void bantam_cast_##SN##_##DN(const S::T* __restrict__ src, D::T* __restrict__ dst, \
                                                       u64 count) {                                       \
        bt_cast_contiguous<S, D>(src, dst, count);                                                         \
    }

BT_CAST(f32, BtF32, f16, BtF16)
BT_CAST(f32, BtF32, bf16, BtBF16)
BT_CAST(f32, BtF32, f8e4m3fn, BtE4M3)
BT_CAST(f32, BtF32, f8e5m2, BtE5M2)
BT_CAST(f16, BtF16, f32, BtF32)
BT_CAST(f16, BtF16, bf16, BtBF16)
BT_CAST(f16, BtF16, f8e4m3fn, BtE4M3)
BT_CAST(f16, BtF16, f8e5m2, BtE5M2)
BT_CAST(bf16, BtBF16, f32, BtF32)
BT_CAST(bf16, BtBF16, f16, BtF16)
BT_CAST(bf16, BtBF16, f8e4m3fn, BtE4M3)
BT_CAST(bf16, BtBF16, f8e5m2, BtE5M2)
BT_CAST(f8e4m3fn, BtE4M3, f32, BtF32)
BT_CAST(f8e4m3fn, BtE4M3, f16, BtF16)
BT_CAST(f8e4m3fn, BtE4M3, bf16, BtBF16)
BT_CAST(f8e4m3fn, BtE4M3, f8e5m2, BtE5M2)
BT_CAST(f8e5m2, BtE5M2, f32, BtF32)
BT_CAST(f8e5m2, BtE5M2, f16, BtF16)
BT_CAST(f8e5m2, BtE5M2, bf16, BtBF16)
BT_CAST(f8e5m2, BtE5M2, f8e4m3fn, BtE4M3)

// Byte copy of n16 16-byte words (both pointers 16-byte aligned): the kernel twin of cuMemcpyDtoDAsync,
// kept to measure a plain streaming kernel against the ceiling.
extern "C" __global__ void bantam_copy_bytes16(const bt_u128* __restrict__ src, bt_u128* __restrict__ dst, u64 n16) {
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n16; i += step) dst[i] = src[i];
}
