// Token embedding: out[i, :] = table[ids[i], :] for i32 or i64 ids. Host side: CUDABackend+Embedding.swift.
//
// One block per id (grid-stride over ids), threads over the row. Same dtype: the row's bytes are moved in
// units of 16, 8, 4 or 2 bytes (the largest the row length and addresses allow), bit-exact like the CPU;
// otherwise each element is converted through f32 (dtype codes). An id outside 0 ..< vocab writes nothing
// for its row and records its position with atomicMin in `bad` (initialized to all ones by the host), so the
// host can name the first bad id in its error message, as the CPU backend does.

__device__ __forceinline__ i64 bt_token(const u8* ids, int wide, u64 i) {
    return wide ? reinterpret_cast<const i64*>(ids)[i] : (i64)reinterpret_cast<const i32*>(ids)[i];
}

// table_stride and out_stride in units; units per row `units` of `unit` bytes.
extern "C" __global__ void bantam_embedding_bytes(const u8* __restrict__ ids, int wide, const u8* __restrict__ table,
                                                  u64 table_stride, u8* __restrict__ out, u64 count, i64 vocab,
                                                  u64 units, int unit, u64* __restrict__ bad) {
    for (u64 i = blockIdx.x; i < count; i += gridDim.x) {
        const i64 token = bt_token(ids, wide, i);
        if (token < 0 || token >= vocab) {
            if (threadIdx.x == 0) atomicMin(reinterpret_cast<unsigned long long*>(bad), (unsigned long long)i);
            continue;
        }
        const u8* src = table + (u64)token * table_stride * unit;
        u8* dst = out + i * units * unit;
        for (u64 c = threadIdx.x; c < units; c += blockDim.x) {
            switch (unit) {
            case 16: reinterpret_cast<bt_u128*>(dst)[c] = reinterpret_cast<const bt_u128*>(src)[c]; break;
            case 8: reinterpret_cast<u64*>(dst)[c] = reinterpret_cast<const u64*>(src)[c]; break;
            case 4: reinterpret_cast<u32*>(dst)[c] = reinterpret_cast<const u32*>(src)[c]; break;
            case 2: reinterpret_cast<u16*>(dst)[c] = reinterpret_cast<const u16*>(src)[c]; break;
            default: dst[c] = src[c]; break;
            }
        }
    }
}

// Converting rows: table element (token, c) at (token·row_stride + c·column_stride), any dtype codes.
extern "C" __global__ void bantam_embedding_convert(const u8* __restrict__ ids, int wide, const u8* __restrict__ table,
                                                    int table_type, int table_width, i64 row_stride, i64 column_stride,
                                                    u8* __restrict__ out, int out_type, int out_width, u64 count,
                                                    i64 vocab, u64 d, u64* __restrict__ bad) {
    for (u64 i = blockIdx.x; i < count; i += gridDim.x) {
        const i64 token = bt_token(ids, wide, i);
        if (token < 0 || token >= vocab) {
            if (threadIdx.x == 0) atomicMin(reinterpret_cast<unsigned long long*>(bad), (unsigned long long)i);
            continue;
        }
        for (u64 c = threadIdx.x; c < d; c += blockDim.x) {
            const float v = bt_load_f32(table + (u64)(token * row_stride + (i64)c * column_stride) * table_width, table_type);
            bt_store_f32(out + (i * d + c) * out_width, out_type, v);
        }
    }
}
