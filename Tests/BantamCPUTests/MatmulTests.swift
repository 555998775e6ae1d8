import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// The CPU matmul and linear kernels (and the blocked GEMM behind them) against float64 references.
///
/// Every check runs once per GEMM micro-kernel this CPU has (`GemmKernel.available`: the portable Swift
/// kernel everywhere, the AVX2 and AVX-512 C kernels where supported), with fresh random inputs whose
/// seed is printed on failure. Kernel outputs are first filled with NaN through the backend, so an element
/// the kernel forgets to write fails the comparison. Tolerances are `tolerance(for: out dtype,
/// reduction: k)`: one rounding of the output plus f32 accumulation over k terms.
@Suite struct MatmulTests {
    /// Sizes (m, n, k): tiny and odd ones, sizes one past each kernel's register tile (12×32, 6×16, 6×8)
    /// and K block (256), several M blocks and two N blocks (1024 columns), k = 0, and both sides of the
    /// few-rows path (m ≤ 4 reads B in place; m = 5 packs).
    static let sizes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 17, 3), (7, 33, 129), (65, 127, 257), (13, 33, 257), (7, 17, 6), (5, 9, 513),
        (150, 1057, 40), (4, 6, 0), (3, 600, 70), (4, 70, 1100), (5, 40, 30),
    ]

    // MARK: helpers

    /// backend.matmul into an output filled with NaN first.
    static func poisonedMatmul(_ backend: CPUBackend, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = try backend.empty([a.shape[0], a.shape[1], b.shape[2]], dtype: a.dtype)
        if out.count > 0 { try backend.fill(out, value: .nan) }
        try backend.matmul(a, b, into: out)
        return out
    }

    /// backend.linear into an output filled with NaN first.
    static func poisonedLinear(_ backend: CPUBackend, _ x: Tensor, _ w: Tensor, _ bias: Tensor?) throws -> Tensor {
        let out = try backend.empty([x.shape[0], w.shape[0]], dtype: x.dtype)
        if out.count > 0 { try backend.fill(out, value: .nan) }
        try backend.linear(x, weight: w, bias: bias, into: out)
        return out
    }

    static func check(_ actual: Tensor, _ expected: [Double], dtype: DType, k: Int, _ what: String,
                      seed: UInt64) throws {
        let tol = tolerance(for: dtype, reduction: k)
        let report = compare(try actual.floats(), expected, atol: tol.atol, rtol: tol.rtol)
        #expect(report.violations == 0, "\(what), seed \(seed): \(report)")
    }

    /// Values of a weight as float64: FP8 bytes decoded from the format definition, other dtypes as stored.
    static func weightValues(_ w: Tensor) throws -> [Double] {
        guard w.dtype.isFloat8 else { return try w.floats().map(Double.init) }
        let host = try w.hostBuffer()
        return (0..<w.count).map { referenceDecodeFP8(host.bytes[$0], w.dtype) }
    }

    // MARK: matmul

    @Test(arguments: GemmKernel.available)
    func contiguousSizesAndDTypes(kernel: GemmKernel) throws {
        let backend = CPUBackend(threads: 2, gemmKernel: kernel)
        var rng = TestRNG()
        for dtype in [DType.f32, .f16, .bf16] {
            for (m, n, k) in Self.sizes {
                let batch = m * n * k < 20_000 ? 3 : 1
                let (a, av) = try rng.tensor([batch, m, k], dtype: dtype, on: backend)
                let (b, bv) = try rng.tensor([batch, k, n], dtype: dtype, on: backend)
                let out = try Self.poisonedMatmul(backend, a, b)
                #expect(out.dtype == dtype)
                try Self.check(out, referenceMatmul(av, bv, batch: batch, m: m, n: n, k: k), dtype: dtype, k: k,
                               "\(kernel) \(dtype) [\(batch), \(m), \(k)]·[\(batch), \(k), \(n)]", seed: rng.seed)
            }
        }
    }

    /// Transposed, sliced, permuted and broadcast operands, read in place by the packing step.
    @Test(arguments: GemmKernel.available)
    func stridedOperands(kernel: GemmKernel) throws {
        let backend = CPUBackend(threads: 2, gemmKernel: kernel)
        var rng = TestRNG()
        for dtype in [DType.f32, .f16, .bf16] {
            for (m, n, k) in [(5, 7, 3), (13, 33, 70), (30, 70, 300)] {
                let batch = 2
                // a: columns 2 ..< 2+k of a wider [batch, m, k+5] tensor (row stride k+5).
                let (wide, wideValues) = try rng.tensor([batch, m, k + 5], dtype: dtype, on: backend)
                let aSlice = try wide.slice(axis: 2, 2..<(2 + k))
                let aSliceValues = Self.columns(wideValues, rows: batch * m, rowLength: k + 5, from: 2, count: k)
                // a: stored [m, batch, k], permuted to [batch, m, k].
                let (mbk, mbkValues) = try rng.tensor([m, batch, k], dtype: dtype, on: backend)
                let aPermuted = try mbk.permute(1, 0, 2)
                let aPermutedValues = Self.swapOuterAxes(mbkValues, outer: m, inner: batch, rowLength: k)
                // b: a weight [batch, n, k] viewed transposed as [batch, k, n].
                let (w, wValues) = try rng.tensor([batch, n, k], dtype: dtype, on: backend)
                let bT = try w.T
                let bTValues = Self.transposeBatches(wValues, batch: batch, rows: n, cols: k)
                // b: one [1, k, n] matrix broadcast over the batch (batch stride 0).
                let (one, oneValues) = try rng.tensor([1, k, n], dtype: dtype, on: backend)
                let bBroadcast = try one.expand(to: [batch, k, n])
                let bBroadcastValues = Array((0..<batch).map { _ in oneValues }.joined())

                // a: stored [batch, k, m], viewed transposed (row stride 1, column stride m).
                let (kMajor, kMajorValues) = try rng.tensor([batch, k, m], dtype: dtype, on: backend)
                let aT = try kMajor.T
                let aTValues = Self.transposeBatches(kMajorValues, batch: batch, rows: k, cols: m)
                // b: columns 2 ..< 2+k of a [batch, n, k+5] tensor, viewed transposed (column stride k+5).
                let (wideW, wideWValues) = try rng.tensor([batch, n, k + 5], dtype: dtype, on: backend)
                let bSliceT = try wideW.slice(axis: 2, 2..<(2 + k)).T
                let sliceValues = Self.columns(wideWValues, rows: batch * n, rowLength: k + 5, from: 2, count: k)
                let bSliceTValues = Self.transposeBatches(sliceValues, batch: batch, rows: n, cols: k)

                // a: element 0 of the last axis of a [batch, m, k, 2] tensor (no unit stride at all).
                let (pairs, pairValues) = try rng.tensor([batch, m, k, 2], dtype: dtype, on: backend)
                let aEveryOther = try pairs.slice(axis: 3, 0..<1).squeeze(3)
                let aEveryOtherValues = (0..<(batch * m * k)).map { pairValues[2 * $0] }
                // b: one row per batch item repeated over K (row stride 0).
                let (rowsOfB, rowValues) = try rng.tensor([batch, 1, n], dtype: dtype, on: backend)
                let bRepeated = try rowsOfB.expand(to: [batch, k, n])
                let bRepeatedValues = (0..<(batch * k * n)).map { rowValues[($0 / (k * n)) * n + $0 % n] }

                let cases: [(String, Tensor, [Double], Tensor, [Double])] = [
                    ("every-other-element a · row-repeated b", aEveryOther, aEveryOtherValues, bRepeated, bRepeatedValues),
                    ("sliced a · transposed b", aSlice, aSliceValues, bT, bTValues),
                    ("permuted a · broadcast b", aPermuted, aPermutedValues, bBroadcast, bBroadcastValues),
                    ("transposed a · sliced-and-transposed b", aT, aTValues, bSliceT, bSliceTValues),
                ]
                for (name, a, av, b, bv) in cases {
                    let (mm, kk, nn) = (a.shape[1], a.shape[2], b.shape[2])
                    let out = try Self.poisonedMatmul(backend, a, b)
                    try Self.check(out, referenceMatmul(av, bv, batch: batch, m: mm, n: nn, k: kk), dtype: dtype, k: kk,
                                   "\(kernel) \(dtype) \(name) \(a.shape)·\(b.shape)", seed: rng.seed)
                }
            }
        }
    }

    /// Columns `from ..< from+count` of row-major [rows, rowLength] values.
    static func columns(_ v: [Double], rows: Int, rowLength: Int, from: Int, count: Int) -> [Double] {
        var out: [Double] = []
        for r in 0..<rows { out += v[(r * rowLength + from)..<(r * rowLength + from + count)] }
        return out
    }

    /// [outer, inner, rowLength] values reordered as [inner, outer, rowLength].
    static func swapOuterAxes(_ v: [Double], outer: Int, inner: Int, rowLength: Int) -> [Double] {
        var out: [Double] = []
        for t in 0..<inner {
            for i in 0..<outer { out += v[((i * inner + t) * rowLength)..<((i * inner + t + 1) * rowLength)] }
        }
        return out
    }

    /// Batch-wise transpose of [batch, rows, cols] values.
    static func transposeBatches(_ v: [Double], batch: Int, rows: Int, cols: Int) -> [Double] {
        (0..<batch).flatMap { t in referenceTranspose(Array(v[(t * rows * cols)..<((t + 1) * rows * cols)]), rows: rows, cols: cols) }
    }

    /// The public op broadcasts batch axes: [2, 1, M, K] · [3, K, N] -> [2, 3, M, N].
    @Test(arguments: GemmKernel.available)
    func broadcastBatchThroughTheOp(kernel: GemmKernel) throws {
        let backend = CPUBackend(threads: 2, gemmKernel: kernel)
        var rng = TestRNG()
        let (m, n, k) = (7, 19, 33)
        for dtype in [DType.f32, .bf16] {
            let (a, av) = try rng.tensor([2, 1, m, k], dtype: dtype, on: backend)
            let (b, bv) = try rng.tensor([3, k, n], dtype: dtype, on: backend)
            let out = try matmul(a, b)
            #expect(out.shape == [2, 3, m, n])
            // Expand both to [6, ...] batches for the reference.
            let aExpanded = (0..<2).flatMap { s in (0..<3).flatMap { _ in av[(s * m * k)..<((s + 1) * m * k)] } }
            let bExpanded = Array((0..<2).map { _ in bv }.joined())
            try Self.check(out, referenceMatmul(aExpanded, bExpanded, batch: 6, m: m, n: n, k: k), dtype: dtype, k: k,
                           "\(kernel) \(dtype) op matmul [2,1,\(m),\(k)]·[3,\(k),\(n)]", seed: rng.seed)
            // 2-D · 3-D and a transposed weight through the op.
            let (w, wv) = try rng.tensor([n, k], dtype: dtype, on: backend)
            let out2 = try matmul(a, try w.T)
            #expect(out2.shape == [2, 1, m, n])
            let wT = referenceTranspose(wv, rows: n, cols: k)
            try Self.check(out2, referenceMatmul(av, wT + wT, batch: 2, m: m, n: n, k: k), dtype: dtype, k: k,
                           "\(kernel) \(dtype) op matmul [2,1,\(m),\(k)]·wᵀ", seed: rng.seed)
        }
    }

    /// An infinite element of B makes its own column infinite and leaves the others finite: no 0 · ∞ from
    /// padding leaks into other outputs (the few-row paths and the packed path, row-major and transposed B).
    @Test(arguments: GemmKernel.available)
    func infinityStaysInItsColumn(kernel: GemmKernel) throws {
        let backend = CPUBackend(threads: 2, gemmKernel: kernel)
        var rng = TestRNG()
        for (m, n, k) in [(1, 9, 5), (3, 40, 5), (20, 40, 5)] {   // k = 5: the last row of B is alone in its group of four
            var bValues = rng.normals(k * n)
            bValues[(k - 1) * n + 2] = .infinity
            let b = try Tensor(bValues, shape: [1, k, n], on: backend)
            let (a, av) = try rng.tensor([1, m, k], on: backend)
            let expected = referenceMatmul(av, bValues.map(Double.init), batch: 1, m: m, n: n, k: k)
            let tol = tolerance(for: .f32, reduction: k)
            let report = compare(try Self.poisonedMatmul(backend, a, b).floats(), expected, atol: tol.atol, rtol: tol.rtol)
            #expect(report.violations == 0, "\(kernel) [\(m), \(k)]·[\(k), \(n)] with one ∞, seed \(rng.seed): \(report)")
            // The same B as a transposed weight through linear.
            let w = try Tensor(referenceTranspose(bValues.map(Double.init), rows: k, cols: n).map(Float.init), shape: [n, k], on: backend)
            let linearReport = compare(try Self.poisonedLinear(backend, try a.reshape([m, k]), w, nil).floats(), expected,
                                       atol: tol.atol, rtol: tol.rtol)
            #expect(linearReport.violations == 0, "\(kernel) linear [\(m), \(k)]·[\(n), \(k)]ᵀ with one ∞, seed \(rng.seed): \(linearReport)")
        }
    }

    /// bf16 outputs of more than 2²² elements go through the f32 scratch in row blocks (2047 + 2 rows here).
    @Test func largeLowPrecisionOutputInRowBlocks() throws {
        let backend = CPUBackend.shared
        var rng = TestRNG()
        let (m, n, k) = (2049, 2049, 3)
        let (a, av) = try rng.tensor([1, m, k], dtype: .bf16, on: backend)
        let (b, bv) = try rng.tensor([1, k, n], dtype: .bf16, on: backend)
        let expected = referenceMatmul(av, bv, batch: 1, m: m, n: n, k: k)
        try Self.check(try Self.poisonedMatmul(backend, a, b), expected, dtype: .bf16, k: k, "bf16 matmul \(m)×\(n)", seed: rng.seed)
        // linear: x [m, k] · (bᵀ as a [n, k] weight)ᵀ is the same product.
        let w = try b.reshape([k, n]).T.contiguous()
        try Self.check(try Self.poisonedLinear(backend, try a.reshape([m, k]), w, nil), expected, dtype: .bf16, k: k,
                       "bf16 linear \(m)×\(n)", seed: rng.seed)
    }

    @Test func emptyDimensions() throws {
        for kernel in GemmKernel.available {
            let backend = CPUBackend(threads: 2, gemmKernel: kernel)
            // k = 0: every output element is written as 0.
            let a = try backend.empty([2, 3, 0], dtype: .f32), b = try backend.empty([2, 0, 4], dtype: .f32)
            let out = try Self.poisonedMatmul(backend, a, b)
            #expect(try out.floats() == [Float](repeating: 0, count: 24))
            // m = 0 and n = 0: nothing to write, no crash.
            #expect(try Self.poisonedMatmul(backend, try backend.empty([1, 0, 5], dtype: .f32), try backend.empty([1, 5, 3], dtype: .f32)).count == 0)
            #expect(try Self.poisonedMatmul(backend, try backend.empty([1, 4, 5], dtype: .bf16), try backend.empty([1, 5, 0], dtype: .bf16)).count == 0)
            // linear with k = 0: the bias, or zeros.
            let x = try backend.empty([3, 0], dtype: .f32), w = try backend.empty([5, 0], dtype: .f32)
            let bias = try Tensor([1, 2, 3, 4, 5], shape: [5], on: backend)
            #expect(try Self.poisonedLinear(backend, x, w, bias).floats() == Array(repeating: [1, 2, 3, 4, 5], count: 3).flatMap { $0 })
            #expect(try Self.poisonedLinear(backend, x, w, nil).floats() == [Float](repeating: 0, count: 15))
        }
    }

    @Test func badInputsThrow() throws {
        let backend = CPUBackend.shared
        let a = try backend.empty([1, 3, 4], dtype: .f32), b = try backend.empty([1, 5, 2], dtype: .f32)
        let out = try backend.empty([1, 3, 2], dtype: .f32)
        #expect(throws: TensorError.self) { try backend.matmul(a, b, into: out) }
        #expect(throws: TensorError.self) { try matmul(a, b) }
        let x = try backend.empty([2, 4], dtype: .f32), w = try backend.empty([3, 5], dtype: .f32)
        #expect(throws: TensorError.self) { try backend.linear(x, weight: w, bias: nil, into: try backend.empty([2, 3], dtype: .f32)) }
        let ints = try Tensor(ints: [1, 2, 3, 4], shape: [1, 2, 2], on: backend)
        #expect(throws: TensorError.self) { try backend.matmul(ints, ints, into: try backend.empty([1, 2, 2], dtype: .i32)) }
        // linear: FP8 is a weight format only; integer weights are refused.
        let fp8 = try Tensor([1, 2, 3, 4], shape: [2, 2], dtype: .f8e4m3fn, on: backend)
        #expect(throws: TensorError.self) { try backend.linear(fp8, weight: fp8, bias: nil, into: try backend.empty([2, 2], dtype: .f8e4m3fn)) }
        let intWeight = try Tensor(ints: [1, 2, 3, 4], shape: [2, 2], dtype: .i8, on: backend)
        #expect(throws: TensorError.self) { try backend.linear(try backend.empty([2, 2], dtype: .f32), weight: intWeight, bias: nil, into: try backend.empty([2, 2], dtype: .f32)) }
    }

    // MARK: linear

    /// x [R, K] · weightᵀ + bias for every x dtype, weights in x's dtype, f32 and both FP8 formats, with and
    /// without a bias (also a bias of another dtype than x), contiguous and column-sliced x.
    @Test(arguments: GemmKernel.available)
    func linearDTypesAndBias(kernel: GemmKernel) throws {
        let backend = CPUBackend(threads: 2, gemmKernel: kernel)
        var rng = TestRNG()
        for xType in [DType.f32, .f16, .bf16] {
            for wType in Array(Set([xType, .f32, .f8e4m3fn, .f8e5m2])).sorted(by: { $0.rawValue < $1.rawValue }) {
                for (rows, n, k) in [(1, 1, 1), (3, 17, 33), (37, 129, 65), (5, 70, 300), (2, 300, 270)] {
                    for biasType in [nil, xType, DType.f32] {
                        let (w, _) = try rng.tensor([n, k], dtype: wType, on: backend)
                        let wv = try Self.weightValues(w)
                        let bias = try biasType.map { try rng.tensor([n], dtype: $0, on: backend) }
                        // x: columns 1 ..< 1+k of a [rows, k+3] tensor.
                        let (wide, wideValues) = try rng.tensor([rows, k + 3], dtype: xType, on: backend)
                        let x = try wide.slice(axis: 1, 1..<(1 + k))
                        let xv = Self.columns(wideValues, rows: rows, rowLength: k + 3, from: 1, count: k)
                        let expected = referenceLinear(xv, weight: wv, bias: bias?.values, rows: rows, n: n, k: k)
                        let out = try Self.poisonedLinear(backend, x, w, bias?.tensor)
                        #expect(out.dtype == xType)
                        try Self.check(out, expected, dtype: xType, k: k,
                                       "\(kernel) linear x \(xType) [\(rows), \(k)], weight \(wType) [\(n), \(k)], bias \(biasType.map { "\($0)" } ?? "none")",
                                       seed: rng.seed)
                    }
                }
            }
        }
    }

    /// The public op: 3-D input, FP8 weight, bias.
    @Test func linearThroughTheOp() throws {
        var rng = TestRNG()
        let backend = CPUBackend.shared
        let (x, xv) = try rng.tensor([2, 3, 40], dtype: .bf16, on: backend)
        let (w, _) = try rng.tensor([24, 40], dtype: .f8e4m3fn, on: backend)
        let (bias, biasValues) = try rng.tensor([24], dtype: .bf16, on: backend)
        let out = try linear(x, weight: w, bias: bias)
        #expect(out.shape == [2, 3, 24] && out.dtype == .bf16)
        let expected = referenceLinear(xv, weight: try Self.weightValues(w), bias: biasValues, rows: 6, n: 24, k: 40)
        try Self.check(out, expected, dtype: .bf16, k: 40, "op linear bf16 x, e4m3fn weight", seed: rng.seed)
    }

    // MARK: threads

    /// One and two threads give bit-identical results (the blocking, hence the order of every sum, does not
    /// depend on the thread count), for one large product, many small ones, a bf16 output and an FP8 linear.
    @Test(arguments: GemmKernel.available)
    func threadCountDoesNotChangeResults(kernel: GemmKernel) throws {
        let one = CPUBackend(threads: 1, gemmKernel: kernel), two = CPUBackend(threads: 2, gemmKernel: kernel)
        var rng = TestRNG()
        func bits(_ t: Tensor) throws -> [UInt32] { try t.floats().map(\.bitPattern) }
        for (batch, m, n, k, dtype) in [(1, 97, 130, 300, DType.f32), (12, 33, 40, 50, .f32), (2, 70, 90, 260, .bf16),
                                        (1, 3, 1500, 700, .f32), (16, 2, 300, 300, .f16)] {
            let (a, _) = try rng.tensor([batch, m, k], dtype: dtype, on: one)
            let (b, _) = try rng.tensor([batch, k, n], dtype: dtype, on: one)
            #expect(try bits(Self.poisonedMatmul(one, a, b)) == bits(Self.poisonedMatmul(two, a.to(two), b.to(two))),
                    "\(kernel) \(dtype) [\(batch), \(m), \(k)]·[\(batch), \(k), \(n)], seed \(rng.seed)")
        }
        for rows in [64, 2] {
            let (x, _) = try rng.tensor([rows, 400], on: one)
            let (w, _) = try rng.tensor([3000, 400], dtype: .f8e5m2, on: one)
            let (bias, _) = try rng.tensor([3000], on: one)
            #expect(try bits(Self.poisonedLinear(one, x, w, bias)) == bits(Self.poisonedLinear(two, x.to(two), w.to(two), bias.to(two))),
                    "\(kernel) linear of \(rows) rows with an e5m2 weight, seed \(rng.seed)")
        }
    }

    // MARK: kernel selection

    @Test func kernelSelection() {
        #expect(GemmKernel.available.first == .swift)
        #expect(GemmKernel.preferred.isAvailable)
        #expect(CPUBackend.shared.gemmKernel.isAvailable)
        // An unavailable choice falls back to the portable kernel instead of crashing later.
        for kernel in GemmKernel.allCases where !kernel.isAvailable {
            #expect(CPUBackend(threads: 1, gemmKernel: kernel).gemmKernel == .swift)
        }
    }
}
