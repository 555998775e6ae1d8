import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// conv2d against a direct float64 reference on the same rounded inputs.
/// Tolerance: `tolerance(for: dtype, reduction: C/G·KH·KW)`.
@Suite struct ConvTests {
    let cpu = CPUBackend.shared

    /// One convolution: input [n, c, h, w], weight [o, c/groups, kh, kw].
    struct Case: CustomStringConvertible, Sendable {
        var n: Int, c: Int, h: Int, w: Int, o: Int, kh: Int, kw: Int
        var params: Conv2dParams
        var bias = true
        var description: String {
            "x [\(n),\(c),\(h),\(w)] w [\(o),\(c / params.groups),\(kh),\(kw)] stride (\(params.strideH),\(params.strideW)) " +
                "pad (\(params.padH),\(params.padW)) dil (\(params.dilationH),\(params.dilationW)) groups \(params.groups) bias \(bias)"
        }
    }

    static let cases: [Case] = [
        Case(n: 2, c: 5, h: 5, w: 7, o: 3, kh: 1, kw: 1, params: .init()),                                // pointwise path
        Case(n: 1, c: 4, h: 33, w: 17, o: 6, kh: 3, kw: 3, params: .init(padding: 1)),
        Case(n: 1, c: 4, h: 33, w: 17, o: 6, kh: 3, kw: 3, params: .init(padding: 1), bias: false),
        Case(n: 2, c: 3, h: 5, w: 7, o: 4, kh: 3, kw: 3, params: .init(stride: 2, padding: 1)),
        Case(n: 1, c: 3, h: 33, w: 17, o: 2, kh: 3, kw: 3, params: .init(stride: 2)),
        Case(n: 1, c: 4, h: 5, w: 7, o: 3, kh: 1, kw: 1, params: .init(stride: 2)),                        // 1×1 through im2col
        Case(n: 2, c: 3, h: 1, w: 1, o: 2, kh: 3, kw: 3, params: .init(padding: 1)),                       // 1×1 image
        Case(n: 1, c: 2, h: 1, w: 1, o: 3, kh: 1, kw: 1, params: .init()),
        Case(n: 1, c: 4, h: 5, w: 7, o: 6, kh: 3, kw: 3, params: .init(padding: 1, groups: 2)),
        Case(n: 2, c: 5, h: 5, w: 7, o: 5, kh: 3, kw: 3, params: .init(padding: 1, groups: 5)),            // depthwise
        Case(n: 1, c: 3, h: 7, w: 5, o: 6, kh: 3, kw: 3, params: .init(stride: 2, padding: 1, groups: 3)), // depthwise ×2
        Case(n: 1, c: 2, h: 33, w: 17, o: 3, kh: 3, kw: 3, params: .init(padding: 2, dilation: 2)),
        Case(n: 1, c: 2, h: 6, w: 5, o: 2, kh: 3, kw: 2, params: .init(stride: (2, 1), padding: (1, 0))),
        Case(n: 1, c: 3, h: 9, w: 8, o: 2, kh: 5, kw: 5, params: .init(stride: 3, padding: 2, dilation: 1)),
        Case(n: 1, c: 128, h: 33, w: 17, o: 5, kh: 3, kw: 3, params: .init(padding: 1)),                   // 2 pixel bands
        Case(n: 2, c: 1024, h: 33, w: 17, o: 3, kh: 1, kw: 1, params: .init()),                             // pointwise, 2 bands
    ]

    func run(_ t: Case, _ dtype: DType, rng: inout TestRNG, backend: CPUBackend? = nil) throws -> ErrorReport {
        let x = try rng.tensor([t.n, t.c, t.h, t.w], dtype: dtype, on: cpu)
        let weight = try rng.tensor([t.o, t.c / t.params.groups, t.kh, t.kw], dtype: dtype,
                                    scale: 1 / Float(t.c / t.params.groups * t.kh * t.kw).squareRoot(), on: cpu)
        let bias = t.bias ? try rng.tensor([t.o], dtype: dtype, on: cpu) : nil
        let out = try conv2d(x.tensor, weight: weight.tensor, bias: bias?.tensor, params: t.params)
        let expected = referenceConv2d(x: x.values, xShape: [t.n, t.c, t.h, t.w], weight: weight.values,
                                       weightShape: weight.tensor.shape.dims, bias: bias?.values, params: t.params)
        #expect(out.shape.dims == expected.shape && out.dtype == dtype, "\(t)")
        let tol = tolerance(for: dtype, reduction: t.c / t.params.groups * t.kh * t.kw)
        return compare(try out.floats(), expected.values, atol: tol.atol, rtol: tol.rtol)
    }

    @Test(arguments: [DType.f32, .f16, .bf16])
    func matchesReference(dtype: DType) throws {
        var rng = TestRNG()
        for t in Self.cases {
            let report = try run(t, dtype, rng: &rng)
            #expect(report.violations == 0, "seed \(rng.seed) \(dtype) \(t): \(report)")
        }
    }

