/// The ops a backend implements. `Backend.supports(_:dtype:)` answers per op and dtype; an op a backend
/// does not support throws `TensorError.unsupported` instead of quietly running somewhere else.
public enum OpKind: String, CaseIterable, Sendable {
    case copy, fill, unary, binary, affine
    case matmul, linear
    /// `linear` with FP8 weights and per-output-row scales (`linearFP8`); asked with the weight's dtype.
    case linearFP8
    /// `linear` with NF4 codes and per-block absmax (`linearNF4`); asked with the codes' dtype (`u4`).
    case linearNF4
    case layerNorm, rmsNorm, groupNorm, softmax
    case attention, rope
    case conv2d, upsampleNearest2d
    case reduce, embedding
}

/// Element-wise functions of one input.
public enum UnaryOp: String, CaseIterable, Sendable {
    /// GELU with the tanh approximation (PyTorch `approximate="tanh"`), used by FLUX, T5 and SD3.
    case geluTanh
    /// Exact GELU, x·Φ(x) with the error function.
    case geluErf
    /// x·sigmoid(x) (SiLU / swish).
    case silu
    case sigmoid
    /// x·sigmoid(1.702·x), CLIP's activation.
    case quickGelu
    case relu
    case exp, tanh, sqrt, rsqrt, square, neg, abs
}

/// Element-wise functions of two inputs (with broadcasting).
public enum BinaryOp: String, CaseIterable, Sendable {
    case add, sub, mul, div, maximum, minimum
}

/// Reductions over one axis.
public enum ReduceOp: String, CaseIterable, Sendable {
    case sum, mean, max
}

/// How rotary embeddings pair the features of a head.
public enum RopeStyle: String, Sendable {
    /// Adjacent pairs (x[2j], x[2j+1]) rotate together: FLUX, Qwen-Image (the "complex" convention).
    case interleaved
    /// x[j] pairs with x[j + D/2] ("rotate half"): GPT-NeoX, Qwen2.5-VL.
    case halves
}

/// Parameters of a 2-D convolution (NCHW input, OIHW weight).
public struct Conv2dParams: Hashable, Sendable {
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int
    public var groups: Int

    public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.init(stride: (stride, stride), padding: (padding, padding), dilation: (dilation, dilation), groups: groups)
    }

    public init(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        strideH = stride.0; strideW = stride.1
        padH = padding.0; padW = padding.1
        dilationH = dilation.0; dilationW = dilation.1
        self.groups = groups
    }

    /// Output size along one axis, or nil when the kernel does not fit.
    public static func outputSize(input: Int, kernel: Int, stride: Int, padding: Int, dilation: Int) -> Int? {
        let span = dilation * (kernel - 1) + 1
        let padded = input + 2 * padding
        guard padded >= span, stride > 0 else { return nil }
        return (padded - span) / stride + 1
    }
}
