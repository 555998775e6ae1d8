/// Attention and rotary position embeddings.

/// Scaled dot-product attention, softmax(q·kᵀ·scale + bias)·v, like PyTorch's
/// `scaled_dot_product_attention`.
/// - q: [B, H, Lq, D]; k: [B, H, Lk, D]; v: [B, H, Lk, Dv] -> [B, H, Lq, Dv]
/// - bias: additive, broadcastable to [B, H, Lq, Lk] (T5's relative bias, padding masks), same dtype as q
/// - causal: query i sees keys 0...i (CLIP's text tower)
/// - scale: defaults to 1/sqrt(D)
public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor? = nil, causal: Bool = false,
                      scale: Float? = nil) throws -> Tensor {
    let backend = try OpChecks.commonBackend("attention", [q, k, v, bias])
    try OpChecks.requireFloat("attention", q)
    try OpChecks.requireSameDType("attention", q, k)
    try OpChecks.requireSameDType("attention", q, v)
    for (t, role) in [(q, "q"), (k, "k"), (v, "v")] {
        try OpChecks.requireRank("attention", t, 4, role: role, layout: "[B, H, L, D]")
    }
    let (b, h, lq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    let lk = k.shape[2]
    guard k.shape[0] == b, k.shape[1] == h, k.shape[3] == d, v.shape[0] == b, v.shape[1] == h, v.shape[2] == lk else {
        throw TensorError.shapeMismatch(op: "attention", detail: "q \(q.shape), k \(k.shape), v \(v.shape) do not agree")
    }
    try OpChecks.requireSupport(backend, .attention, q.dtype, op: "attention")
    var expandedBias: Tensor?
    if let bias {
        try OpChecks.requireSameDType("attention", q, bias)
        expandedBias = try bias.expand(to: [b, h, lq, lk])
    }
    let out = try backend.empty([b, h, lq, v.shape[3]], dtype: q.dtype)
    try backend.attention(try q.contiguous(), try k.contiguous(), try v.contiguous(), bias: expandedBias,
                          causal: causal, scale: scale ?? 1 / Float(d).squareRoot(), into: out)
    return out
}

/// Rotates feature pairs of x [B, H, L, D] by the angles whose cosines and sines are `cos`, `sin` [L, D/2].
public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle = .interleaved) throws -> Tensor {
    let backend = try OpChecks.commonBackend("rope", [x, cos, sin])
    try OpChecks.requireFloat("rope", x)
    try OpChecks.requireRank("rope", x, 4, layout: "[B, H, L, D]")
    let (l, d) = (x.shape[2], x.shape[3])
    guard d % 2 == 0 else { throw TensorError.shapeMismatch(op: "rope", detail: "head size \(d) is odd") }
    for (t, role) in [(cos, "cos"), (sin, "sin")] {
        guard t.shape == [l, d / 2] else {
            throw TensorError.shapeMismatch(op: "rope", detail: "\(role) has shape \(t.shape); expected [\(l), \(d / 2)] for input \(x.shape)")
        }
        try OpChecks.requireFloat("rope", t, role: role)
    }
    try OpChecks.requireSupport(backend, .rope, x.dtype, op: "rope")
    let out = try backend.empty(x.shape, dtype: x.dtype)
    try backend.rope(try x.contiguous(), cos: try cos.contiguous(), sin: try sin.contiguous(), style: style, into: out)
    return out
}
