// Fused attention: out = softmax(q·kᵀ·scale + bias [+ causal mask])·v, never materializing the Lq×Lk
// matrix. Two kernels, chosen by the host (CUDABackend+Attention.swift):
//
//  - bantam_attention_flash_{bf16,f16}_d{64,128}[_m2]: flash-attention-2 style. A block of 4 warps owns 64
//    query rows (16 per warp; 128 rows, 32 per warp, for _m2) of one (batch, head); it walks the keys in
//    tiles of 64, double-buffered in shared
//    memory with cp.async, computes S = Q·Kᵀ and O += P·V with tensor-core MMAs (mma.sync m16n8k16,
//    fragments through ldmatrix, Q kept in registers) and keeps the softmax online in f32 registers
//    (exp2 with the scale folded into log2 units; running max m and sum l per row).
//  - bantam_attention_generic_{f32,f16,bf16}: one block per query row, any head sizes (D, Dv <= 512),
//    scalar f32 arithmetic; the path for f32, odd head sizes and Dv != D.
//
// Both take an optional additive bias read through element strides (zero where broadcast) and a causal
// flag (query i sees keys j <= i, top-left aligned). Like the CPU backend: a row whose scores are all −inf
// (fully masked) gives zeros, a NaN score makes its row NaN (max ignores NaN, exp then spreads it).
// q, k, v and out are contiguous [B, H, L, D].

#define BT_LOG2E 1.4426950408889634f
#define BT_NEG_INF __int_as_float(0xff800000)

// ---------------------------------------------------------------------------------------------------------
// PTX helpers (sm_80+).

__device__ __forceinline__ u32 bt_smem_u32(const void* p) {
    u32 address;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(address) : "l"(p));
    return address;
}

// 16 bytes global -> shared, bypassing L1; `bytes` < 16 zero-fills the rest (0 = all zeros, nothing read).
__device__ __forceinline__ void bt_cp_async16(u32 dst, const void* src, u32 bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void bt_cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void bt_cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

__device__ __forceinline__ void bt_ldmatrix_x4(u32 address, u32& r0, u32& r1, u32& r2, u32& r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(address));
}
__device__ __forceinline__ void bt_ldmatrix_x4_trans(u32 address, u32& r0, u32& r1, u32& r2, u32& r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(address));
}

__device__ __forceinline__ float bt_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// The two 16-bit input formats: the MMA instruction and the f32x2 -> 16x2 packing differ.
struct BtMmaBF16 {
    // c += a (16x16, row) · b (16x8, col), f32 accumulators.
    static __device__ __forceinline__ void mma(float* c, const u32* a, u32 b0, u32 b1) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
    // lo in bits 0..15, hi in bits 16..31, round to nearest even.
    static __device__ __forceinline__ u32 pack(float lo, float hi) {
        u32 r;
        asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
        return r;
    }
    static __device__ __forceinline__ float to_f32(u16 v) { return bt_bf16_to_f32(v); }
    static __device__ __forceinline__ u16 from_f32(float v) { return bt_f32_to_bf16(v); }
};
struct BtMmaF16 {
    static __device__ __forceinline__ void mma(float* c, const u32* a, u32 b0, u32 b1) {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    }
    static __device__ __forceinline__ u32 pack(float lo, float hi) {
        u32 r;
        asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
        return r;
    }
    static __device__ __forceinline__ float to_f32(u16 v) { return bt_f16_to_f32(v); }
    static __device__ __forceinline__ u16 from_f32(float v) { return bt_f32_to_f16(v); }
};

// ---------------------------------------------------------------------------------------------------------
// Flash kernel.

#define BT_FA_KEYS 64      // keys per tile
#define BT_FA_THREADS 128  // 4 warps

// Shared-memory tiles are [rows][D] 16-bit elements, stored in 16-byte chunks with the chunk index XORed
// by (row % 8): the 8 rows an ldmatrix reads at one logical chunk then fall into 8 different bank groups.
template <int D>
__device__ __forceinline__ u32 bt_fa_offset(int row, int chunk) {
    return (u32)(row * D * 2 + ((chunk ^ (row & 7)) << 4));
}

