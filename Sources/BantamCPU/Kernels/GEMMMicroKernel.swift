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
    /// with separate multiplies and adds (baseline x86-64 has no FMA). Each step loads one row of B
    /// (8 floats) and broadcasts the six A values of that step.
    @inline(never)
    static func swift6x8(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        typealias V = SIMD8<Float>
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        let braw = UnsafeRawPointer(b)
        var ap = a
        for p in 0..<kc {
            let bv = braw.loadUnaligned(fromByteOffset: p &* 32, as: V.self)
            c0 += V(repeating: ap[0]) * bv
            c1 += V(repeating: ap[1]) * bv
            c2 += V(repeating: ap[2]) * bv
            c3 += V(repeating: ap[3]) * bv
            c4 += V(repeating: ap[4]) * bv
            c5 += V(repeating: ap[5]) * bv
            ap += 6
        }
        store(c0, c, accumulate)
        store(c1, c + ldc, accumulate)
        store(c2, c + 2 &* ldc, accumulate)
        store(c3, c + 3 &* ldc, accumulate)
        store(c4, c + 4 &* ldc, accumulate)
        store(c5, c + 5 &* ldc, accumulate)
    }

    @inline(__always)
    private static func store(_ v: SIMD8<Float>, _ row: UnsafeMutablePointer<Float>, _ accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(row)
        if accumulate {
            raw.storeBytes(of: v + raw.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
        } else {
            raw.storeBytes(of: v, as: SIMD8<Float>.self)
        }
    }
}
