import BantamCore
import BantamQuant

/// y = x·Wᵀ + b, with W [out, in] as in PyTorch. The weight is held in its storage format (`LinearWeight`:
/// dense, FP8 with row scales, or NF4 blocks) and the call goes to the op that computes with that format
/// (`linear`, `linearFP8`, `linearNF4`); nothing is dequantized ahead of time.
public struct Linear: Sendable {
    public let weight: LinearWeight     // [out, in]
    public let bias: Tensor?            // [out]

    public init(weight: LinearWeight, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// A dense weight [out, in].
    public init(weight: Tensor, bias: Tensor?) {
        self.init(weight: .dense(weight), bias: bias)
    }

    /// Loads `<scope>.weight` [out, in] in whatever format the checkpoint stores it (and the precision
    /// policy asks for) and, if `bias`, `<scope>.bias` [out].
    public init(_ scope: WeightScope, in inFeatures: Int, out outFeatures: Int, bias: Bool = true) throws {
        weight = try scope.linearWeight("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try scope.tensor("bias", shape: [outFeatures]) : nil
    }

    public var inFeatures: Int { weight.inFeatures }
    public var outFeatures: Int { weight.outFeatures }

    /// The layer restricted to output rows `range` (weight and bias rows; views where the storage allows,
    /// NF4 needs rows that start and end on its blocks).
    public func rows(_ range: Range<Int>) throws -> Linear {
        Linear(weight: try weight.rows(range), bias: try bias?.slice(axis: 0, range))
    }

    /// [..., in] -> [..., out]
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        switch weight {
        case .dense(let w):
            return try linear(x, weight: w, bias: bias)
        case .fp8(let w):
            return try linearFP8(x, weight: w.values, rowScales: w.rowScales, bias: bias, inputScale: w.inputScale)
        case .nf4(let w):
            return try linearNF4(x, codes: w.codes, absmax: w.absmax, blockSize: w.blockSize, quantMap: w.quantMap,
                                 bias: bias)
        }
    }
}
