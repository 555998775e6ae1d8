/// Fused ops of diffusion-transformer blocks: one kernel where the backend has one (CUDA), else the
/// composition of the primitive ops (Backend+FusedNorms.swift), with the same rounding points either way.

/// (1 + scale)·LayerNorm(x) + shift, FLUX's adaptive LayerNorm (no affine LayerNorm parameters).
/// x [B, L, D]; shift and scale [B, D] or [B, 1, D] (e.g. chunks of a modulation vector), of x's dtype.
public func modulatedLayerNorm(_ x: Tensor, shift: Tensor, scale: Tensor, eps: Float) throws -> Tensor {
    let op = "modulatedLayerNorm"
    let backend = try OpChecks.commonBackend(op, [x, shift, scale])
    try OpChecks.requireFloat(op, x)
    try OpChecks.requireRank(op, x, 3, layout: "[B, L, D]")
    let shift = try FusedChecks.rowOperand(op, shift, role: "shift", for: x)
    let scale = try FusedChecks.rowOperand(op, scale, role: "scale", for: x)
    try OpChecks.requireSupport(backend, .layerNorm, x.dtype, op: op)
    try OpChecks.requireSupport(backend, .binary, x.dtype, op: op)
    let out = try backend.empty(x.shape, dtype: x.dtype)
    try backend.modulatedLayerNorm(try x.contiguous(), shift: shift, scale: scale, eps: eps, into: out)
    return out
}

/// x + gate·y, the gated residual of FLUX blocks. x, y [B, L, D]; gate [B, D] or [B, 1, D]; one dtype.
public func gatedResidual(_ x: Tensor, gate: Tensor, _ y: Tensor) throws -> Tensor {
    let op = "gatedResidual"
    let backend = try OpChecks.commonBackend(op, [x, gate, y])
    try OpChecks.requireFloat(op, x)
    try OpChecks.requireRank(op, x, 3, layout: "[B, L, D]")
    guard y.shape == x.shape else {
        throw TensorError.shapeMismatch(op: op, detail: "y has shape \(y.shape); expected \(x.shape) like x")
    }
    try OpChecks.requireSameDType(op, x, y)
    let gate = try FusedChecks.rowOperand(op, gate, role: "gate", for: x)
    try OpChecks.requireSupport(backend, .binary, x.dtype, op: op)
    let out = try backend.empty(x.shape, dtype: x.dtype)
    try backend.gatedResidual(try x.contiguous(), gate: gate, try y.contiguous(), into: out)
    return out
}

/// rope(rmsNorm(x, weight, eps), cos, sin, style): the QK norm and rotary embedding of a head, in one pass
/// where the backend fuses them. x [B, H, L, D] (any strides; a view whose features are contiguous is read
/// in place), weight [D], cos and sin [L, D/2] -> contiguous [B, H, L, D] of x's dtype.
public func qkNormRope(_ x: Tensor, weight: Tensor, cos: Tensor, sin: Tensor, eps: Float,
                       style: RopeStyle = .interleaved) throws -> Tensor {
    let op = "qkNormRope"
    let backend = try OpChecks.commonBackend(op, [x, weight, cos, sin])
    try OpChecks.requireFloat(op, x)
    try OpChecks.requireRank(op, x, 4, layout: "[B, H, L, D]")
    let (l, d) = (x.shape[2], x.shape[3])
    guard d % 2 == 0 else { throw TensorError.shapeMismatch(op: op, detail: "head size \(d) is odd") }
    try OpChecks.requireVector(op, weight, size: d, role: "weight")
    for (t, role) in [(cos, "cos"), (sin, "sin")] {
        guard t.shape == [l, d / 2] else {
            throw TensorError.shapeMismatch(op: op, detail: "\(role) has shape \(t.shape); expected [\(l), \(d / 2)] for input \(x.shape)")
        }
        try OpChecks.requireFloat(op, t, role: role)
    }
    try OpChecks.requireSupport(backend, .rmsNorm, x.dtype, op: op)
    try OpChecks.requireSupport(backend, .rope, x.dtype, op: op)
    let input = x.strides[3] == 1 || d == 1 ? x : try x.contiguous()
    let out = try backend.empty(x.shape, dtype: x.dtype)
    try backend.qkNormRope(input, weight: weight, cos: try cos.contiguous(), sin: try sin.contiguous(), eps: eps,
                           style: style, into: out)
    return out
}

/// Checks shared by the fused ops.
enum FusedChecks {
    /// A per-sample row operand (shift, scale, gate) for x [B, L, D]: [B, D] or [B, 1, D] of x's dtype, returned
    /// as [B, 1, D] with stride 1 along D (copied only when its features are not contiguous).
    static func rowOperand(_ op: String, _ t: Tensor, role: String, for x: Tensor) throws -> Tensor {
        let (b, d) = (x.shape[0], x.shape[2])
        let view: Tensor
        if t.shape == [b, d] {
            view = try t.unsqueeze(1)
        } else if t.shape == [b, 1, d] {
            view = t
        } else {
            throw TensorError.shapeMismatch(op: op, detail: "\(role) has shape \(t.shape); expected [\(b), \(d)] or [\(b), 1, \(d)] for x \(x.shape)")
        }
        try OpChecks.requireSameDType(op, x, view)
        return view.strides[2] == 1 || d == 1 ? view : try view.contiguous()
    }
}
