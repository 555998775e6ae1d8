import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// Scaled dot-product attention against a float64 reference (same rounded inputs).
/// Tolerance: `tolerance(for: dtype, reduction: max(D, Lk))` — one rounding of the output plus f32
/// accumulation over the longer of the two GEMM reductions.
@Suite struct AttentionTests {
    let cpu = CPUBackend.shared

    /// Sizes of one attention problem.
    struct Dims: CustomStringConvertible, Sendable {
        var b: Int, h: Int, lq: Int, lk: Int, d: Int, dv: Int
        init(_ b: Int, _ h: Int, _ lq: Int, _ lk: Int, _ d: Int, _ dv: Int? = nil) {
            (self.b, self.h, self.lq, self.lk, self.d, self.dv) = (b, h, lq, lk, d, dv ?? d)
        }
        var description: String { "B\(b) H\(h) Lq\(lq) Lk\(lk) D\(d) Dv\(dv)" }
    }

    /// What bias to add: none, a [1, 1, Lq, Lk] 0/−inf mask (with one fully masked row when Lq > 2),
    /// or a [1, H, Lq, Lk] T5-style additive bias.
    enum BiasKind: Sendable { case none, mask, t5 }

    /// Random inputs for `dims`; runs the op and the reference; returns the error report.
    func check(_ dims: Dims, _ dtype: DType, bias kind: BiasKind = .none, causal: Bool = false, scale: Float? = nil,
               rng: inout TestRNG) throws -> ErrorReport {
        let q = try rng.tensor([dims.b, dims.h, dims.lq, dims.d], dtype: dtype, on: cpu)
        let k = try rng.tensor([dims.b, dims.h, dims.lk, dims.d], dtype: dtype, on: cpu)
        let v = try rng.tensor([dims.b, dims.h, dims.lk, dims.dv], dtype: dtype, on: cpu)
        var bias: (tensor: Tensor, values: [Double], shape: [Int])?
        switch kind {
        case .none: break
        case .mask:
            let shape = [1, 1, dims.lq, dims.lk]
            var values = (0..<(dims.lq * dims.lk)).map { _ in rng.uniform() < 0.3 ? -Float.infinity : 0 }
            if dims.lq > 2 { for j in 0..<dims.lk { values[1 * dims.lk + j] = -.infinity } }   // row 1: fully masked
            let t = try Tensor(values, shape: Shape(shape), dtype: dtype, on: cpu)
            bias = (t, try t.floats().map(Double.init), shape)
        case .t5:
            let shape = [1, dims.h, dims.lq, dims.lk]
            let t = try rng.tensor(Shape(shape), dtype: dtype, scale: 2, on: cpu)
            bias = (t.tensor, t.values, shape)
        }
        let out = try attention(q.tensor, k.tensor, v.tensor, bias: bias?.tensor, causal: causal, scale: scale)
        #expect(out.shape == [dims.b, dims.h, dims.lq, dims.dv] && out.dtype == dtype)
        let expected = referenceAttention(q: q.values, k: k.values, v: v.values, batch: dims.b, heads: dims.h,
                                          lq: dims.lq, lk: dims.lk, d: dims.d, dv: dims.dv, bias: bias?.values,
                                          biasShape: bias?.shape, causal: causal,
                                          scale: Double(scale ?? 1 / Float(dims.d).squareRoot()))
        let tol = tolerance(for: dtype, reduction: max(dims.d, dims.lk))
        return compare(try out.floats(), expected, atol: tol.atol, rtol: tol.rtol)
    }

    static let shapes: [Dims] = [
        Dims(1, 1, 1, 1, 16), Dims(2, 3, 7, 7, 64), Dims(1, 3, 33, 77, 16), Dims(2, 1, 77, 33, 128),
        Dims(1, 3, 129, 129, 64), Dims(1, 1, 7, 129, 16, 24), Dims(2, 1, 65, 1, 16),
    ]

    @Test(arguments: [DType.f32, .f16, .bf16], shapes)
    func matchesReference(dtype: DType, dims: Dims) throws {
        var rng = TestRNG()
        let report = try check(dims, dtype, rng: &rng)
        #expect(report.violations == 0, "seed \(rng.seed) \(dims) \(dtype): \(report)")
    }

    /// A [1, 1, Lq, Lk] mask and a [1, H, Lq, Lk] bias broadcast over batch (and heads).
    @Test(arguments: [DType.f32, .f16, .bf16], [BiasKind.mask, .t5])
    func biasBroadcast(dtype: DType, kind: BiasKind) throws {
        var rng = TestRNG()
        for dims in [Dims(2, 3, 7, 33, 16), Dims(2, 3, 77, 7, 64), Dims(1, 1, 1, 5, 16)] {
            let report = try check(dims, dtype, bias: kind, rng: &rng)
            #expect(report.violations == 0, "seed \(rng.seed) \(dims) \(dtype) \(kind): \(report)")
        }
    }

