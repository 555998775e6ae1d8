import BantamCore
import BantamCPU
import BantamTestSupport
import Testing

/// The CPU reference quantized linears (linearFP8, linearNF4) against float64 references built from the
/// format definitions, and against `linear` with the dequantized f32 weight (bit-identical: the weight is
/// dequantized exactly while the GEMM packs it).
@Suite("Quantized linear (CPU)")
struct QuantizedLinearTests {
    /// The NF4 code values (bitsandbytes get_4bit_type("nf4")), written out independently of BantamQuant.
    static let nf4: [Double] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
        -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
        0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
        0.7229568362236023, 1.0,
    ].map { Double(Float($0)) }

    /// Sizes (rows, n, k): one row (the small-M path), up to 4, and blocked products; odd n and k.
    static let sizes = [(1, 1, 2), (1, 17, 34), (3, 7, 130), (4, 33, 66), (7, 17, 258), (17, 65, 64), (33, 129, 98)]

    /// Random FP8 bytes that decode to finite values.
    static func fp8Bytes(_ rng: inout TestRNG, count: Int, dtype: DType) -> [UInt8] {
        (0..<count).map { _ in
            while true {
                let b = UInt8(truncatingIfNeeded: rng.next())
                let v = referenceDecodeFP8(b, dtype)
                if v.isFinite && abs(v) < 1000 { return b }
            }
        }
    }

    static func hostTensor(_ bytes: [UInt8], dtype: DType, shape: Shape, on backend: CPUBackend) throws -> Tensor {
        let host = HostBuffer(byteCount: bytes.count)
        bytes.withUnsafeBytes { host.base.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return try backend.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: shape)
    }

    @Test("linearFP8: every x dtype, e4m3fn and e5m2, per-row scales, bias or not, against float64", arguments: [1, 2])
    func fp8AgainstFloat64(threads: Int) throws {
        let backend = CPUBackend(threads: threads)
        var rng = TestRNG()
        for (rows, n, k) in Self.sizes {
            for wType in [DType.f8e4m3fn, .f8e5m2] {
                for xType in [DType.f32, .bf16, .f16] {
                    let bytes = Self.fp8Bytes(&rng, count: n * k, dtype: wType)
                    let w = try Self.hostTensor(bytes, dtype: wType, shape: [n, k], on: backend)
                    let scales = (0..<n).map { _ in rng.uniform(0.001, 0.05) }
                    let s = try Tensor(scales, shape: [n], on: backend)
                    let (x, xv) = try rng.tensor([rows, k], dtype: xType, on: backend)
                    let bias = rng.next() % 2 == 0 ? try rng.tensor([n], dtype: xType, on: backend) : nil
                    let wv = (0..<(n * k)).map { referenceDecodeFP8(bytes[$0], wType) * Double(scales[$0 / k]) }
                    let expected = referenceLinear(xv, weight: wv, bias: bias?.values, rows: rows, n: n, k: k)
                    let out = try linearFP8(x, weight: w, rowScales: s, bias: bias?.tensor, inputScale: 0.5)
                    #expect(out.dtype == xType && out.shape == [rows, n])
                    let tol = tolerance(for: xType, reduction: k)
                    let report = compare(try out.floats(), expected, atol: tol.atol, rtol: tol.rtol)
                    #expect(report.violations == 0, "x \(xType) [\(rows), \(k)], \(wType) [\(n), \(k)], seed \(rng.seed): \(report)")
                    // Bit-identical to linear with the dequantized f32 weight.
                    let dense = try Tensor(wv.map { Float($0) }, shape: [n, k], on: backend)
                    #expect(try out.floats() == linear(x, weight: dense, bias: bias?.tensor).floats(), "seed \(rng.seed)")
                }
            }
        }
    }

    @Test("linearNF4: codes, per-block absmax (full and partial blocks, sizes 32/64/128), against float64", arguments: [1, 2])
    func nf4AgainstFloat64(threads: Int) throws {
        let backend = CPUBackend(threads: threads)
        var rng = TestRNG()
        let map = try Tensor(Self.nf4.map { Float($0) }, shape: [16], on: backend)
        for (rows, n, k) in Self.sizes {
            for blockSize in [32, 64, 128] {
                let count = n * k
                let codes = (0..<count).map { _ in Int(rng.next() % 16) }
                var packed = [UInt8](repeating: 0, count: count / 2)
                for e in 0..<count { packed[e / 2] |= UInt8(codes[e]) << (e % 2 == 0 ? 4 : 0) }
                let blocks = (count + blockSize - 1) / blockSize
                let absmax = (0..<blocks).map { _ in rng.uniform(0.001, 0.2) }
                let c = try Self.hostTensor(packed, dtype: .u4, shape: [n, k], on: backend)
                let a = try Tensor(absmax, shape: [blocks], on: backend)
                let (x, xv) = try rng.tensor([rows, k], dtype: .bf16, on: backend)
                let bias = try rng.tensor([n], dtype: .f32, on: backend)
                let wv = (0..<count).map { Double(Float(Self.nf4[codes[$0]]) * absmax[$0 / blockSize]) }
                let expected = referenceLinear(xv, weight: wv, bias: bias.values, rows: rows, n: n, k: k)
                let out = try linearNF4(x, codes: c, absmax: a, blockSize: blockSize, quantMap: map, bias: bias.tensor)
                let tol = tolerance(for: .bf16, reduction: k)
                let report = compare(try out.floats(), expected, atol: tol.atol, rtol: tol.rtol)
                #expect(report.violations == 0, "[\(rows), \(k)]·[\(n), \(k)]ᵀ blocks of \(blockSize), seed \(rng.seed): \(report)")
                let dense = try Tensor(wv.map { Float($0) }, shape: [n, k], on: backend)
                #expect(try out.floats() == linear(x, weight: dense, bias: bias.tensor).floats(), "seed \(rng.seed)")
            }
        }
    }

    @Test("a row slice of NF4 codes (an offset view) computes its rows")
    func nf4RowSlice() throws {
        var rng = TestRNG()
        let backend = CPUBackend.shared
        let (n, k) = (12, 32)
        let packed = (0..<(n * k / 2)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let c = try Self.hostTensor(packed, dtype: .u4, shape: [n, k], on: backend)
        let absmax = (0..<(n * k / 64)).map { _ in rng.uniform(0.01, 1) }
        let map = try Tensor(Self.nf4.map { Float($0) }, shape: [16], on: backend)
        let x = try rng.tensor([3, k], on: backend).tensor
        let full = try linearNF4(x, codes: c, absmax: try Tensor(absmax, shape: [absmax.count], on: backend), blockSize: 64, quantMap: map).floats()
        // Rows 4..<10 start and end on 64-element blocks (4·32 = 128).
        let part = try linearNF4(x, codes: try c.slice(axis: 0, 4..<10), absmax: try Tensor(Array(absmax[2..<5]), shape: [3], on: backend),
                                 blockSize: 64, quantMap: map).floats()
        for r in 0..<3 { #expect(Array(part[(r * 6)..<(r * 6 + 6)]) == Array(full[(r * 12 + 4)..<(r * 12 + 10)]), "seed \(rng.seed)") }
    }

    @Test("the op layer refuses malformed quantized weights with one-line errors")
    func validation() throws {
        let cpu = CPUBackend.shared
        let x = try Tensor.zeros([2, 64], on: cpu)
        let w8 = try cpu.empty([4, 64], dtype: .f8e4m3fn)
        let codes = try cpu.empty([4, 64], dtype: .u4)
        let map = try Tensor.zeros([16], on: cpu), absmax = try Tensor.zeros([4], on: cpu)
        let cases: [() throws -> Tensor] = [
            { try linearFP8(x, weight: w8, rowScales: try Tensor.zeros([3], on: cpu)) },                       // scales count
            { try linearFP8(x, weight: w8, rowScales: try Tensor.zeros([4], dtype: .bf16, on: cpu)) },         // scales dtype
            { try linearFP8(x, weight: try Tensor.zeros([4, 64], on: cpu), rowScales: absmax) },              // not FP8
            { try linearFP8(x, weight: w8, rowScales: absmax, inputScale: 0) },                                 // input scale
            { try linearFP8(try Tensor.zeros([2, 63], on: cpu), weight: w8, rowScales: absmax) },              // in-features
            { try linearNF4(x, codes: codes, absmax: try Tensor.zeros([3], on: cpu), blockSize: 64, quantMap: map) },
            { try linearNF4(x, codes: codes, absmax: absmax, blockSize: 0, quantMap: map) },
            { try linearNF4(x, codes: codes, absmax: absmax, blockSize: 64, quantMap: try Tensor.zeros([15], on: cpu)) },
            { try linearNF4(x, codes: try cpu.empty([4, 64], dtype: .u8), absmax: absmax, blockSize: 64, quantMap: map) },
            { try linearNF4(x, codes: codes.T, absmax: absmax, blockSize: 64, quantMap: map) },               // not contiguous
            { try linearNF4(x, codes: codes, absmax: absmax, blockSize: 64, quantMap: map, bias: try Tensor.zeros([5], on: cpu)) },
        ]
        for (i, make) in cases.enumerated() {
            do {
                _ = try make()
                Issue.record("case \(i) was accepted")
            } catch let e as TensorError {
                #expect(!e.description.contains("\n"), "case \(i)")
            }
        }
        #expect(cpu.supports(.linearFP8, dtype: .f8e5m2) && cpu.supports(.linearNF4, dtype: .u4))
        #expect(!cpu.supports(.linearFP8, dtype: .bf16) && !cpu.supports(.linearNF4, dtype: .u8))
    }
}
