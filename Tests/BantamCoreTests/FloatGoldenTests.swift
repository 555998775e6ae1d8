import BantamCore
import BantamCPU
import Testing

/// Every conversion compared bit for bit with what PyTorch wrote (scripts/goldens/dtype_goldens.py):
/// decode of every FP8 and f16 code and of every bf16 code (by hash), and encode of ~31k curated and random f32
/// inputs to bf16, f16, e4m3fn, e5m2 and the saturating FP8 encodes; through the scalar `FloatBits`
/// functions, the bulk `ElementConversion` paths and the CPU backend's cast.
@Suite("Float conversion goldens (PyTorch)")
struct FloatGoldenTests {
    /// Compares `got` with torch's `expected` (or one of torch's alternative NaN patterns at that index).
    static func expectBitExact(_ what: String, inputs: [UInt32], expected: [UInt32], got: [UInt32],
                               alternatives: [Int: Set<UInt32>], inputDigits: Int, digits: Int,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(expected.count == got.count, "\(what): \(got.count) results for \(expected.count) goldens",
                sourceLocation: sourceLocation)
        var log = MismatchLog(what)
        for i in 0..<min(expected.count, got.count) where got[i] != expected[i] {
            if alternatives[i]?.contains(got[i]) == true { continue }
            log.record(input: inputs[i], expected: expected[i], got: got[i], inputDigits: inputDigits, digits: digits)
        }
        #expect(log.count == 0, "\(log.summary)", sourceLocation: sourceLocation)
    }

    // MARK: decode

    @Test("FP8 decode: all 256 codes of e4m3fn and e5m2, scalar and bulk")
    func fp8Decode() throws {
        let golden = try GoldenFile("dtype_decode.bgld")
        let codes = (0..<256).map { UInt8($0) }
        for (name, dtype, scalar) in [("f8e4m3fn", DType.f8e4m3fn, FloatBits.float(fromF8E4M3FN:)),
                                      ("f8e5m2", DType.f8e5m2, FloatBits.float(fromF8E5M2:))] {
            let expected = try golden.values("decode_\(name)")
            let alternatives = golden.alternatives("decode_\(name)")
            let inputs = codes.map(UInt32.init)
            Self.expectBitExact("\(name) decode (scalar) vs torch \(golden.torchVersion)", inputs: inputs,
                                expected: expected, got: codes.map { scalar($0).bitPattern },
                                alternatives: alternatives, inputDigits: 2, digits: 8)
            var bulk = [Float](repeating: 0, count: 256)
            codes.withUnsafeBytes { ElementConversion.decode(dtype, from: $0.baseAddress!, count: 256, into: &bulk) }
            Self.expectBitExact("\(name) decode (bulk)", inputs: inputs, expected: expected,
                                got: bulk.map(\.bitPattern), alternatives: alternatives, inputDigits: 2, digits: 8)
        }
        #expect(ElementConversion.f8e4m3fnTable.map(\.bitPattern) == codes.map { FloatBits.float(fromF8E4M3FN: $0).bitPattern })
        #expect(ElementConversion.f8e5m2Table.map(\.bitPattern) == codes.map { FloatBits.float(fromF8E5M2: $0).bitPattern })
    }

    @Test("f16 decode: all 65536 codes, scalar and bulk")
    func f16Decode() throws {
        let golden = try GoldenFile("dtype_decode.bgld")
        let expected = try golden.values("decode_f16")
        let alternatives = golden.alternatives("decode_f16")
        let codes = (0..<65536).map { UInt16($0) }
        let inputs = codes.map(UInt32.init)
        Self.expectBitExact("f16 decode (scalar) vs torch \(golden.torchVersion)", inputs: inputs, expected: expected,
                            got: codes.map { FloatBits.float(fromF16: $0).bitPattern },
                            alternatives: alternatives, inputDigits: 4, digits: 8)
        var bulk = [Float](repeating: 0, count: codes.count)
        codes.withUnsafeBytes { ElementConversion.decode(.f16, from: $0.baseAddress!, count: codes.count, into: &bulk) }
        Self.expectBitExact("f16 decode (bulk)", inputs: inputs, expected: expected, got: bulk.map(\.bitPattern),
                            alternatives: alternatives, inputDigits: 4, digits: 8)
    }

