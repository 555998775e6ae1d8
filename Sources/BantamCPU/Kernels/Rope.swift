import BantamCore

/// Rotary position embedding of x [B, H, L, D] with per-position angles given as cos, sin [L, D/2].
///
/// Pair j of a row at position l rotates by the angle whose cosine and sine are cos[l, j], sin[l, j]:
///     out0 = cos·x0 − sin·x1,  out1 = sin·x0 + cos·x1
/// `.interleaved` pairs (x[2j], x[2j+1]) (FLUX / diffusers' `repeat_interleave_real=True`);
/// `.halves` pairs (x[j], x[j + D/2]) (rotate-half). Everything is computed in f32 (two products and one
/// sum, no fused multiply-add, as PyTorch's f32 formula does) and rounded once to the output dtype.
extension CPUBackend {
    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle, into out: Tensor) throws {
        try require(.rope, x.dtype)
        let (l, d) = (x.shape[2], x.shape[3])
        let half = d / 2
        guard x.isContiguous, cos.isContiguous, sin.isContiguous, out.isContiguous else {
            throw TensorError.invalidArgument("rope: x, cos, sin and out must be contiguous; call .contiguous() first")
        }
        guard out.count > 0 else { return }
        // The angle tables decoded to f32 once: [L, D/2] each.
        let table = ScratchRows(rows: 2, length: l * half)
        defer { table.free() }
        ElementConversion.decode(cos.dtype, from: try basePointer(cos), count: l * half, into: table.row(0))
        ElementConversion.decode(sin.dtype, from: try basePointer(sin), count: l * half, into: table.row(1))
        let cosTable = UncheckedSendable(table.row(0)), sinTable = UncheckedSendable(table.row(1))

        let input = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let output = UncheckedSendable(try outputPointer(out))
        let (inType, outType) = (x.dtype, out.dtype)
        let rows = x.count / d   // B·H·L rows of D features
        Parallel.forEach(rows, threads: threads, grain: max(1, 4096 / d)) { range in
            let scratch = ScratchRows(rows: 2, length: d)
            defer { scratch.free() }
            let (src, dst) = (scratch.row(0), scratch.row(1))
            for row in range {
                let position = row % l
                let c = cosTable.value + position * half, s = sinTable.value + position * half
                RowIO.read(input.value, inType, start: row * d, count: d, stride: 1, into: src)
                switch style {
                case .interleaved:
                    for j in 0..<half {
                        let (x0, x1) = (src[2 * j], src[2 * j + 1])
                        dst[2 * j] = c[j] * x0 - s[j] * x1
                        dst[2 * j + 1] = s[j] * x0 + c[j] * x1
                    }
                case .halves:
                    for j in 0..<half {
                        let (x0, x1) = (src[j], src[j + half])
                        dst[j] = c[j] * x0 - s[j] * x1
                        dst[j + half] = s[j] * x0 + c[j] * x1
                    }
                }
                RowIO.write(output.value, outType, start: row * d, count: d, stride: 1, from: dst)
            }
        }
    }
}