// Copies rows [row0, row0 + ROWS) of a [L, D] matrix into a swizzled tile; rows past L become zeros.
template <int D, int ROWS>
__device__ __forceinline__ void bt_fa_load_tile(u32 tile, const u16* __restrict__ base, int row0, int length) {
    constexpr int CHUNKS = D / 8;                       // 16-byte chunks per row
    constexpr int PER_THREAD = ROWS * CHUNKS / BT_FA_THREADS;
#pragma unroll
    for (int i = 0; i < PER_THREAD; ++i) {
        int index = threadIdx.x + i * BT_FA_THREADS;
        int row = index / CHUNKS, chunk = index % CHUNKS;
        bool inside = row0 + row < length;
        const u16* src = inside ? base + ((i64)(row0 + row) * D + chunk * 8) : base;
        bt_cp_async16(tile + bt_fa_offset<D>(row, chunk), src, inside ? 16u : 0u);
    }
}

// MT = 16-row m-tiles per warp: a block owns 64·MT query rows. With MT = 1 the Q fragments stay in
// registers; with MT = 2 each K/V fragment read from shared memory feeds two MMAs (half the ldmatrix
// traffic per FLOP) and Q is re-read from shared memory per tile to make room for the accumulators.
template <typename M, int D, int MT>
__device__ __forceinline__ void bt_attention_flash(const u16* __restrict__ q, const u16* __restrict__ k,
                                                   const u16* __restrict__ v, const u16* __restrict__ bias,
                                                   u16* __restrict__ out, int heads, int lq, int lk,
                                                   i64 bias_b, i64 bias_h, i64 bias_q, i64 bias_k,
                                                   float scale_log2, int causal) {
    extern __shared__ __align__(128) u8 bt_fa_smem[];
    constexpr int ROWS = 64 * MT;                       // query rows per block
    constexpr int TILE_BYTES = BT_FA_KEYS * D * 2;
    constexpr int KC = D / 16;                          // 16-wide chunks of the head dimension
    constexpr bool Q_IN_REGISTERS = MT == 1;
    const u32 sQ = bt_smem_u32(bt_fa_smem);
    const u32 sK = sQ + ROWS * D * 2;                   // two K tiles
    const u32 sV = sK + 2 * TILE_BYTES;                 // two V tiles

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int g = lane >> 2, t = lane & 3;              // MMA fragment row group and column pair
    const int bh = blockIdx.y;
    const int q0 = blockIdx.x * ROWS;
    const i64 head = (i64)bh;
    const u16* qh = q + head * lq * D;
    const u16* kh = k + head * lk * D;
    const u16* vh = v + head * lk * D;
    u16* oh = out + head * lq * D;
    const u16* bias_head = bias ? bias + (i64)(bh / heads) * bias_b + (i64)(bh % heads) * bias_h : nullptr;

    // Keys this block needs: with the causal mask its last row sees keys 0...q0 + ROWS − 1.
    const int visible = causal ? min(lk, q0 + ROWS) : lk;
    const int tiles = (visible + BT_FA_KEYS - 1) / BT_FA_KEYS;

    // This thread's rows: in m-tile mt, rowBase + 16·mt and rowBase + 16·mt + 8.
    const int warpRow = warp * 16 * MT;
    const int rowBase = q0 + warpRow + g;

    u32 qf[Q_IN_REGISTERS ? KC : 1][4];                 // Q fragments (A operand) when kept in registers
    float o[MT][D / 8][4];                              // O accumulators: 16·MT rows x D per warp
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int i = 0; i < D / 8; ++i) o[mt][i][0] = o[mt][i][1] = o[mt][i][2] = o[mt][i][3] = 0.0f;
    float m[2 * MT], l[2 * MT];                         // running max (log2 units) and this thread's sums
