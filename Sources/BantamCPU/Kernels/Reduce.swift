import BantamCore

/// sum, mean and max over one axis. x is viewed as [outer, R, inner] (R the reduced axis) and out as
/// [outer, 1, inner]; out may be f32 for a low-precision x (the op layer chains axes that way).
///
/// Numerics: f32 accumulation, *pairwise* so long sums stay accurate (error ≈ (16 + log₂ R)·ε rather than
/// R·ε) and independent of the thread count:
/// - inner = 1 (reducing the last axis): each row is decoded and summed by `RowMath.sum`.
/// - inner > 1: rows x[o, r, :] are added as vectors, in runs of up to 8 rows, and the runs' partial sums
///   are combined pairwise (a recursion over r with one partial-sum buffer per level).
/// mean is the f32 sum divided by R. max propagates NaN like torch's amax and throws for an empty axis;
/// the sum of an empty axis is 0 and its mean NaN (0/0), as in torch.
extension CPUBackend {
    public func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, into out: Tensor) throws {
        try require(.reduce, x.dtype)
        guard axis >= 0 && axis < x.rank else {
            throw TensorError.invalidArgument("\(op.rawValue): axis \(axis) is out of range for a tensor of shape \(x.shape)")
        }
        var outShape = x.shape
        outShape[axis] = 1
        try requireOutput(op.rawValue, out, shape: outShape)
        try requireContiguousOutput(op.rawValue, out)
        guard out.dtype.isComputeFloat else {
            throw TensorError.dtypeMismatch(op: op.rawValue, detail: "output is \(out.dtype); expected f32, f16 or bf16")
        }
        let length = x.shape[axis]
        if length == 0 && op == .max && out.count > 0 {
            throw TensorError.invalidArgument("amax: axis \(axis) of \(x.shape) is empty, so it has no maximum")
        }
        let x = try x.contiguous()
        guard out.count > 0 else { return }
        let outer = x.shape.dims[..<axis].reduce(1, *)
        let inner = x.shape.dims[(axis + 1)...].reduce(1, *)
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))
        let finish: (Float) -> Float = op == .mean ? { $0 / Float(length) } : { $0 }

        if inner == 1 {
            // One contiguous row of R elements per output.
            Parallel.forEach(outer, threads: threads, grain: max(1, 16384 / max(length, 1))) { range in
                let scratch = ScratchRows(rows: 1, length: length)
                defer { scratch.free() }
                let row = scratch.row(0)
                for o in range {
                    RowIO.read(src.value, x.dtype, start: o * length, count: length, stride: 1, into: row)
                    var value = op == .max ? RowMath.max(row, length) : finish(RowMath.sum(row, length))
                    RowIO.write(dst.value, out.dtype, start: o, count: 1, stride: 1, from: &value)
                }
            }
            return
        }

        // Column sums: work items are (o, a tile of up to 1024 inner positions).
        let tile = min(inner, 1024)
        let tilesPerOuter = (inner + tile - 1) / tile
        let levels = ColumnReduce.levels(length)
        Parallel.forEach(outer * tilesPerOuter, threads: threads,
                         grain: max(1, 16384 / max(tile * max(length, 1), 1))) { range in
            // Scratch: one decode row plus one partial-sum row per recursion level.
            let scratch = ScratchRows(rows: levels + 1, length: tile)
            defer { scratch.free() }
            for item in range {
                let o = item / tilesPerOuter
                let first = (item % tilesPerOuter) * tile
                let count = min(tile, inner - first)
                let reducer = ColumnReduce(base: src.value, dtype: x.dtype, rowStart: o * length * inner + first,
                                           rowStride: inner, count: count, max: op == .max, scratch: scratch)
                let result = scratch.row(1)
                reducer.reduce(rows: 0..<length, into: result, level: 1)
                if op == .mean {
                    for i in 0..<count { result[i] = finish(result[i]) }
                }
                RowIO.write(dst.value, out.dtype, start: o * inner + first, count: count, stride: 1, from: result)
            }
        }
    }
}

/// Pairwise reduction of rows x[r, 0..<count] (r in a range) into one f32 row.
struct ColumnReduce {
    let base: UnsafeRawPointer
    let dtype: DType
    /// Element offset of row 0's first element, and the distance between rows.
    let rowStart: Int
    let rowStride: Int
    let count: Int
    /// max instead of sum.
    let max: Bool
    /// Row 0 is the decode buffer; row `level` holds the partial result of recursion depth `level`.
    let scratch: ScratchRows

    /// Rows summed one after another before pairing starts.
    static let run = 8

    /// Scratch rows needed for an axis of `length`: one per recursion level, plus one.
    static func levels(_ length: Int) -> Int {
        var levels = 1, span = run
        while span < length { span *= 2; levels += 1 }
        return levels + 1
    }

    /// Writes the reduction of `rows` into `acc` (a scratch row at depth `level`).
    func reduce(rows: Range<Int>, into acc: UnsafeMutablePointer<Float>, level: Int) {
        if rows.isEmpty {
            acc.update(repeating: max ? -.infinity : 0, count: count)
            return
        }
        if rows.count <= Self.run {
            decode(rows.lowerBound, into: acc)
            let tmp = scratch.row(0)
            for r in rows.dropFirst() {
                decode(r, into: tmp)
                combine(acc, tmp)
            }
            return
        }
        let middle = rows.lowerBound + rows.count / 2
        reduce(rows: rows.lowerBound..<middle, into: acc, level: level + 1)
        let right = scratch.row(level + 1)
        reduce(rows: middle..<rows.upperBound, into: right, level: level + 1)
        combine(acc, right)
    }

    @inline(__always)
    private func decode(_ r: Int, into row: UnsafeMutablePointer<Float>) {
        RowIO.read(base, dtype, start: rowStart + r * rowStride, count: count, stride: 1, into: row)
    }

    /// acc[i] = acc[i] + v[i], or the NaN-propagating max.
    @inline(__always)
    private func combine(_ acc: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>) {
        if max {
            for i in 0..<count { acc[i] = RowMath.nanMax(acc[i], v[i]) }
        } else {
            for i in 0..<count { acc[i] += v[i] }
        }
    }
}
