/// Reductions (accumulated in f32).

/// Reduces the given axes (all when empty) with `op`.
public func reduce(_ op: ReduceOp, _ x: Tensor, axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try OpChecks.requireFloat(op.rawValue, x)
    try OpChecks.requireSupport(x.backend, .reduce, x.dtype, op: op.rawValue)
    let list = try (axes.isEmpty ? Array(0..<x.rank) : axes).map { try x.shape.axis($0, op: op.rawValue) }
    guard Set(list).count == list.count else {
        throw TensorError.invalidArgument("\(op.rawValue): axes \(axes) repeat")
    }
    // Several axes reduce one after another; intermediate results stay in f32 so that low-precision
    // inputs round once, at the end.
    var result = x
    for (i, a) in list.sorted().enumerated() {
        let input = try result.contiguous()
        var dims = input.shape.dims
        dims[a] = 1
        let outType = i == list.count - 1 ? x.dtype : .f32
        let out = try x.backend.empty(Shape(dims), dtype: outType)
        try x.backend.reduce(op, input, axis: a, into: out)
        result = out
    }
    if !keepDims {
        for a in list.sorted(by: >) { result = try result.squeeze(a) }
    }
    return result
}

public func sum(_ x: Tensor, axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try reduce(.sum, x, axes: axes, keepDims: keepDims)
}

public func mean(_ x: Tensor, axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try reduce(.mean, x, axes: axes, keepDims: keepDims)
}

/// The largest element along the axes (PyTorch `amax`).
public func amax(_ x: Tensor, axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
    try reduce(.max, x, axes: axes, keepDims: keepDims)
}
