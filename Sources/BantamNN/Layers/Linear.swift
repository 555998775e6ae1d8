import BantamCore

/// y = x·Wᵀ + b, with W [out, in] as in PyTorch. The weight may be stored in FP8 where the backend's
/// linear computes with it (weight-only); quantized storage formats join here later.
public struct Linear: Sendable {
    public let weight: Tensor     // [out, in]
    public let bias: Tensor?      // [out]

    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Loads `<scope>.weight` [out, in] and, if `bias`, `<scope>.bias` [out].
    public init(_ scope: WeightScope, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws {
        weight = try scope.tensor("weight", shape: [outFeatures, inFeatures], role: .linearWeight)
        self.bias = bias ? try scope.tensor("bias", shape: [outFeatures]) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// [..., in] -> [..., out]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try linear(x, weight: weight, bias: bias)
    }
}
