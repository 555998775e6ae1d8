import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// softmax and sum/mean/amax against float64 references.
@Suite struct SoftmaxReduceTests {
    let cpu = KernelTest.cpu

    @Test func softmaxMatchesFloat64() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for shape: Shape in [[1], [3], [17, 33], [2, 129], [2, 3072], [2, 3, 5, 7], [5, 1]] {
                let d = shape[shape.rank - 1]
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype, scale: 4)
                try KernelTest.expectClose(try softmax(x), Reference.softmax(xs, d: d),
                                           roundingTolerance(dtype, f32Ulps: 16, atol: 1e-8),
                                           "softmax \(dtype) \(shape) seed \(rng.seed)")
            }
        }
    }

    /// Softmax along an inner axis goes through a transposed (non-contiguous) view.
    @Test func softmaxOverAnInnerAxis() throws {
        var rng = TestRNG()
        let (x, xs) = try KernelTest.random(&rng, [3, 17, 5], dtype: .f32, scale: 3)
        let y = try softmax(x, axis: 1)
        #expect(y.shape == [3, 17, 5])
        let moved = Reference.permute(xs, [3, 17, 5], [0, 2, 1])                     // [3, 5, 17]
        let expected = Reference.permute(Reference.softmax(moved, d: 17), [3, 5, 17], [0, 2, 1])
        try KernelTest.expectClose(y, expected, roundingTolerance(.f32, f32Ulps: 16, atol: 1e-8), "seed \(rng.seed)")
    }

    /// torch's edge cases: an all −inf row is NaN, −inf entries next to finite ones are exactly 0, a row
    /// with +inf or NaN is NaN, and huge finite values do not overflow (the max is subtracted).
    @Test func softmaxEdgeValues() throws {
        let inf = Float.infinity, nan = Float.nan
        let rows: [[Float]] = [
            [-inf, -inf, -inf], [-inf, 1, -inf], [inf, 1, 2], [nan, 1, 2], [1e30, 1e30, -1e30], [88, 89, 90], [-1e4, -1e4, -1e4],
        ]
        let x = try Tensor(rows.flatMap { $0 }, shape: [rows.count, 3], on: cpu)
        let got = try softmax(x).floats()
        let expected = Reference.softmax(rows.flatMap { $0.map(Double.init) }, d: 3)
        let report = compare(got, expected, atol: 1e-7, rtol: 1e-6)
        #expect(report.violations == 0, "\(report)")
        #expect(got[0...2].allSatisfy(\.isNaN) && got[3] == 0 && got[4] == 1 && got[5] == 0)
    }

    /// Every reduced axis of rank 1–4 tensors, each op and dtype, through the public ops (keepDims both ways).
    @Test(arguments: ReduceOp.allCases)
    func reduceMatchesFloat64(_ op: ReduceOp) throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for shape: Shape in [[1], [17], [3, 129], [33, 3], [2, 3, 5, 7], [2, 3072], [1, 9, 1]] {
                let (x, xs) = try KernelTest.random(&rng, shape, dtype: dtype, scale: 2)
                for axis in 0..<shape.rank {
                    let y = try reduce(op, x, axes: [axis], keepDims: true)
                    var kept = shape
                    kept[axis] = 1
                    #expect(y.shape == kept && y.dtype == dtype)
                    let expected = Reference.reduce(op, xs, shape, axis: axis)
                    // Sums cancel: the error is relative to Σ|x|, about √n·scale for random signs.
                    let atol = op == .max ? 0 : 1e-6 * Double(shape[axis]).squareRoot() * 4
                    try KernelTest.expectClose(y, expected, roundingTolerance(dtype, f32Ulps: 8, atol: atol),
                                               "\(op) axis \(axis) \(dtype) \(shape) seed \(rng.seed)")
                    #expect(try reduce(op, x, axes: [axis]).shape == Shape(shape.dims.enumerated().filter { $0.offset != axis }.map(\.element)))
                }
            }
        }
    }

    /// Several axes (and all) reduce through f32 intermediates, so a bf16 input rounds once.
    @Test func reduceSeveralAxes() throws {
        var rng = TestRNG()
        let shape: Shape = [3, 4, 5, 6]
        let (x, xs) = try KernelTest.random(&rng, shape, dtype: .bf16, scale: 2)
        let y = try sum(x, axes: [0, 2])                                 // [4, 6]
        let step = Reference.reduce(.sum, xs, shape, axis: 0)            // [4, 5, 6]
        let expected = Reference.reduce(.sum, step, [4, 5, 6], axis: 1)
        #expect(y.shape == [4, 6])
        try KernelTest.expectClose(y, expected, roundingTolerance(.bf16, f32Ulps: 8, atol: 1e-5), "seed \(rng.seed)")
        let all = try mean(x)
        #expect(all.shape == [])
        try KernelTest.expectClose(all, [xs.reduce(0, +) / Double(xs.count)], roundingTolerance(.bf16, atol: 1e-5), "seed \(rng.seed)")
    }

    /// The kernel writes an f32 output for a bf16/f16 input without rounding the result to the input dtype.
    @Test func reduceIntoF32() throws {
        var rng = TestRNG()
        for dtype: DType in [.bf16, .f16] {
            let (x, xs) = try KernelTest.random(&rng, [7, 300], dtype: dtype)
            for axis in 0..<2 {
                var outShape: Shape = [7, 300]
                outShape[axis] = 1
                let out = try KernelTest.poisoned(outShape, dtype: .f32)
                try cpu.reduce(.mean, x, axis: axis, into: out)
                try KernelTest.expectClose(out, Reference.reduce(.mean, xs, [7, 300], axis: axis), (1e-6, 1e-5),
                                           "mean into f32 \(dtype) axis \(axis) seed \(rng.seed)")
            }
        }
    }

    /// Pairwise summation keeps long f32 sums accurate: 2²⁰ positive terms, along a row and down columns.
    /// (A running f32 sum of these loses ~1e-4 relative; pairwise stays near 1e-7.)
    @Test func longSumsStayAccurate() throws {
        var rng = TestRNG()
        let count = 1 << 20
        let values = (0..<count).map { _ in rng.uniform(0.1, 0.2) }
        let exact = values.reduce(0.0) { $0 + Double($1) }
        let row = try Tensor(values, shape: [count], on: cpu)
        let rowSum = try sum(row).floats()[0]
        #expect((Double(rowSum) - exact).magnitude <= 2e-6 * exact, "row sum \(rowSum) vs \(exact), seed \(rng.seed)")
        let columns = try row.reshape([count / 4, 4])
        let colSums = try sum(columns, axes: [0]).floats()
        for j in 0..<4 {
            let exactColumn = stride(from: j, to: count, by: 4).reduce(0.0) { $0 + Double(values[$1]) }
            #expect((Double(colSums[j]) - exactColumn).magnitude <= 2e-6 * exactColumn,
                    "column \(j) sum \(colSums[j]) vs \(exactColumn), seed \(rng.seed)")
        }
    }

    /// amax propagates NaN; an empty axis sums to 0, averages to NaN, and has no maximum (throws).
    @Test func reduceEdgeCases() throws {
        let nan = Float.nan
        let x = try Tensor([1, nan, 3, -.infinity, 2, 5], shape: [2, 3], on: cpu)
        let rowMax = try amax(x, axes: [1]).floats(), colMax = try amax(x, axes: [0]).floats()
        #expect(rowMax[0].isNaN && rowMax[1] == 5)
        #expect(colMax[0] == 1 && colMax[1].isNaN && colMax[2] == 5)
        let empty = try cpu.empty([2, 0, 3], dtype: .f32)
        #expect(try sum(empty, axes: [1]).floats() == [Float](repeating: 0, count: 6))
        #expect(try mean(empty, axes: [1]).floats().allSatisfy(\.isNaN))
        #expect(throws: TensorError.self) { try amax(empty, axes: [1]) }
    }

    /// Kernels called directly on NaN-filled outputs write every element.
    @Test func everyOutputElementIsWritten() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            let (x, xs) = try KernelTest.random(&rng, [5, 129], dtype: dtype)
            let out = try KernelTest.poisoned([5, 129], dtype: dtype)
            try cpu.softmax(x, into: out)
            try KernelTest.expectClose(out, Reference.softmax(xs, d: 129), roundingTolerance(dtype, f32Ulps: 16, atol: 1e-8),
                                       "poisoned softmax \(dtype) seed \(rng.seed)")
            for op in ReduceOp.allCases {
                for (axis, outShape) in [(0, [1, 129]), (1, [5, 1])] as [(Int, Shape)] {
                    let r = try KernelTest.poisoned(outShape, dtype: dtype)
                    try cpu.reduce(op, x, axis: axis, into: r)
                    try KernelTest.expectClose(r, Reference.reduce(op, xs, [5, 129], axis: axis),
                                               roundingTolerance(dtype, f32Ulps: 8, atol: 1e-5),
                                               "poisoned \(op) axis \(axis) \(dtype) seed \(rng.seed)")
                }
            }
        }
    }

    @Test func threadCountsAgree() throws {
        var rng = TestRNG()
        let one = CPUBackend(threads: 1), two = CPUBackend(threads: 2)
        let values = rng.normals(96 * 3001, scale: 3)
        for dtype in KernelTest.floatTypes {
            func run(_ backend: CPUBackend) throws -> [[UInt32]] {
                let x = try Tensor(values, shape: [96, 3001], dtype: dtype, on: backend)
                return try [softmax(x), sum(x, axes: [1]), mean(x, axes: [0]), amax(x, axes: [0]), sum(x)].map(KernelTest.bits)
            }
            #expect(try run(one) == run(two), "\(dtype) seed \(rng.seed)")
        }
    }
}
