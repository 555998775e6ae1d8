/// Views: new shapes and strides over the same storage, no copies. `reshape` and `flatten` copy only
/// when the tensor is not contiguous (like PyTorch's `reshape`).
extension Tensor {
    func view(shape: Shape, strides: [Int], offset: Int) -> Tensor {
        Tensor(backend: backend, storage: storage, dtype: dtype, shape: shape, strides: strides, offset: offset)
    }

    private func requireUnpacked(_ op: String) throws {
        if dtype.isPacked {
            throw TensorError.unsupported(backend: backend.name, op: op,
                                          detail: "strided views of packed \(dtype) storage; reshape it contiguously instead")
        }
    }

    /// The same elements in a new shape; one dimension may be -1 (inferred).
    public func reshape(_ newShape: Shape) throws -> Tensor {
        var dims = newShape.dims
        let inferred = dims.indices.filter { dims[$0] == -1 }
        guard inferred.count <= 1, dims.allSatisfy({ $0 >= 0 || $0 == -1 }) else {
            throw TensorError.invalidArgument("reshape: invalid target shape \(newShape)")
        }
        if let i = inferred.first {
            let known = dims.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(op: "reshape", detail: "cannot reshape \(shape) to \(newShape)")
            }
            dims[i] = count / known
        }
        let target = Shape(dims)
        guard target.count == count else {
            throw TensorError.shapeMismatch(op: "reshape", detail: "cannot reshape \(shape) (\(count) elements) to \(target)")
        }
        if isContiguous { return view(shape: target, strides: target.contiguousStrides, offset: offset) }
        return try contiguous().reshape(target)
    }

    public func reshape(_ dims: Int...) throws -> Tensor { try reshape(Shape(dims)) }

    /// Reorders the axes: result axis i is input axis `axes[i]`.
    public func permute(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw TensorError.invalidArgument("permute: \(axes) is not a permutation of the \(rank) axes of \(shape)")
        }
        if axes == Array(0..<rank) { return self }
        try requireUnpacked("permute")
        return view(shape: Shape(axes.map { shape[$0] }), strides: axes.map { strides[$0] }, offset: offset)
    }

    public func permute(_ axes: Int...) throws -> Tensor { try permute(axes) }

    /// Swaps two axes.
    public func transposed(_ a: Int, _ b: Int) throws -> Tensor {
        let a = try shape.axis(a, op: "transpose"), b = try shape.axis(b, op: "transpose")
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return try permute(axes)
    }

    /// Elements `range` of `axis` (a view).
    public func slice(axis: Int, _ range: Range<Int>) throws -> Tensor {
        let a = try shape.axis(axis, op: "slice")
        guard range.lowerBound >= 0, range.upperBound <= shape[a] else {
            throw TensorError.invalidArgument("slice: range \(range) is outside axis \(a) of size \(shape[a]) in \(shape)")
        }
        if dtype.isPacked && !(a == 0 && isContiguous && (range.lowerBound * strides[0]) % dtype.elementsPerBlock == 0) {
            try requireUnpacked("slice")
        }
        var dims = shape.dims
        dims[a] = range.count
        return view(shape: Shape(dims), strides: strides, offset: offset + range.lowerBound * strides[a])
    }

    /// Splits `axis` into consecutive parts of the given sizes (views).
    public func split(_ sizes: [Int], axis: Int) throws -> [Tensor] {
        let a = try shape.axis(axis, op: "split")
        guard sizes.reduce(0, +) == shape[a], sizes.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.shapeMismatch(op: "split", detail: "sizes \(sizes) do not add up to axis \(a) of \(shape)")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try slice(axis: a, start..<(start + size))
        }
    }

    /// Splits `axis` into `parts` equal views (PyTorch `chunk` with an exact division).
    public func chunk(_ parts: Int, axis: Int) throws -> [Tensor] {
        let a = try shape.axis(axis, op: "chunk")
        guard parts > 0, shape[a] % parts == 0 else {
            throw TensorError.shapeMismatch(op: "chunk", detail: "axis \(a) of \(shape) does not split into \(parts) equal parts")
        }
        return try split([Int](repeating: shape[a] / parts, count: parts), axis: a)
    }

    /// Inserts an axis of size 1.
    public func unsqueeze(_ axis: Int) throws -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        guard a >= 0 && a <= rank else {
            throw TensorError.invalidArgument("unsqueeze: axis \(axis) is out of range for \(shape)")
        }
        var dims = shape.dims, st = strides
        dims.insert(1, at: a)
        st.insert(a < rank ? strides[a] * shape[a] : 1, at: a)
        return view(shape: Shape(dims), strides: st, offset: offset)
    }

    /// Removes an axis of size 1.
    public func squeeze(_ axis: Int) throws -> Tensor {
        let a = try shape.axis(axis, op: "squeeze")
        guard shape[a] == 1 else {
            throw TensorError.invalidArgument("squeeze: axis \(a) of \(shape) has size \(shape[a]), not 1")
        }
        var dims = shape.dims, st = strides
        dims.remove(at: a)
        st.remove(at: a)
        return view(shape: Shape(dims), strides: st, offset: offset)
    }

    /// Broadcasts to `target` (size-1 axes repeat with stride 0; new leading axes may be added).
    public func expand(to target: Shape) throws -> Tensor {
        guard target.rank >= rank else {
            throw TensorError.shapeMismatch(op: "expand", detail: "cannot expand \(shape) to the lower rank \(target)")
        }
        if target == shape { return self }
        try requireUnpacked("expand")
        let lead = target.rank - rank
        var st = [Int](repeating: 0, count: target.rank)
        for i in 0..<rank {
            if shape[i] == target[lead + i] { st[lead + i] = strides[i] } else if shape[i] == 1 { st[lead + i] = 0 } else {
                throw TensorError.shapeMismatch(op: "expand", detail: "cannot expand \(shape) to \(target)")
            }
        }
        return view(shape: target, strides: st, offset: offset)
    }

    /// Merges axes `from...` into one (a view when possible).
    public func flatten(from axis: Int = 0) throws -> Tensor {
        let a = try shape.axis(axis, op: "flatten")
        return try reshape(Shape(Array(shape.dims[..<a]) + [shape.dims[a...].reduce(1, *)]))
    }

    /// This tensor if it is contiguous, otherwise a contiguous copy.
    public func contiguous() throws -> Tensor {
        if isContiguous { return self }
        let out = try backend.empty(shape, dtype: dtype)
        try backend.copy(self, into: out)
        return out
    }

    /// The last two axes swapped (matrix transpose), a view.
    public var T: Tensor {
        get throws { try transposed(-2, -1) }
    }
}
