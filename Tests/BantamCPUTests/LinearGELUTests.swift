import BantamCore
import BantamCPU
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The fused op `linearGELU`: through the Backend protocol's default (linear, then GELU), on the CPU it is
/// exactly gelu(linear(x)) and matches a float64 reference; its checks are those of `linear`.
@Suite struct LinearGELUTests {
    @Test func equalsGELUOfLinearBitForBit() throws {
        var rng = TestRNG()
        let backend = CPUBackend(threads: 2)
        for (rows, n, k, dtype) in [(1, 1, 1, DType.f32), (7, 33, 17, .f32), (3, 5, 129, .bf16), (2, 9, 40, .f16)] {
            let (x, _) = try rng.tensor([2, rows, k], dtype: dtype, on: backend)
            let (w, _) = try rng.tensor([n, k], dtype: dtype, on: backend)
            let (b, _) = try rng.tensor([n], dtype: dtype, on: backend)
            for bias in [b, nil] as [Tensor?] {
                let fused = try linearGELU(x, weight: w, bias: bias)
                let unfused = try gelu(try linear(x, weight: w, bias: bias))
                #expect(fused.shape.dims == [2, rows, n])
                #expect(try fused.hostBuffer().bytes.elementsEqual(try unfused.hostBuffer().bytes),
                        "seed \(rng.seed): \(rows)x\(n)x\(k) \(dtype) bias \(bias != nil)")
            }
        }
    }

    @Test func matchesAFloat64Reference() throws {
        var rng = TestRNG()
        let backend = CPUBackend(threads: 2)
        let (rows, n, k) = (33, 17, 65)
        let (x, xv) = try rng.tensor([rows, k], on: backend)
        let (w, wv) = try rng.tensor([n, k], scale: 0.3, on: backend)
        let (b, bv) = try rng.tensor([n], on: backend)
        let expected = referenceLinear(xv, weight: wv, bias: bv, rows: rows, n: n, k: k).map { v in
            0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
        }
        let report = compare(try linearGELU(x, weight: w, bias: b).floats(), expected, atol: 1e-5, rtol: 1e-5)
        #expect(report.violations == 0, "seed \(rng.seed): \(report)")
    }

    @Test func rejectsWhatLinearRejects() throws {
        let backend = CPUBackend(threads: 1)
        let x = try Tensor.zeros([3, 4], on: backend), w = try Tensor.zeros([5, 6], on: backend)
        #expect(throws: TensorError.self) { try linearGELU(x, weight: w) }
        #expect(throws: TensorError.self) { try linearGELU(x, weight: try Tensor.zeros([5, 4], on: backend), bias: try Tensor.zeros([4], on: backend)) }
        #expect(throws: TensorError.self) { try linearGELU(x, weight: try Tensor.zeros([20], on: backend)) }
    }
}
