/// Element types of the tensor runtime.
///
/// Every dtype describes its storage as blocks: `elementsPerBlock` values take `bytesPerBlock` bytes.
/// Scalar types have one element per block; packed 4-bit storage has two per byte, and the block formats
/// of later quantizers (GGUF Q4_0: 32 values in 18 bytes, ...) fit the same description.
public enum DType: String, CaseIterable, Sendable, CustomStringConvertible {
    case f64, f32, f16, bf16
    /// float8 e4m3 "fn" variant (torch.float8_e4m3fn): no infinities, NaN = S.1111.111, max 448.
    case f8e4m3fn
    /// float8 e5m2 (torch.float8_e5m2): IEEE-like, the top byte of a binary16.
    case f8e5m2
    case i64, i32, i16, i8, u8, bool
    /// Packed unsigned 4-bit codes, two per byte. Element 2k is the high nibble and element 2k+1 the low
    /// nibble (the bitsandbytes NF4 order). Views over packed storage must keep whole bytes.
    case u4

    public var description: String { rawValue }

    public var elementsPerBlock: Int {
        switch self {
        case .u4: return 2
        default: return 1
        }
    }

    public var bytesPerBlock: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .f8e4m3fn, .f8e5m2, .i8, .u8, .bool, .u4: return 1
        }
    }

    /// Size of one element in bytes for the scalar types; nil for packed/block types.
    public var byteWidth: Int? { elementsPerBlock == 1 ? bytesPerBlock : nil }

    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8e4m3fn, .f8e5m2: return true
        default: return false
        }
    }

    /// The float types kernels compute with (they read them, accumulate in f32, write them back).
    public var isComputeFloat: Bool { self == .f32 || self == .f16 || self == .bf16 }

    public var isFloat8: Bool { self == .f8e4m3fn || self == .f8e5m2 }

    public var isPacked: Bool { elementsPerBlock > 1 }

    /// Bytes needed for `count` elements; throws when the count does not fill whole blocks.
    public func byteCount(elements count: Int) throws -> Int {
        guard count >= 0 else { throw TensorError.invalidArgument("negative element count \(count)") }
        guard count % elementsPerBlock == 0 else {
            throw TensorError.invalidArgument("\(count) elements of \(self) do not fill whole blocks of \(elementsPerBlock)")
        }
        let (blocks, overflow) = (count / elementsPerBlock).multipliedReportingOverflow(by: bytesPerBlock)
        guard !overflow else { throw TensorError.invalidArgument("\(count) elements of \(self) overflow the byte count") }
        return blocks
    }
}
