import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// layerNorm, rmsNorm and groupNorm against float64 references.
@Suite struct NormalizationTests {
    let cpu = KernelTest.cpu
    /// Row shapes: the last axis is normalized (rank 1–4, odd sizes, a 3072-wide row).
    static let rowShapes: [Shape] = [[1], [17], [3, 33], [2, 129], [2, 3072], [2, 3, 5, 7], [4, 1]]

    /// Normalized outputs are O(1) with f32 statistics error ~ √D·ε; the absolute term covers outputs near 0.
    static func tol(_ dtype: DType, _ d: Int) -> (atol: Double, rtol: Double) {
        roundingTolerance(dtype, f32Ulps: 16, atol: 2e-6 * Double(d).squareRoot().squareRoot())
    }

    @Test(arguments: [false, true])
    func layerNormMatchesFloat64(affine: Bool) throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for shape in Self.rowShapes {
                let d = shape[shape.rank - 1]
                // An offset mean checks that the variance does not cancel.
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype, scale: 2, transform: { $0 + 3 })
                let (w, wv) = try KernelTest.random(&rng, [d], dtype: dtype)
                let (b, bv) = try KernelTest.random(&rng, [d], dtype: dtype)
                let y = try layerNorm(x, weight: affine ? w : nil, bias: affine ? b : nil, eps: 1e-5)
                let expected = Reference.layerNorm(xs, d: d, weight: affine ? wv : nil, bias: affine ? bv : nil, eps: 1e-5)
                try KernelTest.expectClose(y, expected, Self.tol(dtype, d),
                                           "layerNorm affine=\(affine) \(dtype) \(shape) seed \(rng.seed)")
            }
        }
        // Weight only and bias only.
        let (x, xs) = try KernelTest.random(&rng, [3, 17], dtype: .f32)
        let (w, wv) = try KernelTest.random(&rng, [17], dtype: .bf16)   // parameters may have another dtype
        try KernelTest.expectClose(try layerNorm(x, weight: w, eps: 1e-6),
                                   Reference.layerNorm(xs, d: 17, weight: wv, bias: nil, eps: 1e-6), Self.tol(.f32, 17),
                                   "layerNorm weight only, seed \(rng.seed)")
        try KernelTest.expectClose(try layerNorm(x, bias: w, eps: 1e-6),
                                   Reference.layerNorm(xs, d: 17, weight: nil, bias: wv, eps: 1e-6), Self.tol(.f32, 17),
                                   "layerNorm bias only, seed \(rng.seed)")
    }

    /// A large common offset (|mean| ≫ std): a one-pass E[x²] − E[x]² in f32 would lose every digit here,
    /// and even a plain two-pass loses ~3e-3 by rounding the mean to f32 (ulp(1000)/2 over std 0.01); the
    /// corrected two-pass keeps the normalized values to ~1e-5.
    @Test func largeMeansDoNotCancel() throws {
        var rng = TestRNG()
        let (x, xs) = try KernelTest.random(&rng, [4, 1000], dtype: .f32, scale: 0.01, transform: { $0 + 1000 })
        try KernelTest.expectClose(try layerNorm(x, eps: 0), Reference.layerNorm(xs, d: 1000, weight: nil, bias: nil, eps: 0),
                                   (2e-5, 2e-5), "layerNorm at mean 1000, seed \(rng.seed)")
        let image = try x.reshape([2, 4, 500])
        try KernelTest.expectClose(try groupNorm(image, groups: 2, eps: 0),
                                   Reference.groupNorm(xs, n: 2, c: 4, s: 500, groups: 2, weight: nil, bias: nil, eps: 0),
                                   (2e-5, 2e-5), "groupNorm at mean 1000, seed \(rng.seed)")
    }

    @Test(arguments: [false, true])
    func rmsNormMatchesFloat64(weighted: Bool) throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for shape in Self.rowShapes {
                let d = shape[shape.rank - 1]
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype, scale: 3)
                let (w, wv) = try KernelTest.random(&rng, [d], dtype: dtype)
                let y = try rmsNorm(x, weight: weighted ? w : nil, eps: 1e-6)
                let expected = Reference.rmsNorm(xs, d: d, weight: weighted ? wv : nil, eps: 1e-6)
                try KernelTest.expectClose(y, expected, roundingTolerance(dtype, f32Ulps: 16),
                                           "rmsNorm weighted=\(weighted) \(dtype) \(shape) seed \(rng.seed)")
            }
        }
    }

    /// groups 1, C and 32 (and a few others); spatial sizes 1, 3, 17, 33; with and without affine.
    @Test(arguments: [false, true])
    func groupNormMatchesFloat64(affine: Bool) throws {
        var rng = TestRNG()
        let cases: [(Shape, Int)] = [
            ([2, 64, 17], 32), ([1, 64, 3, 11], 1), ([2, 64, 33], 64), ([3, 6], 3), ([1, 32, 1], 32),
            ([2, 96, 4, 4], 32), ([1, 9, 5, 1, 3], 3),
        ]
        for dtype in KernelTest.floatTypes {
            for (shape, groups) in cases {
                let c = shape[1], n = shape[0], s = shape.count / (n * c)
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype, scale: 2, transform: { $0 - 1 })
                let (w, wv) = try KernelTest.random(&rng, [c], dtype: dtype)
                let (b, bv) = try KernelTest.random(&rng, [c], dtype: dtype)
                let y = try groupNorm(x, groups: groups, weight: affine ? w : nil, bias: affine ? b : nil, eps: 1e-5)
                #expect(y.shape == shape)
                let expected = Reference.groupNorm(xs, n: n, c: c, s: s, groups: groups,
                                                   weight: affine ? wv : nil, bias: affine ? bv : nil, eps: 1e-5)
                try KernelTest.expectClose(y, expected, Self.tol(dtype, c / groups * s),
                                           "groupNorm affine=\(affine) groups=\(groups) \(dtype) \(shape) seed \(rng.seed)")
            }
        }
    }

    /// Rows of zeros: variance 0, so the output is the bias (layer/group) or 0 (rms), never NaN.
    @Test func zeroRows() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            let x = try Tensor.zeros([3, 33], dtype: dtype, on: cpu)
            let (b, bv) = try KernelTest.random(&rng, [33], dtype: dtype)
            let (w, _) = try KernelTest.random(&rng, [33], dtype: dtype)
            try KernelTest.expectClose(try layerNorm(x, weight: w, bias: b, eps: 1e-6), (0..<99).map { bv[$0 % 33] }, (0, 0),
                                       "layerNorm of zeros \(dtype)")
            try KernelTest.expectClose(try rmsNorm(x, weight: w, eps: 1e-6), [Double](repeating: 0, count: 99), (0, 0),
                                       "rmsNorm of zeros \(dtype)")
            let g = try Tensor.zeros([1, 33, 4], dtype: dtype, on: cpu)
            try KernelTest.expectClose(try groupNorm(g, groups: 11, weight: w, bias: b, eps: 1e-6),
                                       (0..<132).map { bv[$0 / 4] }, (0, 0), "groupNorm of zeros \(dtype)")
        }
    }

    /// Transposed and sliced inputs go through `contiguous()` first.
    @Test func nonContiguousInputs() throws {
        var rng = TestRNG()
        let (x, xs) = try KernelTest.random(&rng, [33, 4], dtype: .bf16)
        let xt = try x.transposed(0, 1)                   // [4, 33]
        let rows = Reference.permute(xs, [33, 4], [1, 0])
        try KernelTest.expectClose(try layerNorm(xt, eps: 1e-5), Reference.layerNorm(rows, d: 33, weight: nil, bias: nil, eps: 1e-5),
                                   Self.tol(.bf16, 33), "layerNorm of a transpose, seed \(rng.seed)")
        try KernelTest.expectClose(try rmsNorm(xt, eps: 1e-5), Reference.rmsNorm(rows, d: 33, weight: nil, eps: 1e-5),
                                   Self.tol(.bf16, 33), "rmsNorm of a transpose, seed \(rng.seed)")
        let (g, gv) = try KernelTest.random(&rng, [2, 8, 10], dtype: .f16)
        let gs = try g.slice(axis: 2, 3..<8)              // [2, 8, 5]
        let sliced = (0..<80).map { (i: Int) -> Double in
            let (row, col) = i.quotientAndRemainder(dividingBy: 5)
            return gv[row * 10 + 3 + col]
        }
        try KernelTest.expectClose(try groupNorm(gs, groups: 4, eps: 1e-5),
                                   Reference.groupNorm(sliced, n: 2, c: 8, s: 5, groups: 4, weight: nil, bias: nil, eps: 1e-5),
                                   Self.tol(.f16, 10), "groupNorm of a slice, seed \(rng.seed)")
    }

    /// Kernels called directly on NaN-filled outputs write every element.
    @Test func everyOutputElementIsWritten() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            let (x, xs) = try KernelTest.random(&rng, [5, 129], dtype: dtype)
            let (w, wv) = try KernelTest.random(&rng, [129], dtype: dtype)
            var out = try KernelTest.poisoned([5, 129], dtype: dtype)
            try cpu.layerNorm(x, weight: w, bias: w, eps: 1e-5, into: out)
            try KernelTest.expectClose(out, Reference.layerNorm(xs, d: 129, weight: wv, bias: wv, eps: 1e-5), Self.tol(dtype, 129),
                                       "poisoned layerNorm \(dtype) seed \(rng.seed)")
            out = try KernelTest.poisoned([5, 129], dtype: dtype)
            try cpu.rmsNorm(x, weight: w, eps: 1e-5, into: out)
            try KernelTest.expectClose(out, Reference.rmsNorm(xs, d: 129, weight: wv, eps: 1e-5), Self.tol(dtype, 129),
                                       "poisoned rmsNorm \(dtype) seed \(rng.seed)")
            let (g, gv) = try KernelTest.random(&rng, [2, 6, 7], dtype: dtype)
            out = try KernelTest.poisoned([2, 6, 7], dtype: dtype)
            try cpu.groupNorm(g, groups: 2, weight: nil, bias: nil, eps: 1e-5, into: out)
            try KernelTest.expectClose(out, Reference.groupNorm(gv, n: 2, c: 6, s: 7, groups: 2, weight: nil, bias: nil, eps: 1e-5),
                                       Self.tol(dtype, 21), "poisoned groupNorm \(dtype) seed \(rng.seed)")
        }
    }

    /// One and two threads give bit-identical results (statistics never depend on the split).
    @Test func threadCountsAgree() throws {
        var rng = TestRNG()
        let one = CPUBackend(threads: 1), two = CPUBackend(threads: 2)
        let values = rng.normals(64 * 4096, scale: 2), weight = rng.normals(4096)
        for dtype in KernelTest.floatTypes {
            func run(_ backend: CPUBackend) throws -> [[UInt32]] {
                let x = try Tensor(values, shape: [64, 4096], dtype: dtype, on: backend)
                let w = try Tensor(weight, shape: [4096], dtype: dtype, on: backend)
                let image = try x.reshape([1, 64, 64, 64])
                return try [layerNorm(x, weight: w, bias: w, eps: 1e-6), rmsNorm(x, weight: w, eps: 1e-6),
                            groupNorm(image, groups: 32, eps: 1e-6), groupNorm(image, groups: 1, eps: 1e-6)].map(KernelTest.bits)
            }
            #expect(try run(one) == run(two), "\(dtype) seed \(rng.seed)")
        }
    }
}
