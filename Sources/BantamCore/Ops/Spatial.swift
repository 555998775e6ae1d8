/// Image ops on NCHW tensors: convolution, upsampling, padding.

/// 2-D convolution: x [N, C, H, W], weight [O, C/groups, KH, KW], bias [O] -> [N, O, OH, OW].
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, params: Conv2dParams = Conv2dParams()) throws -> Tensor {
    let backend = try OpChecks.commonBackend("conv2d", [x, weight, bias])
    try OpChecks.requireFloat("conv2d", x)
    try OpChecks.requireRank("conv2d", x, 4, layout: "[N, C, H, W]")
    try OpChecks.requireRank("conv2d", weight, 4, role: "weight", layout: "[O, C/groups, KH, KW]")
    try OpChecks.requireSameDType("conv2d", x, weight)
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, cg, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    let p = params
    guard p.groups > 0, c % p.groups == 0, o % p.groups == 0, cg == c / p.groups else {
        throw TensorError.shapeMismatch(op: "conv2d", detail: "input \(x.shape) and weight \(weight.shape) do not match with groups \(p.groups)")
    }
    guard p.strideH > 0, p.strideW > 0, p.dilationH > 0, p.dilationW > 0, p.padH >= 0, p.padW >= 0 else {
        throw TensorError.invalidArgument("conv2d: stride and dilation must be positive and padding non-negative")
    }
    guard let oh = Conv2dParams.outputSize(input: h, kernel: kh, stride: p.strideH, padding: p.padH, dilation: p.dilationH),
          let ow = Conv2dParams.outputSize(input: w, kernel: kw, stride: p.strideW, padding: p.padW, dilation: p.dilationW) else {
        throw TensorError.shapeMismatch(op: "conv2d", detail: "kernel \(kh)x\(kw) does not fit the padded input \(x.shape)")
    }
    try OpChecks.requireVector("conv2d", bias, size: o, role: "bias")
    try OpChecks.requireSupport(backend, .conv2d, x.dtype, op: "conv2d")
    let out = try backend.empty([n, o, oh, ow], dtype: x.dtype)
    try backend.conv2d(try x.contiguous(), weight: try weight.contiguous(), bias: bias, params: params, into: out)
    return out
}

/// Nearest-neighbour upsampling of x [N, C, H, W] by an integer factor -> [N, C, H·f, W·f].
public func upsampleNearest2d(_ x: Tensor, factor: Int = 2) throws -> Tensor {
    try OpChecks.requireRank("upsampleNearest2d", x, 4, layout: "[N, C, H, W]")
    guard factor >= 1 else { throw TensorError.invalidArgument("upsampleNearest2d: factor \(factor) must be at least 1") }
    try OpChecks.requireSupport(x.backend, .upsampleNearest2d, x.dtype, op: "upsampleNearest2d")
    let out = try x.backend.empty([x.shape[0], x.shape[1], x.shape[2] * factor, x.shape[3] * factor], dtype: x.dtype)
    try x.backend.upsampleNearest2d(try x.contiguous(), factor: factor, into: out)
    return out
}

/// Pads the last two axes of x with `value`: (top, bottom, left, right), e.g. the FLUX VAE's (0, 1, 0, 1).
public func pad2d(_ x: Tensor, top: Int, bottom: Int, left: Int, right: Int, value: Float = 0) throws -> Tensor {
    guard x.rank >= 2, min(top, bottom, left, right) >= 0 else {
        throw TensorError.invalidArgument("pad2d: needs rank ≥ 2 and non-negative padding, got \(x.shape) and (\(top), \(bottom), \(left), \(right))")
    }
    try OpChecks.requireSupport(x.backend, .fill, x.dtype, op: "pad2d")
    try OpChecks.requireSupport(x.backend, .copy, x.dtype, op: "pad2d")
    var dims = x.shape.dims
    let (h, w) = (dims[x.rank - 2], dims[x.rank - 1])
    dims[x.rank - 2] = h + top + bottom
    dims[x.rank - 1] = w + left + right
    let out = try x.backend.empty(Shape(dims), dtype: x.dtype)
    try x.backend.fill(out, value: value)
    let inner = try out.slice(axis: -2, top..<(top + h)).slice(axis: -1, left..<(left + w))
    try x.backend.copy(x, into: inner)
    return out
}
