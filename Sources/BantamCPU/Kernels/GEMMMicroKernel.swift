import CBantamKernels

/// The innermost loop of the GEMM: one mr × nr tile of C from packed panels of A and B.
enum GemmMicroKernel {
    /// c[i·ldc + j] (= or +=) Σ_p a[p·mr + i] · b[p·nr + j] for i < mr, j < nr of `kernel`'s tile.
    /// With `accumulate` false, c is written without being read (it may hold NaN).
    @inline(__always)
    static func run(_ kernel: GemmKernel, kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                    c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        switch kernel {
        case .swift: swift6x8(kc: kc, a: a, b: b, c: c, ldc: ldc, accumulate: accumulate)
        case .avx2: bantam_sgemm_avx2_6x16(Int64(kc), a, b, c, Int64(ldc), accumulate ? 1 : 0)
        case .avx512: bantam_sgemm_avx512_12x32(Int64(kc), a, b, c, Int64(ldc), accumulate ? 1 : 0)
        }
    }

    /// The portable kernel: a 6 × 8 tile held in twelve 4-float registers (SSE2 has sixteen), updated
    /// with separate multiplies and adds (baseline x86-64 has no FMA, and Swift cannot enable it per
    /// function). Its A panel is packed pre-broadcast (`GemmBlocking.aReplication` = 4: each value stored
    /// 4 times), so every step is 8 plain vector loads, 12 multiplies and 12 adds, with no shuffles; this
    /// measured 15–20 % faster than broadcasting in the loop, where the shuffles compete with the
    /// arithmetic for the same ports.
    @inline(never)
    static func swift6x8(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        typealias V = SIMD4<Float>
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
        var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
        let bRaw = UnsafeRawPointer(b), aRaw = UnsafeRawPointer(a)
        for p in 0..<kc {
            let bo = p &* 32, ao = p &* 96   // bytes per step: 8 floats of B, 6 × 4 floats of A
            let b0 = bRaw.loadUnaligned(fromByteOffset: bo, as: V.self)
            let b1 = bRaw.loadUnaligned(fromByteOffset: bo &+ 16, as: V.self)
            var av = aRaw.loadUnaligned(fromByteOffset: ao, as: V.self)
            c00 += av * b0; c01 += av * b1
            av = aRaw.loadUnaligned(fromByteOffset: ao &+ 16, as: V.self)
            c10 += av * b0; c11 += av * b1
            av = aRaw.loadUnaligned(fromByteOffset: ao &+ 32, as: V.self)
            c20 += av * b0; c21 += av * b1
            av = aRaw.loadUnaligned(fromByteOffset: ao &+ 48, as: V.self)
            c30 += av * b0; c31 += av * b1
            av = aRaw.loadUnaligned(fromByteOffset: ao &+ 64, as: V.self)
            c40 += av * b0; c41 += av * b1
            av = aRaw.loadUnaligned(fromByteOffset: ao &+ 80, as: V.self)
            c50 += av * b0; c51 += av * b1
        }
        store(c00, c01, c, accumulate)
        store(c10, c11, c + ldc, accumulate)
        store(c20, c21, c + 2 &* ldc, accumulate)
        store(c30, c31, c + 3 &* ldc, accumulate)
        store(c40, c41, c + 4 &* ldc, accumulate)
        store(c50, c51, c + 5 &* ldc, accumulate)
    }

    /// Writes (or adds) 8 floats of one tile row.
    @inline(__always)
    private static func store(_ v0: SIMD4<Float>, _ v1: SIMD4<Float>, _ row: UnsafeMutablePointer<Float>,
                              _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(row)
        if accumulate {
            raw.storeBytes(of: v0 + raw.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            raw.storeBytes(of: v1 + raw.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self),
                           toByteOffset: 16, as: SIMD4<Float>.self)
        } else {
            raw.storeBytes(of: v0, as: SIMD4<Float>.self)
            raw.storeBytes(of: v1, toByteOffset: 16, as: SIMD4<Float>.self)
        }
    }
}
