import BantamCore

/// The precision a Linear weight is kept in, as a precision policy names it.
public enum WeightFormat: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// As the file stores it (a quantized weight stays quantized; a dense one takes the compute dtype if
    /// one is set).
    case keep
    /// Dense f32, f16 or bf16.
    case float(DType)
    /// FP8 (e4m3fn or e5m2) with the given scaling.
    case fp8(DType, FP8Scaling)
    /// bitsandbytes NF4, blocks of 64.
    case nf4

    /// The names a policy may use, in the order they are listed in messages.
    public static let names = ["keep", "f32", "f16", "bf16", "fp8", "fp8-scaled", "fp8-plain", "fp8-e5m2", "nf4"]

    /// Parses one of `names` ("fp16"/"float16"/"half", "fp32"/"float32" and "bfloat16" are accepted too).
    public init?(name: String) {
        switch name.lowercased() {
        case "keep", "stored", "asis", "as-stored": self = .keep
        case "f32", "fp32", "float32", "float": self = .float(.f32)
        case "f16", "fp16", "float16", "half": self = .float(.f16)
        case "bf16", "bfloat16": self = .float(.bf16)
        case "fp8", "fp8-e4m3fn", "f8e4m3fn": self = .fp8(.f8e4m3fn, .perRow)
        case "fp8-scaled": self = .fp8(.f8e4m3fn, .perTensor)
        case "fp8-plain": self = .fp8(.f8e4m3fn, .none)
        case "fp8-e5m2", "f8e5m2": self = .fp8(.f8e5m2, .perRow)
        case "nf4": self = .nf4
        default: return nil
        }
    }

    /// The policy spelling.
    public var description: String {
        switch self {
        case .keep: return "keep"
        case .float(let d): return d.rawValue
        case .fp8(let d, let s):
            if d == .f8e5m2 { return s == .perRow ? "fp8-e5m2" : "fp8-e5m2-\(s.rawValue)" }
            switch s {
            case .perRow: return "fp8"
            case .perTensor: return "fp8-scaled"
            case .none: return "fp8-plain"
            }
        case .nf4: return "nf4"
        }
    }

    /// FP8 or NF4.
    public var isQuantized: Bool {
        switch self {
        case .fp8, .nf4: return true
        default: return false
        }
    }

    /// The op kind and dtype a backend must support to compute with this format (nil for dense formats).
    public var requiredOp: (OpKind, DType)? {
        switch self {
        case .fp8(let d, _): return (.linearFP8, d)
        case .nf4: return (.linearNF4, .u4)
        default: return nil
        }
    }
}
