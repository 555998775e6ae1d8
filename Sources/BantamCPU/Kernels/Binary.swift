import BantamCore

/// Element-wise functions of two inputs. The op layer hands over views already broadcast to out's shape
/// (stride 0 along broadcast axes); `RowLayout` merges axes that are contiguous for all three operands, so
/// a bias over the last axis is a row of stride 1 reused for every row, and a per-row scalar is a row of
/// stride 0 (decoded once and repeated).
extension CPUBackend {
    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) throws {
        try require(.binary, a.dtype)
        try require(.binary, b.dtype)
        try requireOutput(op.rawValue, out, shape: a.shape)
        try requireOutput(op.rawValue, out, shape: b.shape)
        let pa = UncheckedSendable(UnsafeRawPointer(try basePointer(a)))
        let pb = UncheckedSendable(UnsafeRawPointer(try basePointer(b)))
        let dst = UncheckedSendable(try outputPointer(out))
        guard out.count > 0 else { return }
        let tiles = ElementwiseTiles(RowLayout(shape: out.shape, strides: [a.strides, b.strides, out.strides]))
        Parallel.forEach(tiles.count, threads: threads, grain: tiles.grain) { range in
            let scratch = ScratchRows(rows: 2, length: tiles.tileLength)
            defer { scratch.free() }
            let x = scratch.row(0), y = scratch.row(1)
            for index in range {
                let t = tiles.tile(index)
                RowIO.readBroadcasting(pa.value, a.dtype, start: tiles.start(row: t.row, first: t.first, operand: 0),
                                       count: t.length, stride: tiles.layout.rowStride(0), into: x)
                RowIO.readBroadcasting(pb.value, b.dtype, start: tiles.start(row: t.row, first: t.first, operand: 1),
                                       count: t.length, stride: tiles.layout.rowStride(1), into: y)
                BinaryMath.apply(op, x, y, t.length)
                RowIO.write(dst.value, out.dtype, start: tiles.start(row: t.row, first: t.first, operand: 2),
                            count: t.length, stride: tiles.layout.rowStride(2), from: x)
            }
        }
    }
}

/// The f32 formulas, one (vectorizable) loop per op.
enum BinaryMath {
    /// x[i] = x[i] ∘ y[i].
    static func apply(_ op: BinaryOp, _ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) {
        switch op {
        case .add: for i in 0..<n { x[i] = x[i] + y[i] }
        case .sub: for i in 0..<n { x[i] = x[i] - y[i] }
        case .mul: for i in 0..<n { x[i] = x[i] * y[i] }
        case .div: for i in 0..<n { x[i] = x[i] / y[i] }
        // NaN in either input gives NaN, like torch.maximum/minimum (not fmax/fmin). Between equal values
        // (+0 and −0) the first input wins.
        case .maximum: for i in 0..<n { x[i] = (x[i] >= y[i] || x[i].isNaN) ? x[i] : y[i] }
        case .minimum: for i in 0..<n { x[i] = (x[i] <= y[i] || x[i].isNaN) ? x[i] : y[i] }
        }
    }
}
