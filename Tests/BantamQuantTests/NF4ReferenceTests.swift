import BantamCore
import BantamCPU
import BantamQuant
import BantamTestSupport
import Testing

/// NF4 against bitsandbytes 0.50.2 (Tests/Fixtures/quant, scripts/goldens/quant_goldens.py).
@Suite("NF4 reference (bitsandbytes)")
struct NF4ReferenceTests {
    let cpu = QuantFixtures.cpu

    @Test("quantize_4bit: packed codes and absmax equal bitsandbytes bit for bit",
          arguments: ["a_f32", "b_bf16", "c_f16", "d_midpoints_f32", "e_partial_zero_f32", "f_uniform_f32"])
    func quantizeMatchesBitsAndBytes(_ name: String) throws {
        let file = try QuantFixtures.file("nf4_quantize.safetensors")
        let input = try file.tensor(name + ".input", on: cpu)
        let q = try Quantizer.nf4(input)
        #expect(try QuantFixtures.bytes(q.codes) == QuantFixtures.bytes(file.tensor(name + ".codes", on: cpu)), "\(name): codes")
        #expect(try QuantFixtures.bits(q.absmax) == QuantFixtures.bits(file.tensor(name + ".absmax", on: cpu)), "\(name): absmax")
        #expect(q.originalDType == input.dtype && q.blockSize == 64)
        // The absmax-only pass (the file writer's) agrees with the full quantizer.
        #expect(try QuantFixtures.bits(Quantizer.nf4Absmax(input)) == QuantFixtures.bits(q.absmax))
    }

    @Test("every code in both nibble positions dequantizes as bitsandbytes does")
    func allSixteenCodes() throws {
        let file = try QuantFixtures.file("nf4_codes.safetensors")
        let packed = try QuantFixtures.bytes(file.tensor("packed", on: cpu))
        let absmax = try file.tensor("absmax", on: cpu).floats(), map = try file.tensor("quant_map", on: cpu).floats()
        let expected = try QuantFixtures.bits(file.tensor("dequantized", on: cpu))
        #expect(map == NF4Codebook.values)
        var out = [Float](repeating: .nan, count: packed.count * 2)
        NF4Reference.dequantize(codes: packed, absmax: absmax, count: out.count, blockSize: 64, map: map, into: &out)
        #expect(QuantFixtures.bits(out) == expected)
        // The same through the storage type (codes as u4 [32, 32]).
        let host = HostBuffer(byteCount: packed.count)
        packed.withUnsafeBytes { host.base.copyMemory(from: $0.baseAddress!, byteCount: packed.count) }
        let w = try NF4Weight(codes: try cpu.makeTensor(host: host, byteOffset: 0, dtype: .u4, shape: [32, 32]),
                              absmax: try Tensor(absmax, shape: [16], on: cpu), quantMap: try Tensor(map, shape: [16], on: cpu),
                              blockSize: 64, originalDType: .f32)
        #expect(try QuantFixtures.bits(w.dequantized()) == expected)
        // Each of the 16 codes appears in both nibbles.
        var seen = Set<String>()
        for (i, b) in packed.enumerated() where i < 256 { seen.insert("h\(b >> 4)"); seen.insert("l\(b & 15)") }
        #expect(seen.count == 32)
    }

    @Test("decision points: a value on a midpoint takes the lower code, one ulp above the upper")
    func midpoints() {
        let m = NF4Codebook.midpoints
        #expect(m.count == 15 && zip(m, m.dropFirst()).allSatisfy { $0 < $1 })
        m.withUnsafeBufferPointer { p in
            for (i, v) in m.enumerated() {
                #expect(NF4Codebook.code(of: v, midpoints: p.baseAddress!) == UInt8(i))
                #expect(NF4Codebook.code(of: v.nextUp, midpoints: p.baseAddress!) == UInt8(i + 1))
                #expect(NF4Codebook.code(of: v.nextDown, midpoints: p.baseAddress!) == UInt8(i))
            }
            #expect(NF4Codebook.code(of: -1, midpoints: p.baseAddress!) == 0)
            #expect(NF4Codebook.code(of: 1, midpoints: p.baseAddress!) == 15)
            #expect(NF4Codebook.code(of: 0, midpoints: p.baseAddress!) == 7)
            #expect(NF4Codebook.code(of: .nan, midpoints: p.baseAddress!) == 0)
        }
    }

    /// Random weights of odd shapes: every element takes the code nearest to x / absmax (float64), the
    /// absmax is the block's largest magnitude, and dequantization is within half the widest code gap.
    @Test("random weights: nearest code to x/absmax, absmax = max |block|", arguments: [(1, 2), (3, 22), (7, 34), (17, 66), (33, 130)])
    func nearestCode(_ shape: (Int, Int)) throws {
        var rng = TestRNG()
        let (w, values) = try rng.tensor([shape.0, shape.1], dtype: .bf16, scale: 0.05, on: cpu)
        let q = try Quantizer.nf4(w)
        let codes = try q.codes.ints(), absmax = try q.absmax.floats()
        let table = NF4Codebook.values.map(Double.init)
        for (e, x) in values.enumerated() {
            let b = e / 64, block = values[(b * 64)..<min(values.count, b * 64 + 64)]
            let amax = block.map(abs).max()!
            #expect(Double(absmax[b]) == (block.count == 64 ? amax : max(amax, Double(Float(1e-38)))), "seed \(rng.seed)")
            let scaled = x / max(amax, 1e-38)
            let chosen = abs(table[codes[e]] - scaled)
            let best = table.map { abs($0 - scaled) }.min()!
            #expect(chosen <= best + 1e-6, "seed \(rng.seed): element \(e) = \(x) took code \(codes[e])")
        }
    }
}
