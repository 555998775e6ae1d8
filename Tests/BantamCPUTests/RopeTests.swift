import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// Rotary embeddings against a float64 pair-rotation reference, the FLUX EmbedND formula (formats.md §2.5)
/// and the rotate-half formula. Tolerance: `tolerance(for: dtype, reduction: 2)` (two products, one sum,
/// one output rounding).
@Suite struct RopeTests {
    let cpu = CPUBackend.shared

    /// Random x [B, H, L, D] and random angles; cos/sin stored as `tableType`.
    func randomCase(_ dims: [Int], _ dtype: DType, tableType: DType, rng: inout TestRNG) throws
        -> (x: (tensor: Tensor, values: [Double]), cos: Tensor, sin: Tensor, cosValues: [Double], sinValues: [Double]) {
        let (l, half) = (dims[2], dims[3] / 2)
        let angles = (0..<(l * half)).map { _ in Double(rng.uniform(-4, 4)) }
        let cos = try Tensor(angles.map { Float(_cosDouble($0)) }, shape: [l, half], dtype: tableType, on: cpu)
        let sin = try Tensor(angles.map { Float(_sinDouble($0)) }, shape: [l, half], dtype: tableType, on: cpu)
        let x = try rng.tensor(Shape(dims), dtype: dtype, on: cpu)
        return (x, cos, sin, try cos.floats().map(Double.init), try sin.floats().map(Double.init))
    }

    static let shapes: [[Int]] = [[1, 1, 1, 16], [2, 3, 7, 64], [1, 3, 33, 128], [2, 1, 77, 16], [1, 1, 129, 2]]

    @Test(arguments: [DType.f32, .f16, .bf16], [RopeStyle.interleaved, .halves])
    func matchesReference(dtype: DType, style: RopeStyle) throws {
        var rng = TestRNG()
        for dims in Self.shapes {
            for tableType in [DType.f32, .bf16, .f16] {
                let c = try randomCase(dims, dtype, tableType: tableType, rng: &rng)
                let out = try rope(c.x.tensor, cos: c.cos, sin: c.sin, style: style)
                #expect(out.shape == Shape(dims) && out.dtype == dtype)
                let expected = referenceRope(x: c.x.values, cos: c.cosValues, sin: c.sinValues, rows: dims[0] * dims[1],
                                             l: dims[2], d: dims[3], style: style)
                let tol = tolerance(for: dtype, reduction: 2)
                let report = compare(try out.floats(), expected, atol: tol.atol, rtol: tol.rtol)
                #expect(report.violations == 0, "seed \(rng.seed) \(dims) \(dtype) table \(tableType) \(style): \(report)")
            }
        }
    }

    /// FLUX: ids (txt zeros, then image grid (0, r, c)), axes_dim [16, 56, 56], theta 10000; EmbedND's 2×2
    /// matrices [[cos, −sin], [sin, cos]] applied to adjacent pairs, written out as in the reference code.
    @Test(arguments: [DType.f32, .bf16])
    func fluxEmbedND(dtype: DType) throws {
        var rng = TestRNG()
        let axesDim = [16, 56, 56], theta = 10000.0
        let (textTokens, gridH, gridW) = (3, 4, 5)
        var ids: [[Double]] = Array(repeating: [0, 0, 0], count: textTokens)
        for r in 0..<gridH { for c in 0..<gridW { ids.append([0, Double(r), Double(c)]) } }
        let (b, h, l, d) = (1, 2, ids.count, axesDim.reduce(0, +))
        // freqs [L, 64, 2, 2] in float64, then the angle tables given to the kernel as f32.
        var matrices: [[[Double]]] = []   // [L][pair] -> [m00, m01, m10, m11]
        var cosTable: [Float] = [], sinTable: [Float] = []
        for position in ids {
            var row: [[Double]] = []
            for (axis, dim) in axesDim.enumerated() {
                for j in 0..<(dim / 2) {
                    let omega = 1 / _powDouble(theta, Double(2 * j) / Double(dim))
                    let angle = position[axis] * omega
                    row.append([_cosDouble(angle), -_sinDouble(angle), _sinDouble(angle), _cosDouble(angle)])
                    cosTable.append(Float(_cosDouble(angle)))
                    sinTable.append(Float(_sinDouble(angle)))
                }
            }
            matrices.append(row)
        }
        let x = try rng.tensor([b, h, l, d], dtype: dtype, scale: 3, on: cpu)
        let cos = try Tensor(cosTable, shape: [l, d / 2], on: cpu), sin = try Tensor(sinTable, shape: [l, d / 2], on: cpu)
        // x_out[..., j, r] = freqs[j, r, 0]·x[2j] + freqs[j, r, 1]·x[2j+1]  (flux/math.py apply_rope)
        var expected = x.values
        for row in 0..<(b * h) {
            for p in 0..<l {
                for j in 0..<(d / 2) {
                    let base = (row * l + p) * d + 2 * j
                    let (x0, x1) = (x.values[base], x.values[base + 1])
                    let m = matrices[p][j]
                    expected[base] = m[0] * x0 + m[1] * x1
                    expected[base + 1] = m[2] * x0 + m[3] * x1
                }
            }
        }
        // The kernel's cos/sin are f32 roundings of the float64 values: ≤ 1e-6 more error for |x| ≲ 12.
        let tol = tolerance(for: dtype, reduction: 2)
        let out = try rope(x.tensor, cos: cos, sin: sin, style: .interleaved).floats()
        let report = compare(out, expected, atol: tol.atol, rtol: tol.rtol)
        #expect(report.violations == 0, "seed \(rng.seed) \(dtype): \(report)")
        // Text tokens (ids 0) are left unchanged.
        let textElements = textTokens * d
        #expect(Array(out[0..<textElements]) == x.values[0..<textElements].map { Float($0) })
        // The rotate-half pairing is a different function: it must not match FLUX.
        let halves = try rope(x.tensor, cos: cos, sin: sin, style: .halves).floats()
        #expect(compare(halves, expected, atol: tol.atol, rtol: tol.rtol).violations > 0)
    }