#pragma unroll
    for (int r = 0; r < 2 * MT; ++r) { m[r] = BT_NEG_INF; l[r] = 0.0f; }

    if (tiles > 0) {
        bt_fa_load_tile<D, ROWS>(sQ, qh, q0, lq);
        bt_fa_load_tile<D, BT_FA_KEYS>(sK, kh, 0, lk);
        bt_fa_load_tile<D, BT_FA_KEYS>(sV, vh, 0, lk);
    }
    bt_cp_async_commit();

    for (int j = 0; j < tiles; ++j) {
        const int buffer = j & 1;
        if (j + 1 < tiles) {                            // prefetch the next K/V tiles into the other buffers
            bt_fa_load_tile<D, BT_FA_KEYS>(sK + (buffer ^ 1) * TILE_BYTES, kh, (j + 1) * BT_FA_KEYS, lk);
            bt_fa_load_tile<D, BT_FA_KEYS>(sV + (buffer ^ 1) * TILE_BYTES, vh, (j + 1) * BT_FA_KEYS, lk);
        }
        bt_cp_async_commit();
        bt_cp_async_wait<1>();                          // everything but the prefetch has landed
        __syncthreads();

        if (Q_IN_REGISTERS && j == 0) {
#pragma unroll
            for (int kc = 0; kc < KC; ++kc) {
                int row = warpRow + (lane & 7) + ((lane >> 3) & 1) * 8;
                int chunk = kc * 2 + (lane >> 4);
                bt_ldmatrix_x4(sQ + bt_fa_offset<D>(row, chunk), qf[kc][0], qf[kc][1], qf[kc][2], qf[kc][3]);
            }
        }

        // S [16·MT x 64] per warp = Q · Kᵀ.
        const u32 kTile = sK + buffer * TILE_BYTES;
        float s[MT][8][4];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int n = 0; n < 8; ++n) s[mt][n][0] = s[mt][n][1] = s[mt][n][2] = s[mt][n][3] = 0.0f;
#pragma unroll
        for (int kc = 0; kc < KC; ++kc) {
            u32 a[MT][4];
            if (Q_IN_REGISTERS) {
#pragma unroll
                for (int e = 0; e < 4; ++e) a[0][e] = qf[Q_IN_REGISTERS ? kc : 0][e];
            } else {
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    int row = warpRow + mt * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                    int chunk = kc * 2 + (lane >> 4);
                    bt_ldmatrix_x4(sQ + bt_fa_offset<D>(row, chunk), a[mt][0], a[mt][1], a[mt][2], a[mt][3]);
                }
            }
#pragma unroll
            for (int n2 = 0; n2 < 4; ++n2) {
                u32 b0, b1, b2, b3;
                int key = n2 * 16 + (lane & 7) + (lane >> 4) * 8;
                int chunk = kc * 2 + ((lane >> 3) & 1);
                bt_ldmatrix_x4(kTile + bt_fa_offset<D>(key, chunk), b0, b1, b2, b3);
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    M::mma(s[mt][2 * n2], a[mt], b0, b1);
                    M::mma(s[mt][2 * n2 + 1], a[mt], b2, b3);
                }
            }
        }

        // Scores in log2 units; masks and bias only where needed (the last tile, causal, bias).
        const int key0 = j * BT_FA_KEYS;
        const bool edge = key0 + BT_FA_KEYS > lk || causal || bias_head;
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
            for (int n = 0; n < 8; ++n) {
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    float x = s[mt][n][e] * scale_log2;
                    if (edge) {
                        int key = key0 + n * 8 + 2 * t + (e & 1);
                        int row = rowBase + mt * 16 + (e >> 1) * 8;
                        bool hidden = key >= lk || (causal && key > row);
                        if (!hidden && bias_head && row < lq) {
                            x += M::to_f32(bias_head[(i64)row * bias_q + (i64)key * bias_k]) * BT_LOG2E;
                        }
                        if (hidden) x = BT_NEG_INF;
                    }
                    s[mt][n][e] = x;
                }
            }
        }