    /// FLUX VAE Downsample: pad (0, 1, 0, 1) then a 3×3 stride-2 convolution without padding.
    @Test(arguments: [DType.f32, .bf16])
    func fluxDownsample(dtype: DType) throws {
        var rng = TestRNG()
        for (c, h, w) in [(8, 16, 16), (4, 15, 9)] {
            let x = try rng.tensor([1, c, h, w], dtype: dtype, on: cpu)
            let weight = try rng.tensor([c, c, 3, 3], dtype: dtype, scale: 0.2, on: cpu)
            let bias = try rng.tensor([c], dtype: dtype, on: cpu)
            let padded = try pad2d(x.tensor, top: 0, bottom: 1, left: 0, right: 1)
            let out = try conv2d(padded, weight: weight.tensor, bias: bias.tensor, params: .init(stride: 2))
            // Reference: zero-pad bottom and right by hand, then an unpadded stride-2 convolution.
            var paddedValues = [Double](repeating: 0, count: c * (h + 1) * (w + 1))
            for ch in 0..<c { for y in 0..<h { for xx in 0..<w {
                paddedValues[(ch * (h + 1) + y) * (w + 1) + xx] = x.values[(ch * h + y) * w + xx]
            } } }
            let expected = referenceConv2d(x: paddedValues, xShape: [1, c, h + 1, w + 1], weight: weight.values,
                                           weightShape: [c, c, 3, 3], bias: bias.values, params: .init(stride: 2))
            #expect(out.shape.dims == [1, c, h / 2, w / 2] && out.shape.dims == expected.shape)
            let tol = tolerance(for: dtype, reduction: c * 9)
            let report = compare(try out.floats(), expected.values, atol: tol.atol, rtol: tol.rtol)
            #expect(report.violations == 0, "seed \(rng.seed) \(dtype) [\(c),\(h),\(w)]: \(report)")
        }
    }

    /// A bias given as a strided view (every other element of a buffer).
    @Test func stridedBias() throws {
        var rng = TestRNG()
        let x = try rng.tensor([1, 3, 5, 7], on: cpu)
        let weight = try rng.tensor([4, 3, 3, 3], scale: 0.3, on: cpu)
        let pairs = try rng.tensor([4, 2], on: cpu)
        let bias = try pairs.tensor.T.slice(axis: 0, 0..<1).squeeze(0)   // [4] with stride 2
        #expect(bias.strides == [2])
        let out = try conv2d(x.tensor, weight: weight.tensor, bias: bias, params: .init(padding: 1))
        let biasValues = (0..<4).map { pairs.values[2 * $0] }
        let expected = referenceConv2d(x: x.values, xShape: [1, 3, 5, 7], weight: weight.values, weightShape: [4, 3, 3, 3],
                                       bias: biasValues, params: .init(padding: 1))
        let tol = tolerance(for: .f32, reduction: 27)
        let report = compare(try out.floats(), expected.values, atol: tol.atol, rtol: tol.rtol)
        #expect(report.violations == 0, "seed \(rng.seed): \(report)")
    }

    /// Every output element written (NaN-poisoned output, kernel called directly), for f32 (GEMM writes in
    /// place) and bf16 (through the f32 band), pointwise and im2col; 1 and 2 threads bit-identical.
    @Test(arguments: [DType.f32, .bf16])
    func poisonedOutputAndThreads(dtype: DType) throws {
        var rng = TestRNG()
        let cases = [
            // K = 1152: bands of 455 pixels, the second starting mid-row.
            Case(n: 2, c: 256, h: 33, w: 17, o: 4, kh: 3, kw: 3, params: .init(padding: 1, groups: 2)),
            Case(n: 2, c: 1024, h: 33, w: 17, o: 4, kh: 1, kw: 1, params: .init()),
        ]
        for t in cases {
            let x = try rng.tensor([t.n, t.c, t.h, t.w], dtype: dtype, on: cpu)
            let weight = try rng.tensor([t.o, t.c / t.params.groups, t.kh, t.kw], dtype: dtype, scale: 0.05, on: cpu)
            let bias = try rng.tensor([t.o], dtype: dtype, on: cpu)
            let expected = referenceConv2d(x: x.values, xShape: [t.n, t.c, t.h, t.w], weight: weight.values,
                                           weightShape: weight.tensor.shape.dims, bias: bias.values, params: t.params)
            let out = try cpu.empty(Shape(expected.shape), dtype: dtype)
            try cpu.fill(out, value: .nan)
            try cpu.conv2d(x.tensor, weight: weight.tensor, bias: bias.tensor, params: t.params, into: out)
            let values = try out.floats()
            #expect(values.allSatisfy { !$0.isNaN }, "seed \(rng.seed) \(t): unwritten elements")
            let tol = tolerance(for: dtype, reduction: t.c / t.params.groups * t.kh * t.kw)
            let report = compare(values, expected.values, atol: tol.atol, rtol: tol.rtol)
            #expect(report.violations == 0, "seed \(rng.seed) \(t): \(report)")

            let one = CPUBackend(threads: 1), two = CPUBackend(threads: 2)
            let a = try conv2d(try x.tensor.to(one), weight: try weight.tensor.to(one), bias: try bias.tensor.to(one), params: t.params)
            let b = try conv2d(try x.tensor.to(two), weight: try weight.tensor.to(two), bias: try bias.tensor.to(two), params: t.params)
            #expect(try a.floats().map(\.bitPattern) == b.floats().map(\.bitPattern), "seed \(rng.seed) \(t)")
        }
    }
}
