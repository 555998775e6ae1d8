/// Fused linear layers.

/// geluTanh(x [..., K] · weightᵀ + bias) -> [..., N]: PyTorch's `gelu(linear(x), approximate="tanh")` in one
/// op, so a backend can apply the GELU in its GEMM's epilogue (one pass over the output instead of three).
/// Same arguments and checks as `linear`. A fused backend rounds once after the GELU; the unfused default
/// (and the CPU) rounds the linear's output to x's dtype first, so 16-bit results may differ by one rounding.
public func linearGELU(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    let backend = try OpChecks.commonBackend("linearGELU", [x, weight, bias])
    try OpChecks.requireFloat("linearGELU", x)
    guard weight.rank == 2 else {
        throw TensorError.shapeMismatch(op: "linearGELU", detail: "weight has shape \(weight.shape); expected [out, in]")
    }
    let n = weight.shape[0], k = weight.shape[1]
    guard x.rank >= 1, x.shape[x.rank - 1] == k else {
        throw TensorError.shapeMismatch(op: "linearGELU", detail: "input \(x.shape) does not end in the weight's in-features \(k) (weight \(weight.shape))")
    }
    try OpChecks.requireVector("linearGELU", bias, size: n, role: "bias")
    try OpChecks.requireSupport(backend, .linear, weight.dtype, op: "linearGELU")
    let x2 = try x.reshape([x.count / max(k, 1), k])
    let out = try backend.empty([x2.shape[0], n], dtype: x.dtype)
    try backend.linearGELU(x2, weight: try weight.contiguous(), bias: bias, into: out)
    return try out.reshape(Shape(Array(x.shape.dims.dropLast()) + [n]))
}
