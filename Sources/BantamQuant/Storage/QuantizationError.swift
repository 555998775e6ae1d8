/// Problems with quantized weights: a damaged file (a missing absmax, sizes that do not fit), a format
/// Bantam does not read, or a recipe that cannot be applied to quantized storage. One line each, naming
/// the tensor and saying what to do.
public struct QuantizationError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A key the format needs is absent (NF4 without `absmax`, a comfy_quant layer without `weight_scale`).
        case missingKey = "missing key"
        /// A tensor has the wrong dtype or size for its role.
        case badTensor = "bad tensor"
        /// The quant_state / comfy_quant JSON is malformed or contradicts the tensors.
        case badMetadata = "bad metadata"
        /// A format Bantam does not implement (bitsandbytes FP4, comfy_quant nvfp4, ...).
        case unsupportedFormat = "unsupported format"
        /// A layout operation (row slice, concatenation) that the quantized storage cannot express.
        case unsupportedLayout = "unsupported layout"
    }

    public let kind: Kind
    /// The tensor or layer the problem is about.
    public let name: String
    public let detail: String

    public init(_ kind: Kind, _ name: String, _ detail: String) {
        self.kind = kind
        self.name = name
        self.detail = detail
    }

    public var description: String { "\(name): \(detail)" }
}
