import BantamCore

/// RMSNorm over the last axis: y = x·rsqrt(mean(x²) + eps)·w.
///
/// Numerics: everything in f32 (the mean of squares by pairwise summation), rounded once to the output
/// dtype. Note the reference implementations differ here: `torch.nn.functional.rms_norm` also rounds once
/// (checked on torch 2.13: its bf16 output equals the f32 result rounded once), but the T5/FLUX/diffusers
/// `RMSNorm` modules cast the normalized x back to the input dtype *before*
/// multiplying by the weight (two roundings for bf16). Model code that needs that behaviour bit for bit can
/// write it as two ops: `rmsNorm(x, weight: nil, eps:)` (rounds to x's dtype) followed by `* weight`.
extension CPUBackend {
    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float, into out: Tensor) throws {
        try require(.rmsNorm, x.dtype)
        guard x.rank >= 1 else { throw TensorError.shapeMismatch(op: "rmsNorm", detail: "input is a scalar") }
        try requireOutput("rmsNorm", out, shape: x.shape)
        try requireContiguousOutput("rmsNorm", out)
        let x = try x.contiguous()
        let d = x.shape[x.rank - 1]
        let w = try decodeVector(weight, op: "rmsNorm", count: d)
        guard x.count > 0 else { return }
        let rows = x.count / d
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))
        withOptionalPointer(w) { w in
            let weight = UncheckedSendable(w)
            Parallel.forEach(rows, threads: threads, grain: max(1, 16384 / d)) { range in
                let scratch = ScratchRows(rows: 1, length: d)
                defer { scratch.free() }
                let row = scratch.row(0)
                for r in range {
                    RowIO.read(src.value, x.dtype, start: r * d, count: d, stride: 1, into: row)
                    let meanSquare = RowMath.sumOfSquares(row, d) / Float(d)
                    let scale = 1 / (meanSquare + eps).squareRoot()
                    NormMath.normalize(row, d, mean: 0, scale: scale, weight: weight.value, bias: nil)
                    RowIO.write(dst.value, out.dtype, start: r * d, count: d, stride: 1, from: row)
                }
            }
        }
    }
}
