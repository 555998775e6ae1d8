import BantamCore

/// A 2-D convolution layer (NCHW, weight [out, in/groups, kh, kw]).
public struct Conv2d: Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    public let params: Conv2dParams

    public init(_ scope: WeightScope, in inChannels: Int, out outChannels: Int, kernel: Int,
                stride: Int = 1, padding: Int = 0, groups: Int = 1, bias: Bool = true) throws {
        weight = try scope.tensor("weight", shape: [outChannels, inChannels / groups, kernel, kernel])
        self.bias = bias ? try scope.tensor("bias", shape: [outChannels]) : nil
        params = Conv2dParams(stride: stride, padding: padding, groups: groups)
    }

    /// [N, in, H, W] -> [N, out, H', W']
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try conv2d(x, weight: weight, bias: bias, params: params)
    }
}

/// A lookup table of token embeddings [vocab, dim].
public struct Embedding: Sendable {
    public let table: Tensor

    public init(_ scope: WeightScope, count: Int, dim: Int) throws {
        table = try scope.tensor("weight", shape: [count, dim])
    }

    /// ids [...] -> [..., dim]
    public func callAsFunction(_ ids: Tensor) throws -> Tensor {
        try embedding(ids, table: table)
    }
}