#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
            // Online softmax: new row maxima over the quad of threads that share a row.
            float mx0 = BT_NEG_INF, mx1 = BT_NEG_INF;
#pragma unroll
            for (int n = 0; n < 8; ++n) {
                mx0 = fmaxf(mx0, fmaxf(s[mt][n][0], s[mt][n][1]));
                mx1 = fmaxf(mx1, fmaxf(s[mt][n][2], s[mt][n][3]));
            }
            mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 1));
            mx0 = fmaxf(mx0, __shfl_xor_sync(0xffffffffu, mx0, 2));
            mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 1));
            mx1 = fmaxf(mx1, __shfl_xor_sync(0xffffffffu, mx1, 2));
            const float new0 = fmaxf(m[2 * mt], mx0), new1 = fmaxf(m[2 * mt + 1], mx1);
            // A row with nothing visible yet keeps max −inf; subtract 0 then so exp2(−inf) stays 0 (not NaN).
            const float use0 = new0 == BT_NEG_INF ? 0.0f : new0;
            const float use1 = new1 == BT_NEG_INF ? 0.0f : new1;
            const float alpha0 = bt_exp2(m[2 * mt] - use0), alpha1 = bt_exp2(m[2 * mt + 1] - use1);
            m[2 * mt] = new0;
            m[2 * mt + 1] = new1;

            float sum0 = 0.0f, sum1 = 0.0f;
#pragma unroll
            for (int n = 0; n < 8; ++n) {
                s[mt][n][0] = bt_exp2(s[mt][n][0] - use0);
                s[mt][n][1] = bt_exp2(s[mt][n][1] - use0);
                s[mt][n][2] = bt_exp2(s[mt][n][2] - use1);
                s[mt][n][3] = bt_exp2(s[mt][n][3] - use1);
                sum0 += s[mt][n][0] + s[mt][n][1];
                sum1 += s[mt][n][2] + s[mt][n][3];
            }
            l[2 * mt] = l[2 * mt] * alpha0 + sum0;
            l[2 * mt + 1] = l[2 * mt + 1] * alpha1 + sum1;
#pragma unroll
            for (int i = 0; i < D / 8; ++i) {
                o[mt][i][0] *= alpha0; o[mt][i][1] *= alpha0;
                o[mt][i][2] *= alpha1; o[mt][i][3] *= alpha1;
            }
        }

        // O += P · V: the S accumulators of two adjacent 8-key tiles form one 16-key A fragment.
        const u32 vTile = sV + buffer * TILE_BYTES;
#pragma unroll
        for (int kc = 0; kc < 4; ++kc) {
            u32 a[MT][4];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                a[mt][0] = M::pack(s[mt][2 * kc][0], s[mt][2 * kc][1]);
                a[mt][1] = M::pack(s[mt][2 * kc][2], s[mt][2 * kc][3]);
                a[mt][2] = M::pack(s[mt][2 * kc + 1][0], s[mt][2 * kc + 1][1]);
                a[mt][3] = M::pack(s[mt][2 * kc + 1][2], s[mt][2 * kc + 1][3]);
            }
#pragma unroll
            for (int d2 = 0; d2 < D / 16; ++d2) {
                u32 b0, b1, b2, b3;
                int key = kc * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                int chunk = d2 * 2 + (lane >> 4);
                bt_ldmatrix_x4_trans(vTile + bt_fa_offset<D>(key, chunk), b0, b1, b2, b3);
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    M::mma(o[mt][2 * d2], a[mt], b0, b1);
                    M::mma(o[mt][2 * d2 + 1], a[mt], b2, b3);
                }
            }
        }
        __syncthreads();                                // this buffer is refilled two tiles later
    }
    bt_cp_async_wait<0>();

    // Row sums over the quad; a fully masked row (sum 0) writes zeros, a NaN sum writes NaN.
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int half = 0; half < 2; ++half) {
            float sum = l[2 * mt + half];
            sum += __shfl_xor_sync(0xffffffffu, sum, 1);
            sum += __shfl_xor_sync(0xffffffffu, sum, 2);
            const float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
            const int row = rowBase + mt * 16 + half * 8;
            if (row < lq) {
#pragma unroll
                for (int i = 0; i < D / 8; ++i) {
                    int col = i * 8 + 2 * t;
                    u32 packed = (u32)M::from_f32(o[mt][i][2 * half] * inv) | ((u32)M::from_f32(o[mt][i][2 * half + 1] * inv) << 16);
                    *(u32*)(oh + (i64)row * D + col) = packed;
                }
            }
        }
    }
}

