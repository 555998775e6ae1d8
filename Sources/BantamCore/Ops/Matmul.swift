/// Matrix products.

/// Batched matrix product with broadcasting over the leading axes: a [..., M, K] · b [..., K, N] ->
/// [..., M, N]. Transposed views (e.g. `w.T`) are read in place, without a copy.
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let backend = try OpChecks.commonBackend("matmul", [a, b])
    guard a.rank >= 2, b.rank >= 2 else {
        throw TensorError.shapeMismatch(op: "matmul", detail: "inputs \(a.shape) and \(b.shape) must have rank 2 or more")
    }
    try OpChecks.requireSameDType("matmul", a, b)
    try OpChecks.requireFloat("matmul", a)
    try OpChecks.requireSupport(backend, .matmul, a.dtype, op: "matmul")
    let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
    let k2 = b.shape[b.rank - 2], n = b.shape[b.rank - 1]
    guard k == k2 else {
        throw TensorError.shapeMismatch(op: "matmul", detail: "\(a.shape) · \(b.shape): inner sizes \(k) and \(k2) differ")
    }
    let batch = try Shape.broadcast(Shape(Array(a.shape.dims.dropLast(2))), Shape(Array(b.shape.dims.dropLast(2))), op: "matmul")
    let a3 = try mergeBatch(try a.expand(to: Shape(batch.dims + [m, k])), batchRank: batch.rank)
    let b3 = try mergeBatch(try b.expand(to: Shape(batch.dims + [k, n])), batchRank: batch.rank)
    let out = try backend.empty([batch.count, m, n], dtype: a.dtype)
    try backend.matmul(a3, b3, into: out)
    return try out.reshape(Shape(batch.dims + [m, n]))
}

/// Views a [batch..., R, C] tensor as [prod(batch), R, C] when its batch axes collapse into one stride,
/// otherwise copies it contiguously first.
func mergeBatch(_ t: Tensor, batchRank: Int) throws -> Tensor {
    let rows = t.shape[t.rank - 2], cols = t.shape[t.rank - 1]
    let rowStride = t.strides[t.rank - 2], colStride = t.strides[t.rank - 1]
    let batchDims = Array(t.shape.dims[..<batchRank]), batchStrides = Array(t.strides[..<batchRank])
    let count = batchDims.reduce(1, *)
    // Axes of size 1 never move; the others must form one arithmetic progression.
    let live = zip(batchDims, batchStrides).filter { $0.0 != 1 }
    var merged = live.last?.1 ?? 0
    var mergeable = true
    for i in stride(from: live.count - 1, to: 0, by: -1) where live[i - 1].1 != live[i].1 * live[i].0 {
        mergeable = false
    }
    if live.count > 1 && !mergeable {
        let c = try t.contiguous()
        return c.view(shape: [count, rows, cols], strides: [rows * cols, cols, 1], offset: c.offset)
    }
    if live.isEmpty { merged = 0 }
    return t.view(shape: [count, rows, cols], strides: [merged, rowStride, colStride], offset: t.offset)
}

/// PyTorch's Linear: x [..., K] · weightᵀ + bias with weight [N, K] and bias [N] -> [..., N].
/// The weight may be stored in another dtype than x where the backend supports it (FP8 weights, ...).
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    let backend = try OpChecks.commonBackend("linear", [x, weight, bias])
    try OpChecks.requireFloat("linear", x)
    guard weight.rank == 2 else {
        throw TensorError.shapeMismatch(op: "linear", detail: "weight has shape \(weight.shape); expected [out, in]")
    }
    let n = weight.shape[0], k = weight.shape[1]
    guard x.rank >= 1, x.shape[x.rank - 1] == k else {
        throw TensorError.shapeMismatch(op: "linear", detail: "input \(x.shape) does not end in the weight's in-features \(k) (weight \(weight.shape))")
    }
    try OpChecks.requireVector("linear", bias, size: n, role: "bias")
    try OpChecks.requireSupport(backend, .linear, weight.dtype, op: "linear")
    let x2 = try x.reshape([x.count / max(k, 1), k])
    let out = try backend.empty([x2.shape[0], n], dtype: x.dtype)
    try backend.linear(x2, weight: try weight.contiguous(), bias: bias, into: out)
    return try out.reshape(Shape(Array(x.shape.dims.dropLast()) + [n]))
}
