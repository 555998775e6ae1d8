import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// unary, binary (with broadcasting) and affine against float64 references.
@Suite struct ElementwiseTests {
    let cpu = KernelTest.cpu

    /// Input scale and tolerance per function. The GELUs and SiLU-like functions cancel in f32 for large
    /// negative x (1 + tanh(u) → 0), which torch shares; an absolute term covers that.
    static func setup(_ op: UnaryOp) -> (scale: Float, transform: ((Float) -> Float)?, f32Ulps: Double, atol: Double) {
        switch op {
        case .geluTanh, .geluErf: return (3, nil, 8, 2e-6)
        case .silu, .sigmoid, .quickGelu, .tanh: return (3, nil, 8, 1e-7)
        case .exp: return (2.5, nil, 4, 0)
        case .sqrt, .rsqrt: return (3, { $0.magnitude }, 2, 0)
        case .relu, .square, .neg, .abs: return (3, nil, 1, 0)
        }
    }

    @Test(arguments: UnaryOp.allCases)
    func unaryMatchesFloat64(_ op: UnaryOp) throws {
        var rng = TestRNG()
        let (scale, transform, ulps, atol) = Self.setup(op)
        for dtype in KernelTest.floatTypes {
            for shape in KernelTest.shapes {
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype, scale: scale, transform: transform)
                let y = try unary(op, x)
                #expect(y.shape == shape && y.dtype == dtype)
                let expected = xs.map { Reference.storable(Reference.unary(op, $0), dtype) }
                try KernelTest.expectClose(y, expected, roundingTolerance(dtype, f32Ulps: ulps, atol: atol),
                                           "\(op) \(dtype) \(shape) seed \(rng.seed)")
            }
        }
    }

    /// Large |x|, infinities and NaN: no overflow to NaN where the function is finite; torch's results at
    /// the infinities (silu(−inf) and gelu(−inf) are NaN: −inf·0), except geluErf(+inf) = +inf (torch's
    /// vectorized erf gives NaN there; this kernel returns the limit).
    @Test func unaryEdgeValues() throws {
        let inf = Float.infinity, nan = Float.nan
        let inputs: [Float] = [-inf, -1e30, -1000, -100, -90, -20, -0.0, 0, 20, 90, 100, 1000, 1e30, inf, nan]
        let x = try Tensor(inputs, shape: [inputs.count], on: cpu)
        // Expected values per op at the inputs above (NaN matches NaN only).
        let expected: [UnaryOp: [Float]] = [
            .sigmoid: [0, 0, 0, Float(3.7835059e-44 as Double), Float(8.1940126e-40 as Double), 2.0611537e-09, 0.5, 0.5, 1, 1, 1, 1, 1, 1, nan],
            .silu: [nan, -0, -0, Float(-3.7200760e-42 as Double), Float(-7.3746113e-38 as Double), -4.1223073e-08, -0, 0, 20, 90, 100, 1000, 1e30, inf, nan],
            .geluTanh: [nan, -0, -0, -0, -0, -0, -0, 0, 20, 90, 100, 1000, 1e30, inf, nan],
            .geluErf: [nan, -0, -0, -0, -0, -0, -0, 0, 20, 90, 100, 1000, 1e30, inf, nan],
            .quickGelu: [nan, -0, -0, -0, -0, -3.2934100e-14, -0, 0, 20, 90, 100, 1000, 1e30, inf, nan],
            .exp: [0, 0, 0, Float(3.7835059e-44 as Double), Float(8.1940126e-40 as Double), 2.0611537e-09, 1, 1, 4.8516520e+08, inf, inf, inf, inf, inf, nan],
            .tanh: [-1, -1, -1, -1, -1, -1, -0, 0, 1, 1, 1, 1, 1, 1, nan],
            .relu: [0, 0, 0, 0, 0, 0, -0, 0, 20, 90, 100, 1000, 1e30, inf, nan],
        ]
        for (op, want) in expected {
            let got = try unary(op, x).floats()
            for i in inputs.indices {
                let ok = want[i].isNaN ? got[i].isNaN
                    : (got[i] == want[i] || (got[i] - want[i]).magnitude <= 1e-6 * want[i].magnitude + 1e-12)
                #expect(ok, "\(op)(\(inputs[i])) = \(got[i]), expected \(want[i])")
            }
        }
    }

    static let broadcastCases: [(Shape, Shape)] = [
        ([3, 1, 5], [4, 1]),          // both sides broadcast
        ([6, 17], [17]),              // a bias over the last axis
        ([2, 3, 4], []),              // a scalar
        ([129], [129]),               // same shape
        ([1], [33, 1]),
        ([4, 1, 1, 7], [1, 3, 5, 1]), // rank 4, alternating
        ([2, 5, 3072], [2, 5, 1]),    // a per-row scale, long rows
        ([9000], [1]),
    ]

    @Test(arguments: BinaryOp.allCases)
    func binaryMatchesFloat64(_ op: BinaryOp) throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for (aShape, bShape) in Self.broadcastCases + Self.broadcastCases.map({ ($1, $0) }) {
                let (a, av) = try KernelTest.random(&rng, aShape, dtype: dtype, scale: 2)
                let (b, bv) = try KernelTest.random(&rng, bShape, dtype: dtype, scale: 2)
                let y = try binary(op, a, b)
                let (expected, shape) = try Reference.broadcastBinary(op, av, aShape, bv, bShape)
                #expect(y.shape == shape)
                try KernelTest.expectClose(y, expected.map { Reference.storable($0, dtype) },
                                           roundingTolerance(dtype, f32Ulps: 1),
                                           "\(op) \(dtype) \(aShape) ∘ \(bShape) seed \(rng.seed)")
            }
        }
    }

    /// The operators route to the same kernels: f32 results equal Float arithmetic bit for bit.
    @Test func operatorsAreExactInF32() throws {
        var rng = TestRNG()
        let a = rng.normals(257), b = rng.normals(257)
        let s = rng.normal()
        let ta = try Tensor(a, shape: [257], on: cpu), tb = try Tensor(b, shape: [257], on: cpu)
        let cases: [(String, Tensor, [Float])] = [
            ("a + b", try ta + tb, zip(a, b).map { $0 + $1 }),
            ("a - b", try ta - tb, zip(a, b).map { $0 - $1 }),
            ("a * b", try ta * tb, zip(a, b).map { $0 * $1 }),
            ("a / b", try ta / tb, zip(a, b).map { $0 / $1 }),
            ("a + s", try ta + s, a.map { $0 + s }),
            ("s - a", try s - ta, a.map { s - $0 }),
            ("a * s", try ta * s, a.map { $0 * s }),
            ("-a", try -ta, a.map { -$0 }),
        ]
        for (name, got, want) in cases {
            #expect(try got.floats().map(\.bitPattern) == want.map(\.bitPattern), "\(name), seed \(rng.seed)")
        }
        // Broadcasting through the operator: [3, 1, 5] + [4, 1] -> [3, 4, 5].
        let p = rng.normals(15), q = rng.normals(4)
        let sum = try Tensor(p, shape: [3, 1, 5], on: cpu) + Tensor(q, shape: [4, 1], on: cpu)
        #expect(sum.shape == [3, 4, 5])
        let expected = (0..<60).map { (i: Int) -> Float in p[(i / 20) * 5 + i % 5] + q[(i / 5) % 4] }
        #expect(try sum.floats() == expected, "broadcast a + b, seed \(rng.seed)")
    }

    /// maximum/minimum propagate NaN from either side (torch semantics, not fmax).
    @Test func maximumMinimumPropagateNaN() throws {
        let nan = Float.nan
        let a = try Tensor([nan, 1, 2, nan, -.infinity], shape: [5], on: cpu)
        let b = try Tensor([1, nan, 3, nan, 0], shape: [5], on: cpu)
        let mx = try maximum(a, b).floats(), mn = try minimum(a, b).floats()
        #expect(mx[0].isNaN && mx[1].isNaN && mx[3].isNaN && mx[2] == 3 && mx[4] == 0)
        #expect(mn[0].isNaN && mn[1].isNaN && mn[3].isNaN && mn[2] == 2 && mn[4] == -.infinity)
    }

    @Test func affineMatchesFloat64() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for shape in KernelTest.shapes {
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype, scale: 3)
                let scale = rng.normal() * 2, shift = rng.normal()
                let y = try affine(x, scale: scale, shift: shift)
                // x·scale + shift rounded once to f32 (the product is exact in f64), then once to dtype.
                let expected = xs.map { $0 * Double(scale) + Double(shift) }
                try KernelTest.expectClose(y, expected, roundingTolerance(dtype, f32Ulps: 1),
                                           "affine \(dtype) \(shape) ·\(scale) + \(shift) seed \(rng.seed)")
            }
        }
    }

    /// Transposed, sliced, permuted and broadcast (stride-0) views go through the strided row walker.
    @Test func nonContiguousInputs() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            let tol = roundingTolerance(dtype, f32Ulps: 8, atol: 2e-6)
            // Transposed [5, 7] -> [7, 5].
            let (m, mv) = try KernelTest.random(&rng, [5, 7], dtype: dtype)
            let mt = try m.transposed(0, 1)
            try KernelTest.expectClose(try gelu(mt), Reference.permute(mv, [5, 7], [1, 0]).map { Reference.unary(.geluTanh, $0) },
                                       tol, "gelu of a transpose \(dtype) seed \(rng.seed)")
            // A slice of columns plus a transposed operand.
            let (w, wv) = try KernelTest.random(&rng, [4, 11], dtype: dtype)
            let ws = try w.slice(axis: 1, 2..<9)                                   // [4, 7], row stride 11
            let (u, uv) = try KernelTest.random(&rng, [7, 4], dtype: dtype)
            let sum = try ws + u.transposed(0, 1)
            let expectedSum = (0..<28).map { (i: Int) -> Double in
                let (row, col) = i.quotientAndRemainder(dividingBy: 7)
                return wv[row * 11 + 2 + col] + uv[col * 4 + row]
            }
            try KernelTest.expectClose(sum, expectedSum, roundingTolerance(dtype, f32Ulps: 1),
                                       "slice + transpose \(dtype) seed \(rng.seed)")
            // A permuted rank-4 tensor through affine.
            let (p, pv) = try KernelTest.random(&rng, [2, 3, 4, 5], dtype: dtype)
            let permuted = try p.permute(2, 0, 3, 1)
            try KernelTest.expectClose(try permuted * 0.5 + 1, Reference.permute(pv, [2, 3, 4, 5], [2, 0, 3, 1]).map { $0 * 0.5 + 1 },
                                       roundingTolerance(dtype, f32Ulps: 2), "permute affine \(dtype) seed \(rng.seed)")
            // A column broadcast along rows (stride 0 innermost) straight into the kernel.
            let (col, cv) = try KernelTest.random(&rng, [5, 1], dtype: dtype)
            let wide = try col.expand(to: [5, 4])
            let out = try cpu.empty([5, 4], dtype: dtype)
            try cpu.unary(.silu, wide, into: out)
            try KernelTest.expectClose(out, (0..<20).map { Reference.unary(.silu, cv[$0 / 4]) }, tol,
                                       "silu of an expanded view \(dtype) seed \(rng.seed)")
        }
    }

    /// Outputs pre-filled with NaN: every element must be overwritten (tile and row boundaries included).
    @Test func everyOutputElementIsWritten() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for shape: Shape in [[], [1], [2, 5000], [3, 4097], [4097, 3]] {
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype)
                let out = try KernelTest.poisoned(shape, dtype: dtype)
                try cpu.unary(.sigmoid, x, into: out)
                try KernelTest.expectClose(out, xs.map { Reference.sigmoid($0) }, roundingTolerance(dtype, f32Ulps: 8),
                                           "poisoned sigmoid \(dtype) \(shape) seed \(rng.seed)")
                let affineOut = try KernelTest.poisoned(shape, dtype: dtype)
                try cpu.affine(x, scale: 2, shift: -1, into: affineOut)
                try KernelTest.expectClose(affineOut, xs.map { 2 * $0 - 1 }, roundingTolerance(dtype, f32Ulps: 1),
                                           "poisoned affine \(dtype) \(shape) seed \(rng.seed)")
                let last = shape.rank == 0 ? 1 : shape[shape.rank - 1]
                let (bias, bv) = try KernelTest.random(&rng, shape.rank == 0 ? [] : [last], dtype: dtype)
                let binaryOut = try KernelTest.poisoned(shape, dtype: dtype)
                try cpu.binary(.add, x, try bias.expand(to: shape), into: binaryOut)
                try KernelTest.expectClose(binaryOut, xs.indices.map { xs[$0] + bv[$0 % last] },
                                           roundingTolerance(dtype, f32Ulps: 1), "poisoned add \(dtype) \(shape) seed \(rng.seed)")
            }
        }
    }

    /// One thread and two threads give bit-identical results (work is split on element boundaries only).
    @Test func threadCountsAgree() throws {
        var rng = TestRNG()
        let one = CPUBackend(threads: 1), two = CPUBackend(threads: 2)
        let shape: Shape = [3, 70001]
        let values = rng.normals(shape.count, scale: 3), bias = rng.normals(70001)
        for dtype in KernelTest.floatTypes {
            func run(_ backend: CPUBackend) throws -> [[UInt32]] {
                let x = try Tensor(values, shape: shape, dtype: dtype, on: backend)
                let b = try Tensor(bias, shape: [70001], dtype: dtype, on: backend)
                return try [gelu(x), silu(x), x * b, maximum(x, b), x * 1.5 + 0.25].map(KernelTest.bits)
            }
            #expect(try run(one) == run(two), "\(dtype) seed \(rng.seed)")
        }
    }

    @Test func integerInputsAreRejected() throws {
        let ids = try Tensor(ints: [1, 2, 3], shape: [3], on: cpu)
        let out = try cpu.empty([3], dtype: .i32)
        #expect(throws: TensorError.self) { try cpu.unary(.exp, ids, into: out) }
        #expect(throws: TensorError.self) { try unary(.exp, ids) }
    }
}
