import BantamCore
import BantamTestSupport
import Testing

/// The bulk paths of `ElementConversion` against the scalar functions (float formats) and against a
/// float64 reference of the integer rules (truncate toward zero, clamp, NaN -> 0), for odd counts and
/// unaligned pointers.
@Suite("ElementConversion bulk paths")
struct ElementConversionTests {
    static let counts = [0, 1, 3, 7, 17, 33, 129, 1000]
    static let specials: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude,
                                    .greatestFiniteMagnitude, 448, 464, 500, 57344, 61440, 65504, 65520, 1e-8, 2.5, -2.5]

    /// Random values over many magnitudes, with the specials mixed in.
    static func values(_ count: Int, _ rng: inout TestRNG) -> [Float] {
        (0..<count).map { i in
            if i < specials.count && rng.next() % 2 == 0 { return specials[i] }
            switch rng.next() % 3 {
            case 0: return Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            case 1: return rng.normal() * Float(sign: .plus, exponent: Int(rng.next() % 40) - 20, significand: 1)
            default: return Float(Int(rng.next() % 601) - 300) / 4   // integers and quarters, for int casts
            }
        }
    }

    /// Encodes through the bulk path into a buffer one byte past an aligned address.
    static func bulkEncode(_ dtype: DType, _ values: [Float]) throws -> [UInt8] {
        let bytes = try dtype.byteCount(elements: values.count + values.count % dtype.elementsPerBlock)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes + 1, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes + 1)
        values.withUnsafeBufferPointer { src in
            ElementConversion.encode(dtype, from: src.baseAddress ?? UnsafePointer(bitPattern: 16)!, count: values.count,
                                     into: buffer + 1)
        }
        return Array(UnsafeRawBufferPointer(start: buffer + 1, count: bytes))
    }

    /// Decodes `count` elements from `bytes` placed one byte past an aligned address.
    static func bulkDecode(_ dtype: DType, _ bytes: [UInt8], count: Int) -> [Float] {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + 1, alignment: 16)
        defer { buffer.deallocate() }
        bytes.withUnsafeBytes { if let source = $0.baseAddress { (buffer + 1).copyMemory(from: source, byteCount: bytes.count) } }
        var out = [Float](repeating: .nan, count: count)
        out.withUnsafeMutableBufferPointer { ElementConversion.decode(dtype, from: buffer + 1, count: count, into: $0.baseAddress!) }
        return out
    }

    static func scalarEncode(_ dtype: DType, _ x: Float) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        switch dtype {
        case .f32: return le(x.bitPattern)
        case .f64: return le(Double(x).bitPattern)
        case .bf16: return le(FloatBits.bf16(fromFloat: x))
        case .f16: return le(FloatBits.f16(fromFloat: x))
        case .f8e4m3fn: return [FloatBits.f8e4m3fn(fromFloat: x)]
        case .f8e5m2: return [FloatBits.f8e5m2(fromFloat: x)]
        default: fatalError("not a float dtype")
        }
    }

    static func scalarDecode(_ dtype: DType, _ bytes: ArraySlice<UInt8>) -> Float {
        let v = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        switch dtype {
        case .f32: return Float(bitPattern: UInt32(v))
        case .f64: return Float(Double(bitPattern: v))
        case .bf16: return FloatBits.float(fromBF16: UInt16(v))
        case .f16: return FloatBits.float(fromF16: UInt16(v))
        case .f8e4m3fn: return FloatBits.float(fromF8E4M3FN: UInt8(v))
        case .f8e5m2: return FloatBits.float(fromF8E5M2: UInt8(v))
        default: fatalError("not a float dtype")
        }
    }

    @Test("float formats: bulk encode and decode equal the scalar functions, bit for bit",
          arguments: [DType.f32, .f64, .f16, .bf16, .f8e4m3fn, .f8e5m2])
    func floats(dtype: DType) throws {
        var rng = TestRNG()
        let width = dtype.byteWidth!
        for count in Self.counts {
            let xs = Self.values(count, &rng)
            let encoded = try Self.bulkEncode(dtype, xs)
            let expected = xs.flatMap { Self.scalarEncode(dtype, $0) }
            #expect(encoded == expected, "\(dtype) encode, count \(count), seed \(rng.seed)")
            // Decode random bytes (every bit pattern, NaNs included).
            let raw = (0..<(count * width)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let decoded = Self.bulkDecode(dtype, raw, count: count)
            let want = (0..<count).map { Self.scalarDecode(dtype, raw[($0 * width)..<(($0 + 1) * width)]) }
            #expect(decoded.map(\.bitPattern) == want.map(\.bitPattern), "\(dtype) decode, count \(count), seed \(rng.seed)")
        }
    }

    /// torch's float -> integer rule with the undefined cases pinned: truncate toward zero, clamp, NaN -> 0.
    static func integerReference(_ x: Float, min: Double, max: Double) -> Double {
        if x.isNaN { return 0 }
        return Swift.min(Swift.max(Double(x).rounded(.towardZero), min), max)
    }

    @Test("integer formats: truncation toward zero, clamping, NaN -> 0; decode by value",
          arguments: [DType.i64, .i32, .i16, .i8, .u8])
    func integers(dtype: DType) throws {
        let (lo, hi): (Double, Double) = switch dtype {
        case .i64: (-0x1p63, 0x1p63 - 1)
        case .i32: (Double(Int32.min), Double(Int32.max))
        case .i16: (Double(Int16.min), Double(Int16.max))
        case .i8: (Double(Int8.min), Double(Int8.max))
        default: (0, 255)
        }
        var rng = TestRNG()
        let width = dtype.byteWidth!
        for count in Self.counts {
            let xs = Self.values(count, &rng) + [-0.9, 0.9, -1.5, 127.9, 128, -129, 255.5, 256, 32767.5, 3e9, -3e9, 9.3e18, -9.3e18]
            let encoded = try Self.bulkEncode(dtype, xs)
            for (i, x) in xs.enumerated() {
                let bytes = encoded[(i * width)..<((i + 1) * width)]
                let raw = bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let signed = width == 8 ? Double(Int64(bitPattern: raw))
                    : dtype == .u8 ? Double(raw)
                    : Double(Int64(bitPattern: raw << (64 - 8 * UInt64(width))) >> (64 - 8 * Int64(width)))
                let want = Self.integerReference(x, min: lo, max: hi)
                // i64 clamps at 2^63 - 1, which is not a Double: compare with the nearest.
                #expect(signed == want || (dtype == .i64 && signed == 0x1p63 && want == 0x1p63 - 1),
                        "\(dtype): \(x) stored as \(signed), expected \(want) (seed \(rng.seed))")
            }
            // Decode: every stored integer converts to the nearest Float.
            let raw = (0..<(count * width)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let decoded = Self.bulkDecode(dtype, raw, count: count)
            for i in 0..<count {
                let v = raw[(i * width)..<((i + 1) * width)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let value: Float = switch dtype {
                case .i64: Float(Int64(bitPattern: v))
                case .i32: Float(Int32(truncatingIfNeeded: v))
                case .i16: Float(Int16(truncatingIfNeeded: v))
                case .i8: Float(Int8(truncatingIfNeeded: v))
                default: Float(UInt8(v))
                }
                #expect(decoded[i] == value, "\(dtype) decode of 0x\(hex(v, 2 * width))")
            }
        }
    }

    @Test("bool: nonzero (and NaN) store 1, decode gives 0 or 1")
    func bool() throws {
        let xs: [Float] = [0, -0, 1, -1, 0.25, .nan, .infinity, .leastNonzeroMagnitude, 2]
        #expect(try Self.bulkEncode(.bool, xs) == [0, 0, 1, 1, 1, 1, 1, 1, 1])
        #expect(Self.bulkDecode(.bool, [0, 1, 1, 0, 1], count: 5) == [0, 1, 1, 0, 1])
    }

    @Test("u4: high nibble first, codes clamp to 0...15, odd counts leave the last low nibble 0")
    func u4() throws {
        var rng = TestRNG()
        for count in Self.counts {
            let codes = (0..<count).map { _ in Int(rng.next() % 16) }
            let bytes = try Self.bulkEncode(.u4, codes.map(Float.init))
            #expect(bytes.count == (count + 1) / 2)
            for (i, c) in codes.enumerated() {
                let nibble = i % 2 == 0 ? bytes[i / 2] >> 4 : bytes[i / 2] & 0x0F
                #expect(Int(nibble) == c, "u4 code \(i) of \(count): \(nibble), expected \(c)")
            }
            if count % 2 == 1 { #expect(bytes.last! & 0x0F == 0, "odd count \(count): the padding nibble is not 0") }
            let decoded = Self.bulkDecode(.u4, bytes, count: count)
            #expect(decoded == codes.map(Float.init), "u4 decode, count \(count)")
        }
        #expect(try Self.bulkEncode(.u4, [-3, 15.9, 16, 1e9, .nan, 2.99, -0.5]) == [0x0F, 0xFF, 0x02, 0x00])
        #expect(Self.bulkDecode(.u4, [0xAB, 0xC0], count: 3) == [10, 11, 12])
    }
}