    /// Top-left causal masks, square and Lq ≠ Lk, across several query blocks, with and without a bias.
    @Test(arguments: [DType.f32, .bf16])
    func causal(dtype: DType) throws {
        var rng = TestRNG()
        let cases: [(Dims, BiasKind)] = [
            (Dims(1, 3, 33, 33, 16), .none), (Dims(2, 1, 7, 33, 64), .none), (Dims(1, 1, 77, 33, 16), .none),
            (Dims(1, 2, 129, 129, 64), .none), (Dims(1, 3, 70, 70, 16), .t5), (Dims(1, 1, 1, 1, 16), .none),
        ]
        for (dims, kind) in cases {
            let report = try check(dims, dtype, bias: kind, causal: true, rng: &rng)
            #expect(report.violations == 0, "seed \(rng.seed) \(dims) \(dtype) causal: \(report)")
        }
    }

    @Test(arguments: [Float(0.3), 1, 0.01])
    func customScale(scale: Float) throws {
        var rng = TestRNG()
        let report = try check(Dims(2, 3, 7, 33, 64), .f32, bias: .t5, scale: scale, rng: &rng)
        #expect(report.violations == 0, "seed \(rng.seed) scale \(scale): \(report)")
    }

    /// 1100 tokens: 18 query blocks and 1100-wide score rows.
    @Test func longSequence() throws {
        var rng = TestRNG()
        let report = try check(Dims(1, 1, 1100, 1100, 64), .f32, rng: &rng)
        #expect(report.violations == 0, "seed \(rng.seed): \(report)")
    }

    /// Fully masked rows give zeros (PyTorch 2.13: math and flash CPU backends, all float dtypes); NaN
    /// scores propagate to their rows only.
    @Test func fullyMaskedRowsAndNaN() throws {
        let q = try Tensor([Float](repeating: 0.5, count: 3 * 4), shape: [1, 1, 3, 4], on: cpu)
        let k = try Tensor((0..<8).map { Float($0) / 8 }, shape: [1, 1, 2, 4], on: cpu)
        let v = try Tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [1, 1, 2, 4], on: cpu)
        let mask = try Tensor([0, 0, -.infinity, -.infinity, .nan, 0], shape: [1, 1, 3, 2], on: cpu)
        let out = try attention(q, k, v, bias: mask).floats()
        #expect((0..<4).allSatisfy { out[$0] > Float($0 + 1) && out[$0] < Float($0 + 5) })   // a blend of v's rows
        #expect(out[4..<8].allSatisfy { $0 == 0 })            // fully masked: zeros
        #expect(out[8..<12].allSatisfy { $0.isNaN })          // NaN score: NaN row
        // No keys at all: zeros, like torch.
        let none = try cpu.empty([1, 1, 0, 4], dtype: .f32)
        let empty = try attention(q, none, none)
        #expect(try empty.floats() == [Float](repeating: 0, count: 12))
    }

    /// The kernel called directly on a NaN-filled output must write every element.
    @Test(arguments: [DType.f32, .bf16])
    func writesEveryOutputElement(dtype: DType) throws {
        var rng = TestRNG()
        let dims = Dims(2, 3, 67, 40, 16, 8)
        let q = try rng.tensor([dims.b, dims.h, dims.lq, dims.d], dtype: dtype, on: cpu)
        let k = try rng.tensor([dims.b, dims.h, dims.lk, dims.d], dtype: dtype, on: cpu)
        let v = try rng.tensor([dims.b, dims.h, dims.lk, dims.dv], dtype: dtype, on: cpu)
        let bias = try rng.tensor([1, dims.h, 1, dims.lk], dtype: dtype, on: cpu)
        for causal in [false, true] {
            let out = try cpu.empty([dims.b, dims.h, dims.lq, dims.dv], dtype: dtype)
            try cpu.fill(out, value: .nan)
            try cpu.attention(q.tensor, k.tensor, v.tensor, bias: try bias.tensor.expand(to: [dims.b, dims.h, dims.lq, dims.lk]),
                              causal: causal, scale: 0.25, into: out)
            let expected = referenceAttention(q: q.values, k: k.values, v: v.values, batch: dims.b, heads: dims.h,
                                              lq: dims.lq, lk: dims.lk, d: dims.d, dv: dims.dv, bias: bias.values,
                                              biasShape: [1, dims.h, 1, dims.lk], causal: causal, scale: 0.25)
            let values = try out.floats()
            #expect(values.allSatisfy { !$0.isNaN }, "seed \(rng.seed) causal \(causal): unwritten elements")
            let tol = tolerance(for: dtype, reduction: dims.lk)
            let report = compare(values, expected, atol: tol.atol, rtol: tol.rtol)
            #expect(report.violations == 0, "seed \(rng.seed) causal \(causal): \(report)")
        }
    }

    /// One thread and two threads give bit-identical results.
    @Test func threadCountsAgree() throws {
        var rng = TestRNG()
        let one = CPUBackend(threads: 1), two = CPUBackend(threads: 2)
        let q = try rng.tensor([2, 3, 130, 16], dtype: .bf16, on: one).tensor
        let k = try rng.tensor([2, 3, 77, 16], dtype: .bf16, on: one).tensor
        let v = try rng.tensor([2, 3, 77, 16], dtype: .bf16, on: one).tensor
        let bias = try rng.tensor([1, 3, 130, 77], dtype: .bf16, on: one).tensor
        for causal in [false, true] {
            let a = try attention(q, k, v, bias: bias, causal: causal).floats()
            let b = try attention(try q.to(two), try k.to(two), try v.to(two), bias: try bias.to(two), causal: causal).floats()
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern), "seed \(rng.seed) causal \(causal)")
        }
    }
}
