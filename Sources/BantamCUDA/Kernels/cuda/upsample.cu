// Nearest-neighbour upsampling of x [N, C, H, W] by an integer factor f -> out [N, C, H·f, W·f]:
// out[n, c, y, x] = x[n, c, y / f, x / f]. Host side: CUDABackend+Upsample.swift. Elements are moved as raw
// bits of their width (1, 2, 4 or 8 bytes), never converted, so it is bit-exact like the CPU backend.
//
// Each step writes V consecutive output elements of one output row (V·width = 16 bytes when the output row
// length allows, else V = 1) and gathers them from the input row (neighbours share input elements, which
// the cache serves); for factor 2 (HALF) the V/2 input elements are one 8-byte load. Index is u32 when
// every index fits.

template <typename E, int V, bool HALF, typename Index>
__device__ __forceinline__ void bt_upsample(const E* __restrict__ x, E* __restrict__ out, Index out_count, Index w,
                                            Index h, Index factor) {
    struct alignas(sizeof(E) * V) Vec { E v[V]; };
    const Index out_w = w * factor, out_h = h * factor;
    const Index vectors = out_count / V;
    const Index step = (Index)gridDim.x * blockDim.x;
    for (Index i = (Index)blockIdx.x * blockDim.x + threadIdx.x; i < vectors; i += step) {
        const Index e = i * V;
        const Index out_row = e / out_w, ox = e % out_w;
        const Index plane = out_row / out_h, oy = out_row % out_h;
        const E* src = x + (plane * h + oy / factor) * w;
        Vec r;
        if constexpr (HALF) {
            struct alignas(sizeof(E) * (V / 2)) Half { E v[V / 2]; };
            const Half in = *reinterpret_cast<const Half*>(src + ox / 2);
#pragma unroll
            for (int k = 0; k < V; ++k) r.v[k] = in.v[k / 2];
        } else {
            // Input column (ox + k) / factor, stepped without a division per element.
            Index column = ox / factor, repeat = ox % factor;
#pragma unroll
            for (int k = 0; k < V; ++k) {
                r.v[k] = src[column];
                if (++repeat == factor) { repeat = 0; ++column; }
            }
        }
        *reinterpret_cast<Vec*>(out + e) = r;
    }
}

// mode 0: one element per step; 1: V per step, gathered; 2: V per step from one 8-byte load (factor 2).
#define BT_UPSAMPLE(NAME, E, V)                                                                                     \
    extern "C" __global__ void bantam_upsample_##NAME(const E* __restrict__ x, E* __restrict__ out, u64 out_count,  \
                                                      u64 w, u64 h, u64 factor, int mode) {                         \
        if (out_count <= 0xffffffffull) {                                                                           \
            if (mode == 2) bt_upsample<E, V, true, u32>(x, out, (u32)out_count, (u32)w, (u32)h, (u32)factor);       \
            else if (mode == 1) bt_upsample<E, V, false, u32>(x, out, (u32)out_count, (u32)w, (u32)h, (u32)factor); \
            else bt_upsample<E, 1, false, u32>(x, out, (u32)out_count, (u32)w, (u32)h, (u32)factor);                \
        } else {                                                                                                    \
            if (mode == 2) bt_upsample<E, V, true, u64>(x, out, out_count, w, h, factor);                           \
            else if (mode == 1) bt_upsample<E, V, false, u64>(x, out, out_count, w, h, factor);                     \
            else bt_upsample<E, 1, false, u64>(x, out, out_count, w, h, factor);                                    \
        }                                                                                                           \
    }

BT_UPSAMPLE(1, u8, 16)
BT_UPSAMPLE(2, u16, 8)
BT_UPSAMPLE(4, u32, 4)
BT_UPSAMPLE(8, u64, 2)
