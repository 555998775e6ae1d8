// fill: writes one bit pattern (the value already encoded in the destination dtype on the host, with the
// CPU backend's conversion) into every element. Contiguous 1-, 2- and 4-byte fills use cuMemsetD8/16/32Async;
// these kernels cover 8-byte elements and strided views.

// Strided fill descriptor (C layout; built with KernelStruct in this order).
struct BtFillDesc {
    i64 sizes[BT_MAX_RANK];
    i64 strides[BT_MAX_RANK];
    i32 rank;
    i32 width;       // bytes per element: 1, 2, 4 or 8
};

extern "C" __global__ void bantam_fill_contiguous_u64(u64* __restrict__ dst, u64 pattern, u64 count) {
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) dst[i] = pattern;
}

extern "C" __global__ void bantam_fill_strided(u8* __restrict__ dst, BtFillDesc d, u64 pattern, u64 count) {
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        u8* p = dst + bt_offset<u64>(i, d.sizes, d.strides, d.rank) * (u64)d.width;
        switch (d.width) {
        case 8: *(u64*)p = pattern; break;
        case 4: *(u32*)p = (u32)pattern; break;
        case 2: *(u16*)p = (u16)pattern; break;
        default: *p = (u8)pattern; break;
        }
    }
}
