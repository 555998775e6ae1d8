import BantamCore

/// The activation functions that text-encoder configs name, by their Hugging Face `ACT2FN` names.
public enum TextActivation: String, Sendable, Equatable, CaseIterable {
    /// `quick_gelu`: x·sigmoid(1.702x) (CLIP-L).
    case quickGelu = "quick_gelu"
    /// `gelu`: exact GELU with erf (OpenCLIP ViT-bigG).
    case gelu = "gelu"
    /// `gelu_new`: the tanh approximation, written out as separate ops (T5 v1.1's original config).
    case geluNew = "gelu_new"
    /// `gelu_pytorch_tanh`: the tanh approximation, torch's fused kernel (FLUX's copy of the T5 config).
    case geluPytorchTanh = "gelu_pytorch_tanh"
    /// `relu`.
    case relu = "relu"

    /// The activation a config names; throws for names this engine does not implement.
    public init(huggingFaceName name: String) throws {
        guard let known = TextActivation(rawValue: name) else {
            let names = TextActivation.allCases.map(\.rawValue).joined(separator: ", ")
            throw TextEncoderError("activation '\(name)' is not supported; expected one of \(names)")
        }
        self = known
    }

    /// Applies the activation. Both tanh spellings use the fused tanh-GELU op (computed in f32, rounded
    /// once): in f32 it differs from `gelu_new`'s op-by-op evaluation by an ulp or so, in bf16 it is the
    /// more accurate of the two.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch self {
        case .quickGelu: return try BantamCore.quickGelu(x)
        case .gelu: return try geluErf(x)
        case .geluNew, .geluPytorchTanh: return try BantamCore.gelu(x)
        case .relu: return try BantamCore.relu(x)
        }
    }
}
