import BantamCore

/// out = x·scale + shift, the kernel behind tensor-scalar arithmetic (`x + 1`, `2 * x`, `-x`, `x / s`).
///
/// Numerics: the product x·scale of two f32 values is exact in f64, so computing x·scale + shift in f64 and
/// rounding to f32 gives the correctly rounded (fused) result except in vanishingly rare double-rounding
/// ties; f16/bf16 outputs then round once more, from f32, like every other kernel here. Pure `x + s` and
/// `x·s` are therefore bit-identical to torch's f32 ops. (A true fma would be a slow libm call on baseline
/// x86-64, and this loop vectorizes.)
extension CPUBackend {
    public func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor) throws {
        try require(.affine, x.dtype)
        try requireOutput("affine", out, shape: x.shape)
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))
        guard x.count > 0 else { return }
        let s = Double(scale), t = Double(shift)
        let tiles = ElementwiseTiles(RowLayout(shape: x.shape, strides: [x.strides, out.strides]))
        Parallel.forEach(tiles.count, threads: threads, grain: tiles.grain) { range in
            let scratch = ScratchRows(rows: 1, length: tiles.tileLength)
            defer { scratch.free() }
            let row = scratch.row(0)
            for index in range {
                let tile = tiles.tile(index)
                RowIO.readBroadcasting(src.value, x.dtype, start: tiles.start(row: tile.row, first: tile.first, operand: 0),
                                       count: tile.length, stride: tiles.layout.rowStride(0), into: row)
                for i in 0..<tile.length { row[i] = Float(Double(row[i]) * s + t) }
                RowIO.write(dst.value, out.dtype, start: tiles.start(row: tile.row, first: tile.first, operand: 1),
                            count: tile.length, stride: tiles.layout.rowStride(1), from: row)
            }
        }
    }
}
