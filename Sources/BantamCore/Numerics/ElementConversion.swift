/// Bulk conversion between a dtype's stored bytes and f32, used by kernels that read any float type,
/// compute in f32 and write back (the CPU backend) and by host-side tensor creation.
public enum ElementConversion {
    /// Decode table of all 256 e4m3fn codes.
    public static let f8e4m3fnTable: [Float] = (0..<256).map { FloatBits.float(fromF8E4M3FN: UInt8($0)) }
    /// Decode table of all 256 e5m2 codes.
    public static let f8e5m2Table: [Float] = (0..<256).map { FloatBits.float(fromF8E5M2: UInt8($0)) }

    /// Reads `count` contiguous elements of `dtype` starting at `source` into f32.
    /// `source` need not be aligned. Integer types convert by value; u4 unpacks codes (high nibble first).
    public static func decode(_ dtype: DType, from source: UnsafeRawPointer, count: Int,
                              into out: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: source, byteCount: count * 4)
        case .bf16:
            for i in 0..<count {
                out[i] = FloatBits.float(fromBF16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .f16:
            for i in 0..<count {
                out[i] = FloatBits.float(fromF16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            }
        case .f8e4m3fn:
            f8e4m3fnTable.withUnsafeBufferPointer { table in
                let bytes = source.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count { out[i] = table[Int(bytes[i])] }
            }
        case .f8e5m2:
            f8e5m2Table.withUnsafeBufferPointer { table in
                let bytes = source.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count { out[i] = table[Int(bytes[i])] }
            }
        case .f64:
            for i in 0..<count { out[i] = Float(source.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
        case .i64:
            for i in 0..<count { out[i] = Float(source.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
        case .i32:
            for i in 0..<count { out[i] = Float(source.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
        case .i16:
            for i in 0..<count { out[i] = Float(source.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
        case .i8:
            let bytes = source.assumingMemoryBound(to: Int8.self)
            for i in 0..<count { out[i] = Float(bytes[i]) }
        case .u8, .bool:
            let bytes = source.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { out[i] = Float(bytes[i]) }
        case .u4:
            let bytes = source.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let byte = bytes[i >> 1]
                out[i] = Float(i & 1 == 0 ? byte >> 4 : byte & 0x0F)
            }
        }
    }

    /// Writes `count` f32 values as `dtype` at `destination` (need not be aligned). Float formats round to
    /// nearest even exactly like torch 2.13's casts (e4m3fn saturates to ±448, e5m2 overflows to ±Inf, NaN
    /// stays NaN); integer formats truncate toward zero like torch's float-to-int cast, clamping to their range
    /// where torch's result is undefined (NaN becomes 0); bool stores value != 0 (NaN is true, as in torch);
    /// u4 packs codes clamped to 0...15, high nibble first.
    ///
    /// The bf16 and f16 loops are hot (weights are converted row by row): they call the branch-free scalar
    /// functions of `FloatBits` in plain counted loops, which the optimizer vectorizes in release builds.
    public static func encode(_ dtype: DType, from values: UnsafePointer<Float>, count: Int,
                              into destination: UnsafeMutableRawPointer) {
        switch dtype {
        case .f32:
            destination.copyMemory(from: values, byteCount: count * 4)
        case .bf16:
            for i in 0..<count {
                destination.storeBytes(of: FloatBits.bf16(fromFloat: values[i]), toByteOffset: 2 * i, as: UInt16.self)
            }
        case .f16:
            for i in 0..<count {
                destination.storeBytes(of: FloatBits.f16(fromFloat: values[i]), toByteOffset: 2 * i, as: UInt16.self)
            }
        case .f8e4m3fn:
            let bytes = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { bytes[i] = FloatBits.f8e4m3fn(fromFloat: values[i]) }
        case .f8e5m2:
            let bytes = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { bytes[i] = FloatBits.f8e5m2(fromFloat: values[i]) }
        case .f64:
            for i in 0..<count { destination.storeBytes(of: Double(values[i]), toByteOffset: 8 * i, as: Double.self) }
        case .i64:
            for i in 0..<count { destination.storeBytes(of: Int64(clampingFloat: values[i]), toByteOffset: 8 * i, as: Int64.self) }
        case .i32:
            for i in 0..<count { destination.storeBytes(of: Int32(clampingFloat: values[i]), toByteOffset: 4 * i, as: Int32.self) }
        case .i16:
            for i in 0..<count { destination.storeBytes(of: Int16(clampingFloat: values[i]), toByteOffset: 2 * i, as: Int16.self) }
        case .i8:
            let bytes = destination.assumingMemoryBound(to: Int8.self)
            for i in 0..<count { bytes[i] = Int8(clampingFloat: values[i]) }
        case .u8:
            let bytes = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { bytes[i] = UInt8(clampingFloat: values[i]) }
        case .bool:
            let bytes = destination.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count { bytes[i] = values[i] != 0 ? 1 : 0 }
        case .u4:
            // Codes truncate toward zero and clamp to 0...15; an odd count leaves the last low nibble 0.
            let bytes = destination.assumingMemoryBound(to: UInt8.self)
            var i = 0
            while i < count {
                let hi = min(UInt8(clampingFloat: values[i]), 15)
                let lo = i + 1 < count ? min(UInt8(clampingFloat: values[i + 1]), 15) : 0
                bytes[i >> 1] = hi << 4 | lo
                i += 2
            }
        }
    }
}

extension FixedWidthInteger {
    /// Truncates toward zero like a C cast, but clamps instead of trapping (NaN becomes 0).
    @inlinable
    init(clampingFloat value: Float) {
        if value.isNaN { self = 0; return }
        let truncated = value.rounded(.towardZero)
        if truncated <= Float(Self.min) { self = Self.min; return }
        if truncated >= Float(Self.max) { self = Self.max; return }
        self = Self(truncated)
    }
}
