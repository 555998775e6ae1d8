/// Normalizations and softmax. Statistics are always computed in f32.

/// LayerNorm over the last axis; `weight`/`bias` [last] are optional (FLUX uses none).
public func layerNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float) throws -> Tensor {
    let backend = try OpChecks.commonBackend("layerNorm", [x, weight, bias])
    try OpChecks.requireFloat("layerNorm", x)
    guard x.rank >= 1 else { throw TensorError.shapeMismatch(op: "layerNorm", detail: "input is a scalar") }
    let d = x.shape[x.rank - 1]
    try OpChecks.requireVector("layerNorm", weight, size: d, role: "weight")
    try OpChecks.requireVector("layerNorm", bias, size: d, role: "bias")
    try OpChecks.requireSupport(backend, .layerNorm, x.dtype, op: "layerNorm")
    let xc = try x.contiguous()
    let out = try backend.empty(x.shape, dtype: x.dtype)
    try backend.layerNorm(xc, weight: weight, bias: bias, eps: eps, into: out)
    return out
}

/// RMSNorm over the last axis: x·rsqrt(mean(x²) + eps)·weight.
public func rmsNorm(_ x: Tensor, weight: Tensor? = nil, eps: Float) throws -> Tensor {
    let backend = try OpChecks.commonBackend("rmsNorm", [x, weight])
    try OpChecks.requireFloat("rmsNorm", x)
    guard x.rank >= 1 else { throw TensorError.shapeMismatch(op: "rmsNorm", detail: "input is a scalar") }
    try OpChecks.requireVector("rmsNorm", weight, size: x.shape[x.rank - 1], role: "weight")
    try OpChecks.requireSupport(backend, .rmsNorm, x.dtype, op: "rmsNorm")
    let out = try backend.empty(x.shape, dtype: x.dtype)
    try backend.rmsNorm(try x.contiguous(), weight: weight, eps: eps, into: out)
    return out
}

/// GroupNorm of x [N, C, spatial...] with `groups` groups of C/groups channels; weight, bias [C].
public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor? = nil, bias: Tensor? = nil, eps: Float) throws -> Tensor {
    let backend = try OpChecks.commonBackend("groupNorm", [x, weight, bias])
    try OpChecks.requireFloat("groupNorm", x)
    guard x.rank >= 2 else {
        throw TensorError.shapeMismatch(op: "groupNorm", detail: "input has shape \(x.shape); expected [N, C, ...]")
    }
    let c = x.shape[1]
    guard groups > 0, c % groups == 0 else {
        throw TensorError.invalidArgument("groupNorm: \(c) channels do not divide into \(groups) groups")
    }
    try OpChecks.requireVector("groupNorm", weight, size: c, role: "weight")
    try OpChecks.requireVector("groupNorm", bias, size: c, role: "bias")
    try OpChecks.requireSupport(backend, .groupNorm, x.dtype, op: "groupNorm")
    let x3 = try x.contiguous().reshape([x.shape[0], c, x.count / max(x.shape[0] * c, 1)])
    let out = try backend.empty(x3.shape, dtype: x.dtype)
    try backend.groupNorm(x3, groups: groups, weight: weight, bias: bias, eps: eps, into: out)
    return try out.reshape(x.shape)
}

/// Softmax along `axis` (default the last), computed in f32 with the maximum subtracted.
public func softmax(_ x: Tensor, axis: Int = -1) throws -> Tensor {
    try OpChecks.requireFloat("softmax", x)
    try OpChecks.requireSupport(x.backend, .softmax, x.dtype, op: "softmax")
    let a = try x.shape.axis(axis, op: "softmax")
    if a != x.rank - 1 {
        // Move the axis last, normalize, move it back.
        let moved = try x.transposed(a, -1)
        return try softmax(moved, axis: -1).transposed(a, -1)
    }
    let out = try x.backend.empty(x.shape, dtype: x.dtype)
    try x.backend.softmax(try x.contiguous(), into: out)
    return out
}
