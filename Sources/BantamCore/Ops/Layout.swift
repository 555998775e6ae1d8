/// Ops that move elements: concatenation and row gathers.

/// Joins tensors along `axis`; all other axes must agree.
public func concat(_ tensors: [Tensor], axis: Int) throws -> Tensor {
    guard let first = tensors.first else { throw TensorError.invalidArgument("concat: no tensors") }
    let backend = try OpChecks.commonBackend("concat", tensors)
    let a = try first.shape.axis(axis, op: "concat")
    var total = 0
    for t in tensors {
        try OpChecks.requireSameDType("concat", first, t)
        var lhs = t.shape.dims, rhs = first.shape.dims
        guard lhs.count == rhs.count else {
            throw TensorError.shapeMismatch(op: "concat", detail: "\(first.shape) and \(t.shape) have different ranks")
        }
        lhs[a] = 0; rhs[a] = 0
        guard lhs == rhs else {
            throw TensorError.shapeMismatch(op: "concat", detail: "\(first.shape) and \(t.shape) differ outside axis \(a)")
        }
        total += t.shape[a]
    }
    try OpChecks.requireSupport(backend, .copy, first.dtype, op: "concat")
    var dims = first.shape.dims
    dims[a] = total
    let out = try backend.empty(Shape(dims), dtype: first.dtype)
    var start = 0
    for t in tensors where t.shape[a] > 0 {
        try backend.copy(t, into: try out.slice(axis: a, start..<(start + t.shape[a])))
        start += t.shape[a]
    }
    return out
}

/// Rows of `table` [V, D] selected by integer `ids` -> [ids.shape..., D] (token embeddings).
/// An id outside 0..<V throws.
public func embedding(_ ids: Tensor, table: Tensor) throws -> Tensor {
    let backend = try OpChecks.commonBackend("embedding", [ids, table])
    guard [.i32, .i64].contains(ids.dtype) else {
        throw TensorError.dtypeMismatch(op: "embedding", detail: "ids are \(ids.dtype); expected i32 or i64")
    }
    try OpChecks.requireRank("embedding", table, 2, role: "table", layout: "[vocab, dim]")
    try OpChecks.requireSupport(backend, .embedding, table.dtype, op: "embedding")
    let out = try backend.empty(Shape(ids.shape.dims + [table.shape[1]]), dtype: table.dtype)
    try backend.embedding(ids: try ids.contiguous(), table: try table.contiguous(), into: out)
    return out
}
