import BantamCore

/// LayerNorm over the last axis, with or without affine parameters (FLUX uses none, eps 1e-6).
public struct LayerNorm: Sendable {
    public let weight: Tensor?
    public let bias: Tensor?
    public let eps: Float

    public init(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float) {
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// Loads `<scope>.weight` and `<scope>.bias` [dim].
    public init(_ scope: WeightScope, dim: Int, eps: Float, bias: Bool = true) throws {
        weight = try scope.tensor("weight", shape: [dim])
        self.bias = bias ? try scope.tensor("bias", shape: [dim]) : nil
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try layerNorm(x, weight: weight, bias: bias, eps: eps)
    }
}

/// RMSNorm over the last axis, computed in f32 and rounded once.
public struct RMSNorm: Sendable {
    public let weight: Tensor?
    public let eps: Float

    public init(weight: Tensor?, eps: Float) {
        self.weight = weight
        self.eps = eps
    }

    /// Loads `<scope>.<parameter>` [dim] (FLUX names it `scale`, diffusers and T5 `weight`).
    public init(_ scope: WeightScope, dim: Int, eps: Float, parameter: String = "weight") throws {
        weight = try scope.tensor(parameter, shape: [dim])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try rmsNorm(x, weight: weight, eps: eps)
    }
}

/// GroupNorm of [N, C, ...] with per-channel affine parameters.
public struct GroupNorm: Sendable {
    public let groups: Int
    public let weight: Tensor?
    public let bias: Tensor?
    public let eps: Float

    public init(_ scope: WeightScope, groups: Int, channels: Int, eps: Float) throws {
        self.groups = groups
        weight = try scope.tensor("weight", shape: [channels])
        bias = try scope.tensor("bias", shape: [channels])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try groupNorm(x, groups: groups, weight: weight, bias: bias, eps: eps)
    }
}