    /// `.halves` equals the Hugging Face formula x·cat(cos, cos) + rotate_half(x)·cat(sin, sin) with
    /// rotate_half(x) = cat(−x[D/2...], x[..<D/2]).
    @Test func rotateHalfFormula() throws {
        var rng = TestRNG()
        let dims = [2, 3, 17, 64]
        let c = try randomCase(dims, .f32, tableType: .f32, rng: &rng)
        let (l, d, half) = (dims[2], dims[3], dims[3] / 2)
        var expected = c.x.values
        for row in 0..<(dims[0] * dims[1] * l) {
            let p = row % l, base = row * d
            for i in 0..<d {
                let j = i % half
                let rotated = i < half ? -c.x.values[base + i + half] : c.x.values[base + i - half]
                expected[base + i] = c.x.values[base + i] * c.cosValues[p * half + j] + rotated * c.sinValues[p * half + j]
            }
        }
        let out = try rope(c.x.tensor, cos: c.cos, sin: c.sin, style: .halves).floats()
        let tol = tolerance(for: .f32, reduction: 2)
        let report = compare(out, expected, atol: tol.atol, rtol: tol.rtol)
        #expect(report.violations == 0, "seed \(rng.seed): \(report)")
    }

    /// Every element written (NaN-poisoned output, kernel called directly); 1 and 2 threads bit-identical.
    @Test(arguments: [RopeStyle.interleaved, .halves])
    func poisonedOutputAndThreads(style: RopeStyle) throws {
        var rng = TestRNG()
        let dims = [2, 3, 33, 16]
        let c = try randomCase(dims, .bf16, tableType: .f32, rng: &rng)
        let out = try cpu.empty(Shape(dims), dtype: .bf16)
        try cpu.fill(out, value: .nan)
        try cpu.rope(c.x.tensor, cos: c.cos, sin: c.sin, style: style, into: out)
        let values = try out.floats()
        #expect(values.allSatisfy { !$0.isNaN }, "seed \(rng.seed): unwritten elements")
        let expected = referenceRope(x: c.x.values, cos: c.cosValues, sin: c.sinValues, rows: 6, l: 33, d: 16, style: style)
        let tol = tolerance(for: .bf16, reduction: 2)
        #expect(compare(values, expected, atol: tol.atol, rtol: tol.rtol).violations == 0, "seed \(rng.seed)")

        let one = CPUBackend(threads: 1), two = CPUBackend(threads: 2)
        let a = try rope(try c.x.tensor.to(one), cos: try c.cos.to(one), sin: try c.sin.to(one), style: style).floats()
        let b = try rope(try c.x.tensor.to(two), cos: try c.cos.to(two), sin: try c.sin.to(two), style: style).floats()
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern) && a.map(\.bitPattern) == values.map(\.bitPattern))
    }
}

#if canImport(Glibc)
import Glibc
func _cosDouble(_ x: Double) -> Double { Glibc.cos(x) }
func _sinDouble(_ x: Double) -> Double { Glibc.sin(x) }
func _powDouble(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#else
import Darwin
func _cosDouble(_ x: Double) -> Double { Darwin.cos(x) }
func _sinDouble(_ x: Double) -> Double { Darwin.sin(x) }
func _powDouble(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
#endif
