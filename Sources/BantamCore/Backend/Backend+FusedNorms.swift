/// Default implementations of the fused norm ops: the unfused sequence of the backend's own kernels, exactly
/// what the op-level composition runs (`(1 + scale) * layerNorm(x) + shift`, `x + gate * y`,
/// `rope(rmsNorm(x, weight))`), so a backend without fused kernels (the CPU reference) computes the same
/// values, bit for bit, as before the fused ops existed. Intermediates are fresh tensors of x's dtype.
extension Backend {
    public func modulatedLayerNorm(_ x: Tensor, shift: Tensor, scale: Tensor, eps: Float, into out: Tensor) throws {
        let normalized = try empty(x.shape, dtype: x.dtype)
        try layerNorm(x, weight: nil, bias: nil, eps: eps, into: normalized)             // [B, L, D]
        let onePlusScale = try empty(scale.shape, dtype: scale.dtype)
        try affine(scale, scale: 1, shift: 1, into: onePlusScale)                        // [B, 1, D]
        let product = try empty(x.shape, dtype: x.dtype)
        try binary(.mul, try onePlusScale.expand(to: x.shape), normalized, into: product)
        try binary(.add, product, try shift.expand(to: x.shape), into: out)
    }

    public func gatedResidual(_ x: Tensor, gate: Tensor, _ y: Tensor, into out: Tensor) throws {
        let product = try empty(y.shape, dtype: y.dtype)
        try binary(.mul, try gate.expand(to: y.shape), y, into: product)                  // gate·y
        try binary(.add, x, product, into: out)
    }

    public func qkNormRope(_ x: Tensor, weight: Tensor, cos: Tensor, sin: Tensor, eps: Float, style: RopeStyle,
                           into out: Tensor) throws {
        let normalized = try empty(x.shape, dtype: x.dtype)
        try rmsNorm(try x.contiguous(), weight: weight, eps: eps, into: normalized)
        try rope(normalized, cos: cos, sin: sin, style: style, into: out)
    }
}
