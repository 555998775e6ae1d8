import BantamCore

/// LayerNorm over the last axis: y = (x − mean)/√(var + eps)·w + b, like `torch.nn.functional.layer_norm`.
///
/// Numerics: each row is decoded to f32 once and stays in scratch, so the statistics take two passes over
/// it: the mean m (pairwise sum / D), then Σ(x − m) and Σ(x − m)² (pairwise), the *corrected* two-pass
/// algorithm: the first sum recovers what rounding m to f32 lost, so the centring and the biased variance
/// Σ(x − m)²/D − (Σ(x − m)/D)² stay accurate even when |mean| ≫ std (no E[x²] − E[x]² cancellation). The
/// output ((x − m) − correction)·rstd·w + b is computed in f32 and rounded once to the output dtype.
/// (PyTorch's CPU kernel folds this into x·s + (b − mean·s) and keeps the mean in f32, which can differ by
/// ulps of f32; after bf16 rounding that occasionally shows as one bf16 ulp.)
extension CPUBackend {
    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {
        try require(.layerNorm, x.dtype)
        guard x.rank >= 1 else { throw TensorError.shapeMismatch(op: "layerNorm", detail: "input is a scalar") }
        try requireOutput("layerNorm", out, shape: x.shape)
        try requireContiguousOutput("layerNorm", out)
        let x = try x.contiguous()
        let d = x.shape[x.rank - 1]
        let w = try decodeVector(weight, op: "layerNorm", count: d)
        let b = try decodeVector(bias, op: "layerNorm", count: d)
        guard x.count > 0 else { return }
        let rows = x.count / d
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))
        withOptionalPointer(w) { w in
            withOptionalPointer(b) { b in
                let params = UncheckedSendable((w, b))
                Parallel.forEach(rows, threads: threads, grain: max(1, 16384 / d)) { range in
                    let scratch = ScratchRows(rows: 1, length: d)
                    defer { scratch.free() }
                    let row = scratch.row(0)
                    for r in range {
                        RowIO.read(src.value, x.dtype, start: r * d, count: d, stride: 1, into: row)
                        let mean = RowMath.sum(row, d) / Float(d)
                        let (s1, s2) = RowMath.centeredMoments(row, d, about: mean)
                        let correction = s1 / Float(d)
                        let variance = max(0, s2 / Float(d) - correction * correction)
                        let rstd = 1 / (variance + eps).squareRoot()
                        NormMath.normalize(row, d, mean: mean, correction: correction, scale: rstd,
                                           weight: params.value.0, bias: params.value.1)
                        RowIO.write(dst.value, out.dtype, start: r * d, count: d, stride: 1, from: row)
                    }
                }
            }
        }
    }
}
