import BantamCore

/// Every dtype string of the safetensors format (huggingface/safetensors `Dtype`; formats.md §1.2).
public enum SafetensorsDType: String, CaseIterable, Sendable {
    case BOOL, F4, F6_E2M3, F6_E3M2, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ,
         I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, C64

    /// Bits per element (4 and 6 for the sub-byte MX formats).
    public var bitWidth: Int {
        switch self {
        case .F4: return 4
        case .F6_E2M3, .F6_E3M2: return 6
        case .BOOL, .U8, .I8, .F8_E5M2, .F8_E4M3, .F8_E8M0, .F8_E4M3FNUZ, .F8_E5M2FNUZ: return 8
        case .I16, .U16, .F16, .BF16: return 16
        case .I32, .U32, .F32: return 32
        case .F64, .I64, .U64, .C64: return 64
        }
    }

    /// The tensor runtime's dtype, or nil when Bantam cannot compute with it (F4, F6, F8_E8M0, the FNUZ
    /// variants, U16, U32, U64, C64). `F8_E4M3` is PyTorch's float8_e4m3fn (no infinities, max 448).
    public var runtime: DType? {
        switch self {
        case .BOOL: return .bool
        case .U8: return .u8
        case .I8: return .i8
        case .F8_E5M2: return .f8e5m2
        case .F8_E4M3: return .f8e4m3fn
        case .I16: return .i16
        case .F16: return .f16
        case .BF16: return .bf16
        case .I32: return .i32
        case .F32: return .f32
        case .F64: return .f64
        case .I64: return .i64
        case .F4, .F6_E2M3, .F6_E3M2, .F8_E8M0, .F8_E4M3FNUZ, .F8_E5M2FNUZ, .U16, .U32, .U64, .C64: return nil
        }
    }

    /// The safetensors dtype of a runtime dtype; nil for packed 4-bit codes (`u4`), which have none.
    public init?(runtime: DType) {
        switch runtime {
        case .bool: self = .BOOL
        case .u8: self = .U8
        case .i8: self = .I8
        case .f8e5m2: self = .F8_E5M2
        case .f8e4m3fn: self = .F8_E4M3
        case .i16: self = .I16
        case .f16: self = .F16
        case .bf16: self = .BF16
        case .i32: self = .I32
        case .f32: self = .F32
        case .f64: self = .F64
        case .i64: self = .I64
        case .u4: return nil
        }
    }

    /// Position in the official library's `Dtype` enum (tensor.rs), whose order is the writer's sort key:
    /// the official writer puts tensors with a *higher* rank first (8-byte types, then 4, 2, 1, sub-byte,
    /// BOOL last), so every tensor lands naturally aligned. Note C64 sits between F32 and F64 there.
    var officialOrder: Int {
        switch self {
        case .BOOL: return 0
        case .F4: return 1
        case .F6_E2M3: return 2
        case .F6_E3M2: return 3
        case .U8: return 4
        case .I8: return 5
        case .F8_E5M2: return 6
        case .F8_E4M3: return 7
        case .F8_E8M0: return 8
        case .F8_E4M3FNUZ: return 9
        case .F8_E5M2FNUZ: return 10
        case .I16: return 11
        case .U16: return 12
        case .F16: return 13
        case .BF16: return 14
        case .I32: return 15
        case .U32: return 16
        case .F32: return 17
        case .C64: return 18
        case .F64: return 19
        case .I64: return 20
        case .U64: return 21
        }
    }
}