// bantam_attention_flash_<dtype>_d<D> (64 rows per block) and ..._m2 (128 rows per block).
#define BT_FLASH(NAME, M, D, MT, SUFFIX)                                                                     \
    extern "C" __global__ void __launch_bounds__(BT_FA_THREADS)                                              \
    bantam_attention_flash_##NAME##_d##D##SUFFIX(const u16* __restrict__ q, const u16* __restrict__ k,       \
                                         const u16* __restrict__ v, const u16* __restrict__ bias,            \
                                         u16* __restrict__ out, int heads, int lq, int lk, i64 bias_b,       \
                                         i64 bias_h, i64 bias_q, i64 bias_k, float scale_log2, int causal) { \
        bt_attention_flash<M, D, MT>(q, k, v, bias, out, heads, lq, lk, bias_b, bias_h, bias_q, bias_k,      \
                                     scale_log2, causal);                                                    \
    }

BT_FLASH(bf16, BtMmaBF16, 64, 1, )
BT_FLASH(bf16, BtMmaBF16, 128, 1, )
BT_FLASH(f16, BtMmaF16, 64, 1, )
BT_FLASH(f16, BtMmaF16, 128, 1, )
BT_FLASH(bf16, BtMmaBF16, 64, 2, _m2)
BT_FLASH(bf16, BtMmaBF16, 128, 2, _m2)
BT_FLASH(f16, BtMmaF16, 64, 2, _m2)
BT_FLASH(f16, BtMmaF16, 128, 2, _m2)

// ---------------------------------------------------------------------------------------------------------
// Generic kernel: one block of 128 threads per (query row, batch·head). Keys go in chunks of 128, one per
// thread: the thread computes its score (a dot product over D), the block finds the chunk's max and sum,
// and then each thread accumulates up to 4 output columns (c = tid, tid + 128, ...) over the chunk's keys.

#define BT_GEN_THREADS 128
#define BT_GEN_MAX_D 512

__device__ __forceinline__ float bt_block_max(float x, float* scratch) {
    for (int s = 16; s > 0; s >>= 1) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, s));
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = x;
    __syncthreads();
    float r = fmaxf(fmaxf(scratch[0], scratch[1]), fmaxf(scratch[2], scratch[3]));
    __syncthreads();
    return r;
}

__device__ __forceinline__ float bt_block_sum(float x, float* scratch) {
    for (int s = 16; s > 0; s >>= 1) x += __shfl_xor_sync(0xffffffffu, x, s);
    if ((threadIdx.x & 31) == 0) scratch[threadIdx.x >> 5] = x;
    __syncthreads();
    float r = (scratch[0] + scratch[1]) + (scratch[2] + scratch[3]);
    __syncthreads();
    return r;
}

