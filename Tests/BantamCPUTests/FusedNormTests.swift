import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fused ops' default implementations (Backend+FusedNorms.swift), which the CPU backend runs: the same
/// bits as the op-level composition they replace in model code, and close to float64 math. The tolerances
/// against float64 count the composition's roundings: each intermediate tensor of x's dtype is off by half
/// an ulp of its magnitude, which later steps carry (for bf16, three intermediates of magnitude ≲ 8).
@Suite struct FusedNormTests {
    let cpu = KernelTest.cpu

    /// Shapes [B, L, D]: odd sizes, a FLUX-wide row.
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (2, 3, 17), (1, 7, 33), (2, 5, 129), (1, 9, 3072)]

    /// Tolerance for values built from a few rounded intermediates of magnitude up to `magnitude`.
    static func tol(_ dtype: DType, magnitude: Double, steps: Double) -> (atol: Double, rtol: Double) {
        let ulp: Double
        switch dtype {
        case .bf16: ulp = 0x1p-8
        case .f16: ulp = 0x1p-11
        default: ulp = 0x1p-24 * 64
        }
        return (steps * ulp * magnitude + 1e-6, ulp)
    }

    @Test func modulatedLayerNormIsTheComposition() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for (b, l, d) in Self.shapes {
                let (x, xs) = try KernelTest.random(&rng, [b, l, d], dtype: dtype, scale: 2, transform: { $0 + 1 })
                let (mod, ms) = try KernelTest.random(&rng, [b, 3 * d], dtype: dtype, scale: 0.5)
                let parts = try mod.chunk(3, axis: 1)                         // strided [B, D] views
                let (shift, scale) = (try parts[0].unsqueeze(1), try parts[1].unsqueeze(1))
                let fused = try modulatedLayerNorm(x, shift: parts[0], scale: scale, eps: 1e-6)
                let composed = try (1 + scale) * layerNorm(x, eps: 1e-6) + shift
                #expect(try KernelTest.bits(fused) == KernelTest.bits(composed), "\(dtype) [\(b), \(l), \(d)] seed \(rng.seed)")

                let shiftValues = (0..<(b * d)).map { ms[$0 / d * 3 * d + $0 % d] }
                let scaleValues = (0..<(b * d)).map { ms[$0 / d * 3 * d + d + $0 % d] }
                let expected = Reference.modulatedLayerNorm(xs, b: b, l: l, d: d, shift: shiftValues, scale: scaleValues, eps: 1e-6)
                let magnitude = expected.map(\.magnitude).max() ?? 1
                try KernelTest.expectClose(fused, expected, Self.tol(dtype, magnitude: max(magnitude, 4), steps: 3),
                                           "modulatedLayerNorm \(dtype) [\(b), \(l), \(d)] seed \(rng.seed)")
            }
        }
    }

    @Test func gatedResidualIsTheComposition() throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for (b, l, d) in Self.shapes {
                let (x, xs) = try KernelTest.random(&rng, [b, l, d], dtype: dtype, scale: 2)
                let (y, ys) = try KernelTest.random(&rng, [b, l, d], dtype: dtype, scale: 2)
                let (g, gs) = try KernelTest.random(&rng, [b, d], dtype: dtype)
                let fused = try gatedResidual(x, gate: g, y)
                let composed = try x + g.unsqueeze(1) * y
                #expect(try KernelTest.bits(fused) == KernelTest.bits(composed), "\(dtype) [\(b), \(l), \(d)] seed \(rng.seed)")
                let expected = Reference.gatedResidual(xs, gate: gs, ys, l: l, d: d)
                let magnitude = expected.map(\.magnitude).max() ?? 1
                try KernelTest.expectClose(fused, expected, Self.tol(dtype, magnitude: max(magnitude, 1), steps: 2),
                                           "gatedResidual \(dtype) [\(b), \(l), \(d)] seed \(rng.seed)")
            }
        }
    }

    @Test(arguments: [RopeStyle.interleaved, .halves])
    func qkNormRopeIsTheComposition(style: RopeStyle) throws {
        var rng = TestRNG()
        for dtype in KernelTest.floatTypes {
            for (b, h, l, d) in [(1, 1, 1, 2), (2, 3, 5, 6), (1, 2, 17, 128), (1, 3, 4, 64)] {
                // q as a view of a fused qkv projection [B, L, 3·H·D] (features contiguous, other axes strided).
                let (qkv, values) = try KernelTest.random(&rng, [b, l, 3 * h * d], dtype: dtype, scale: 2)
                let q = try qkv.reshape([b, l, 3, h, d]).permute(2, 0, 3, 1, 4).slice(axis: 0, 0..<1).squeeze(0)
                let (w, ws) = try KernelTest.random(&rng, [d], dtype: dtype, scale: 0.5)
                let angles = rng.uniforms(l * d / 2, -10, 10).map(Double.init)
                let cos = try Tensor(angles.map { Float(Glibc.cos($0)) }, shape: [l, d / 2], on: cpu)
                let sin = try Tensor(angles.map { Float(Glibc.sin($0)) }, shape: [l, d / 2], on: cpu)
                let fused = try qkNormRope(q, weight: w, cos: cos, sin: sin, eps: 1e-6, style: style)
                let composed = try rope(try rmsNorm(q, weight: w, eps: 1e-6), cos: cos, sin: sin, style: style)
                #expect(try KernelTest.bits(fused) == KernelTest.bits(composed), "\(dtype) [\(b), \(h), \(l), \(d)] seed \(rng.seed)")

                // q's values as [B, H, L, D] row-major.
                var qs = [Double](repeating: 0, count: b * h * l * d)
                for i in qs.indices {
                    let (bi, hi, li, di) = (i / (h * l * d), i / (l * d) % h, i / d % l, i % d)
                    qs[i] = values[((bi * l + li) * 3 + 0) * h * d + hi * d + di]
                }
                let expected = Reference.qkNormRope(qs, weight: ws, cos: try cos.floats().map(Double.init),
                                                    sin: try sin.floats().map(Double.init), rows: b * h, l: l, d: d,
                                                    eps: 1e-6, style: style)
                let magnitude = expected.map(\.magnitude).max() ?? 1
                try KernelTest.expectClose(fused, expected, Self.tol(dtype, magnitude: max(magnitude, 1), steps: 3),
                                           "qkNormRope \(style) \(dtype) [\(b), \(h), \(l), \(d)] seed \(rng.seed)")
            }
        }
    }

    /// Shapes and dtypes the fused ops refuse, with one-line messages.
    @Test func badArgumentsAreRefused() throws {
        let x = try Tensor.zeros([2, 3, 8], on: cpu)
        #expect(throws: TensorError.self) { try modulatedLayerNorm(x, shift: try Tensor.zeros([2, 7], on: cpu), scale: try Tensor.zeros([2, 8], on: cpu), eps: 1e-6) }
        #expect(throws: TensorError.self) { try modulatedLayerNorm(x, shift: try Tensor.zeros([2, 8], dtype: .bf16, on: cpu), scale: try Tensor.zeros([2, 8], on: cpu), eps: 1e-6) }
        #expect(throws: TensorError.self) { try gatedResidual(x, gate: try Tensor.zeros([1, 8], on: cpu), x) }
        #expect(throws: TensorError.self) { try gatedResidual(x, gate: try Tensor.zeros([2, 8], on: cpu), try Tensor.zeros([2, 3, 7], on: cpu)) }
        let q = try Tensor.zeros([1, 2, 3, 8], on: cpu)
        #expect(throws: TensorError.self) { try qkNormRope(q, weight: try Tensor.zeros([8], on: cpu), cos: try Tensor.zeros([3, 3], on: cpu), sin: try Tensor.zeros([3, 4], on: cpu), eps: 1e-6) }
        #expect(throws: TensorError.self) { try qkNormRope(q, weight: try Tensor.zeros([7], on: cpu), cos: try Tensor.zeros([3, 4], on: cpu), sin: try Tensor.zeros([3, 4], on: cpu), eps: 1e-6) }
        do {
            _ = try gatedResidual(x, gate: try Tensor.zeros([1, 8], on: cpu), x)
        } catch {
            #expect(!"\(error)".contains("\n"))
        }
    }
}