    @Test("bf16 decode: all 65536 codes against torch's hash and its rule (code << 16)")
    func bf16Decode() throws {
        let golden = try GoldenFile("dtype_decode.bgld")
        let notes = try #require(golden.header["notes"] as? [String: Any])
        let torchHash = try #require(notes["bf16_decode_fnv1a64"] as? String)
        let codes = (0..<65536).map { UInt16($0) }
        var bulk = [Float](repeating: 0, count: codes.count)
        codes.withUnsafeBytes { ElementConversion.decode(.bf16, from: $0.baseAddress!, count: codes.count, into: &bulk) }
        let scalar = codes.map { FloatBits.float(fromBF16: $0).bitPattern }
        for (path, bits) in [("scalar", scalar), ("bulk", bulk.map(\.bitPattern))] {
            var log = MismatchLog("bf16 decode (\(path)) vs torch's rule code << 16")
            for (i, b) in bits.enumerated() where b != UInt32(i) << 16 {
                log.record(input: UInt32(i), expected: UInt32(i) << 16, got: b, inputDigits: 4, digits: 8)
            }
            #expect(log.count == 0, "\(log.summary)")
            #expect(hex(fnv1a64(bits), 16).lowercased() == torchHash,
                    "bf16 decode (\(path)): the hash of all 65536 results differs from torch \(golden.torchVersion)'s")
        }
    }

    // MARK: encode

    /// The encode goldens: name in the file, scalar function, bulk dtype (nil: no bulk path), width in bytes.
    static let encoders: [(String, @Sendable (Float) -> UInt32, DType?, Int)] = [
        ("bf16", { UInt32(FloatBits.bf16(fromFloat: $0)) }, .bf16, 2),
        ("f16", { UInt32(FloatBits.f16(fromFloat: $0)) }, .f16, 2),
        ("f8e4m3fn", { UInt32(FloatBits.f8e4m3fn(fromFloat: $0)) }, .f8e4m3fn, 1),
        ("f8e5m2", { UInt32(FloatBits.f8e5m2(fromFloat: $0)) }, .f8e5m2, 1),
        ("f8e4m3fn_saturating", { UInt32(FloatBits.f8e4m3fnSaturating(fromFloat: $0)) }, nil, 1),
        ("f8e5m2_saturating", { UInt32(FloatBits.f8e5m2Saturating(fromFloat: $0)) }, nil, 1),
    ]

    @Test("encode: curated edge cases and random f32 to bf16, f16, e4m3fn, e5m2 (+ saturating), scalar and bulk")
    func encode() throws {
        let golden = try GoldenFile("dtype_encode.bgld")
        let inputs = try golden.values("encode_input_f32")
        #expect(inputs.count > 30000, "the encode golden holds \(inputs.count) inputs")
        let floats = inputs.map { Float(bitPattern: $0) }
        for (name, scalar, dtype, width) in Self.encoders {
            let expected = try golden.values("encode_\(name)")
            let alternatives = golden.alternatives("encode_\(name)")
            Self.expectBitExact("\(name) encode (scalar) vs torch \(golden.torchVersion)", inputs: inputs,
                                expected: expected, got: floats.map(scalar), alternatives: alternatives,
                                inputDigits: 8, digits: 2 * width)
            guard let dtype else { continue }
            var bytes = [UInt8](repeating: 0, count: floats.count * width)
            floats.withUnsafeBufferPointer { src in
                bytes.withUnsafeMutableBytes {
                    ElementConversion.encode(dtype, from: src.baseAddress!, count: floats.count, into: $0.baseAddress!)
                }
            }
            Self.expectBitExact("\(name) encode (bulk)", inputs: inputs, expected: expected,
                                got: littleEndianValues(bytes, width: width), alternatives: alternatives,
                                inputDigits: 8, digits: 2 * width)
        }
    }

    @Test("encode through the CPU backend's cast (copy kernel), contiguous and strided")
    func castThroughCPU() throws {
        let golden = try GoldenFile("dtype_encode.bgld")
        let inputs = try golden.values("encode_input_f32")
        let n = inputs.count
        let source = try Tensor(inputs.map { Float(bitPattern: $0) }, shape: [n], dtype: .f32, on: CPUBackend.shared)
        // The same values at stride 2: a [n, 2] tensor whose column 0 holds the inputs.
        let doubled = try Tensor(inputs.flatMap { [Float(bitPattern: $0), 0] }, shape: [n, 2], on: CPUBackend.shared)
        let strided = try doubled.slice(axis: 1, 0..<1).squeeze(1)
        #expect(!strided.isContiguous)
        for (name, _, dtype, width) in Self.encoders {
            guard let dtype else { continue }
            let expected = try golden.values("encode_\(name)")
            for (label, x) in [("contiguous", source), ("strided", strided)] {
                let cast = try x.cast(to: dtype)
                #expect(cast.dtype == dtype && cast.shape == [n])
                let host = try cast.hostBuffer()
                Self.expectBitExact("\(name) cast on cpu (\(label))", inputs: inputs, expected: expected,
                                    got: littleEndianValues(Array(host.bytes), width: width),
                                    alternatives: golden.alternatives("encode_\(name)"),
                                    inputDigits: 8, digits: 2 * width)
            }
        }
    }
}

/// FNV-1a 64 over the values as little-endian u32 (the hash dtype_goldens.py stores).
func fnv1a64(_ values: [UInt32]) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for v in values {
        for b in 0..<4 {
            h ^= UInt64((v >> (8 * b)) & 0xFF)
            h = h &* 0x0000_0100_0000_01B3
        }
    }
    return h
}

func littleEndianValues(_ bytes: [UInt8], width: Int) -> [UInt32] {
    (0..<(bytes.count / width)).map { i in
        (0..<width).reduce(UInt32(0)) { $0 | UInt32(bytes[i * width + $1]) << (8 * $1) }
    }
}