template <typename Tr>
__device__ __forceinline__ void bt_attention_generic(const typename Tr::T* __restrict__ q,
                                                     const typename Tr::T* __restrict__ k,
                                                     const typename Tr::T* __restrict__ v,
                                                     const typename Tr::T* __restrict__ bias,
                                                     typename Tr::T* __restrict__ out, int heads, int lq, int lk,
                                                     int d, int dv, i64 bias_b, i64 bias_h, i64 bias_q,
                                                     i64 bias_k, float scale, int causal) {
    __shared__ float sq[BT_GEN_MAX_D];
    __shared__ float sp[BT_GEN_THREADS];
    __shared__ float scratch[4];
    const int row = blockIdx.x, bh = blockIdx.y, tid = threadIdx.x;
    const typename Tr::T* qrow = q + ((i64)bh * lq + row) * d;
    const typename Tr::T* kh = k + (i64)bh * lk * d;
    const typename Tr::T* vh = v + (i64)bh * lk * dv;
    const typename Tr::T* brow = bias ? bias + (i64)(bh / heads) * bias_b + (i64)(bh % heads) * bias_h + (i64)row * bias_q : nullptr;
    for (int c = tid; c < d; c += BT_GEN_THREADS) sq[c] = Tr::to_f32(qrow[c]);
    __syncthreads();

    const int keys = causal ? min(lk, row + 1) : lk;
    float m = BT_NEG_INF, l = 0.0f;
    float acc[BT_GEN_MAX_D / BT_GEN_THREADS] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int c0 = 0; c0 < keys; c0 += BT_GEN_THREADS) {
        const int key = c0 + tid;
        float x = BT_NEG_INF;
        if (key < keys) {
            const typename Tr::T* krow = kh + (i64)key * d;
            float dot = 0.0f;
            for (int c = 0; c < d; ++c) dot = fmaf(sq[c], Tr::to_f32(krow[c]), dot);
            x = dot * scale;
            if (brow) x += Tr::to_f32(brow[(i64)key * bias_k]);
        }
        const float chunkMax = bt_block_max(x, scratch);
        const float newMax = fmaxf(m, chunkMax);
        const float use = newMax == BT_NEG_INF ? 0.0f : newMax;
        const float p = expf(x - use);
        const float alpha = expf(m - use);
        m = newMax;
        l = l * alpha + bt_block_sum(p, scratch);
        sp[tid] = p;
        __syncthreads();
        const int count = min(BT_GEN_THREADS, keys - c0);
#pragma unroll
        for (int slot = 0; slot < BT_GEN_MAX_D / BT_GEN_THREADS; ++slot) {
            const int c = tid + slot * BT_GEN_THREADS;
            if (c < dv) {
                float a = acc[slot] * alpha;
                const typename Tr::T* vcol = vh + (i64)c0 * dv + c;
                for (int j = 0; j < count; ++j) a = fmaf(sp[j], Tr::to_f32(vcol[(i64)j * dv]), a);
                acc[slot] = a;
            }
        }
        __syncthreads();
    }
    const float inv = l == 0.0f ? 0.0f : 1.0f / l;
    typename Tr::T* orow = out + ((i64)bh * lq + row) * dv;
#pragma unroll
    for (int slot = 0; slot < BT_GEN_MAX_D / BT_GEN_THREADS; ++slot) {
        const int c = tid + slot * BT_GEN_THREADS;
        if (c < dv) orow[c] = Tr::from_f32(acc[slot] * inv);
    }
}

#define BT_GENERIC(NAME, TR)                                                                                    \
    extern "C" __global__ void __launch_bounds__(BT_GEN_THREADS)                                                \
    bantam_attention_generic_##NAME(const TR::T* __restrict__ q, const TR::T* __restrict__ k,                   \
                                    const TR::T* __restrict__ v, const TR::T* __restrict__ bias,                \
                                    TR::T* __restrict__ out, int heads, int lq, int lk, int d, int dv,          \
                                    i64 bias_b, i64 bias_h, i64 bias_q, i64 bias_k, float scale, int causal) {  \
        bt_attention_generic<TR>(q, k, v, bias, out, heads, lq, lk, d, dv, bias_b, bias_h, bias_q, bias_k,      \
                                 scale, causal);                                                                \
    }

BT_GENERIC(f32, BtF32)
BT_GENERIC(f16, BtF16)
BT_GENERIC(bf16, BtBF16)
