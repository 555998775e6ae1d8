// random: fills a contiguous float tensor with normal values N(0, std²) from a counter-based hash, so that
// full-size synthetic weights can be made on the GPU in milliseconds (benchmarks; never model math).
// Element i of seed s: two 32-bit hashes of (s, i) -> two uniforms -> Box-Muller (cos branch).

__device__ __forceinline__ u32 bt_hash32(u64 x) {
    // SplitMix64 finalizer, folded to 32 bits.
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
    return (u32)(x ^ (x >> 32));
}

__device__ __forceinline__ u64 bt_random_width(int t) {
    return t == BT_F32 ? 4 : (t == BT_F16 || t == BT_BF16) ? 2 : 1;
}

extern "C" __global__ void bantam_random_normal(u8* __restrict__ dst, int dtype, u64 count, u64 seed, float std) {
    const u64 step = (u64)gridDim.x * blockDim.x;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += step) {
        const u64 key = seed * 0x2545F4914F6CDD1Dull + 2 * i;
        const float u1 = ((float)(bt_hash32(key) >> 8) + 0.5f) * (1.0f / 16777216.0f);   // (0, 1)
        const float u2 = (float)(bt_hash32(key + 1) >> 8) * (1.0f / 16777216.0f);          // [0, 1)
        const float r = sqrtf(-2.0f * logf(u1));
        bt_store_f32(dst + i * bt_random_width(dtype), dtype, std * r * cosf(6.28318530718f * u2));
    }
}
