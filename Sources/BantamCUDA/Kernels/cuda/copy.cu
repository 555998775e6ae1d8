// copy / cast between dtypes. Paths, chosen by the host (CUDABackend+Copy.swift):
//  - bantam_cast_<src>_<dst>: both views contiguous and 16-byte aligned, float types f32/f16/bf16/e4m3/e5m2;
//    each thread moves 16 bytes on the wider side per step (one 128-bit access), grid-stride loop.
//  - bantam_copy_strided_{i32,i64}: any dtypes, any strides (rank <= 6), one element per step; 32-bit index
//    arithmetic when every offset fits, 64-bit otherwise. Same-dtype copies whose rows are contiguous are
//    handed to it in units of up to 16 bytes (width 16 / 8 / 4), so a permute that keeps the last axis
//    moves 16 bytes per step.
//  - bantam_copy_transpose: the source is contiguous along another axis than the destination (a transpose):
//    32x32 tiles through shared memory, so reads and writes are both coalesced; any dtypes.
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
        case 16: *(bt_u128*)d = *(const bt_u128*)s; break;
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

// Transpose-copy descriptor (C layout; built with KernelStruct in this order).
struct BtTransposeDesc {
    i64 sizes[BT_MAX_RANK];
    i64 src_strides[BT_MAX_RANK];
    i64 dst_strides[BT_MAX_RANK];
    i32 rank;
    i32 row_axis;    // the axis along which the source has stride 1 (not the last axis)
    i32 src_type;
    i32 dst_type;
    i32 src_width;
    i32 dst_width;
};

// dst = convert(src) where the source is contiguous along `row_axis` and the destination along the last
// axis. Block (32, 8): a 32x32 tile of (row, column) is read with threadIdx.x walking rows (coalesced in
// the source), converted, kept in shared memory as destination bits, and written with threadIdx.x walking
// columns (coalesced in the destination). grid = (column tiles, row tiles, batches over the other axes).
extern "C" __global__ void bantam_copy_transpose(const u8* __restrict__ src, u8* __restrict__ dst,
                                                 BtTransposeDesc d, u64 batches) {
    __shared__ u64 tile[32][33];                 // +1 column: no bank conflicts on the transposed read
    const int last = d.rank - 1;
    const i64 rows = d.sizes[d.row_axis], columns = d.sizes[last];
    const i64 r0 = (i64)blockIdx.y * 32, c0 = (i64)blockIdx.x * 32;
    const i64 src_row = d.src_strides[d.row_axis], src_column = d.src_strides[last];
    const i64 dst_row = d.dst_strides[d.row_axis], dst_column = d.dst_strides[last];
    for (u64 b = blockIdx.z; b < batches; b += gridDim.z) {
        u64 rest = b;
        i64 so = 0, doff = 0;
        for (int a = last - 1; a >= 0; --a) {
            if (a == d.row_axis) continue;
            const u64 size = (u64)d.sizes[a];
            const i64 index = (i64)(rest % size);
            rest /= size;
            so += index * d.src_strides[a];
            doff += index * d.dst_strides[a];
        }
        for (int k = threadIdx.y; k < 32; k += 8) {
            const i64 r = r0 + threadIdx.x, c = c0 + k;
            if (r < rows && c < columns) {
                u64 bits = 0;
                bt_convert(src + (u64)(so + r * src_row + c * src_column) * (u64)d.src_width, d.src_type, d.src_width,
                           (u8*)&bits, d.dst_type);
                tile[k][threadIdx.x] = bits;
            }
        }
        __syncthreads();
        for (int k = threadIdx.y; k < 32; k += 8) {
            const i64 r = r0 + k, c = c0 + threadIdx.x;
            if (r < rows && c < columns) {
                const u64 bits = tile[threadIdx.x][k];
                u8* p = dst + (u64)(doff + r * dst_row + c * dst_column) * (u64)d.dst_width;
                switch (d.dst_width) {
                case 8: *(u64*)p = bits; break;
                case 4: *(u32*)p = (u32)bits; break;
                case 2: *(u16*)p = (u16)bits; break;
                default: *p = (u8)bits; break;
                }
            }
        }
        __syncthreads();
    }
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
