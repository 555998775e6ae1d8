import BantamCore
import BantamCPU
import BantamQuant
import BantamTestSupport
import Testing

/// FP8 against torch 2.13 (ComfyUI's recipe per row, per tensor and as a plain cast).
@Suite("FP8 reference (torch casts)")
struct FP8ReferenceTests {
    let cpu = QuantFixtures.cpu

    static let cases: [(String, DType, FP8Scaling)] = {
        var all: [(String, DType, FP8Scaling)] = []
        for input in ["a_f32", "b_bf16", "c_f16", "d_edge_f32"] {
            for dtype in [DType.f8e4m3fn, .f8e5m2] {
                for scaling in [FP8Scaling.perRow, .perTensor, .none] where !(input == "d_edge_f32" && dtype == .f8e5m2 && scaling == .none) {
                    all.append((input, dtype, scaling))
                }
            }
        }
        return all
    }()

    @Test("per-row, per-tensor and plain quantization equal torch bit for bit", arguments: cases)
    func quantizeMatchesTorch(_ input: String, _ dtype: DType, _ scaling: FP8Scaling) throws {
        let file = try QuantFixtures.file("fp8_quantize.safetensors")
        let name = "\(input).\(dtype == .f8e4m3fn ? "e4m3fn" : "e5m2").\(["perRow": "row", "perTensor": "tensor", "none": "none"][scaling.rawValue]!)"
        let q = try Quantizer.fp8(try file.tensor(input + ".input", on: cpu), dtype: dtype, scaling: scaling)
        #expect(q.dtype == dtype)
        #expect(try QuantFixtures.bytes(q.values) == QuantFixtures.bytes(file.tensor(name + ".codes", on: cpu)), "\(name): codes")
        #expect(try QuantFixtures.bits(q.rowScales) == QuantFixtures.bits(file.tensor(name + ".scales", on: cpu)), "\(name): scales")
        #expect(try QuantFixtures.bits(q.dequantized()) == QuantFixtures.bits(file.tensor(name + ".dequantized", on: cpu)), "\(name): dequantized")
    }

    @Test("all 256 codes of e4m3fn and e5m2 times a scale dequantize as torch computes them",
          arguments: [DType.f8e4m3fn, .f8e5m2], 0..<4)
    func allCodes(_ dtype: DType, _ scaleIndex: Int) throws {
        let file = try QuantFixtures.file("fp8_codes.safetensors")
        let key = "\(dtype == .f8e4m3fn ? "e4m3fn" : "e5m2").scale\(scaleIndex)"
        let scale = try file.tensor(key, on: cpu).floats()[0]
        let expected = try file.tensor(key + ".values", on: cpu).floats()
        let codes = (0..<256).map { UInt8($0) }
        var out = [Float](repeating: 0, count: 256)
        FP8Reference.dequantize(codes, count: 256, scale: scale, dtype: dtype, into: &out)
        // NaN codes: torch and Bantam both give NaN (payloads are not compared).
        for i in 0..<256 {
            #expect(out[i].bitPattern == expected[i].bitPattern || (out[i].isNaN && expected[i].isNaN), "code \(i)")
        }
        // Through the storage type: a [16, 16] weight with one scale per row.
        let host = HostBuffer(byteCount: 256)
        for i in 0..<256 { host.base.storeBytes(of: UInt8(i), toByteOffset: i, as: UInt8.self) }
        let w = try FP8Weight(values: try cpu.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: [16, 16]),
                              rowScales: try Tensor([Float](repeating: scale, count: 16), shape: [16], on: cpu))
        let viaStorage = try w.dequantized().floats()
        for i in 0..<256 { #expect(viaStorage[i].bitPattern == out[i].bitPattern || (out[i].isNaN && viaStorage[i].isNaN)) }
    }

    /// Random rows: the code of each element is the FP8 value nearest to x / scale (float64 check), the
    /// scale is max |row| / fp8max, and no finite input becomes NaN or Inf.
    @Test("random rows: nearest FP8 value, scale = amax / fp8max", arguments: [DType.f8e4m3fn, .f8e5m2])
    func nearestValue(_ dtype: DType) throws {
        var rng = TestRNG()
        let shape: Shape = [17, 33]
        let (w, values) = try rng.tensor(shape, dtype: .f32, scale: 0.02, on: cpu)
        let q = try Quantizer.fp8(w, dtype: dtype, scaling: .perRow)
        let codes = try QuantFixtures.bytes(q.values), scales = try q.rowScales.floats()
        let table = (dtype == .f8e4m3fn ? ElementConversion.f8e4m3fnTable : ElementConversion.f8e5m2Table).map(Double.init)
        let finite = table.filter { $0.isFinite }
        for r in 0..<shape[0] {
            let row = values[(r * shape[1])..<((r + 1) * shape[1])]
            #expect(Double(scales[r]) == Double(Float(Float(row.map(abs).max()!) / FP8Reference.maxValue(dtype))), "seed \(rng.seed)")
            for c in 0..<shape[1] {
                let scaled = row[r * shape[1] + c] / Double(scales[r])
                let got = table[Int(codes[r * shape[1] + c])]
                #expect(got.isFinite, "seed \(rng.seed)")
                let best = finite.map { abs($0 - scaled) }.min()!
                // x·(1/s) is rounded to f32 before the cast: allow that rounding.
                #expect(abs(got - scaled) <= best + abs(scaled) * 1e-6, "seed \(rng.seed): row \(r) col \(c)")
            }
        }
    }
}
