import BantamCore

/// GroupNorm of x [N, C, S] (S = the spatial axes flattened): statistics per (sample, group) over the
/// C/groups·S elements of the group, then an affine map per channel, like `torch.nn.functional.group_norm`.
///
/// Numerics and parallelism: the rows x[n, c, :] are independent work items, so even N = 1, groups = 1
/// uses every thread. Pass 1 computes each row's mean and M2 = Σ(x − mean)² with the corrected two-pass
/// algorithm over the decoded f32 row (pairwise sums; see `RowMath.centeredMoments`). The rows of a group
/// are merged in f64 with the exact parallel-variance identity M2 = Σ M2_c + S·Σ (mean_c − mean)²
/// (Chan et al.), which has no E[x²] − E[x]² cancellation. The variance is biased (÷ C/groups·S) as in
/// PyTorch. Pass 2 writes (x − mean)·rstd·w[c] + b[c] in f32, rounded once.
extension CPUBackend {
    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {
        try require(.groupNorm, x.dtype)
        guard x.rank >= 2 else {
            throw TensorError.shapeMismatch(op: "groupNorm", detail: "input has shape \(x.shape); expected [N, C, ...]")
        }
        let n = x.shape[0], c = x.shape[1]
        guard groups > 0, c % groups == 0 else {
            throw TensorError.invalidArgument("groupNorm: \(c) channels do not divide into \(groups) groups")
        }
        try requireOutput("groupNorm", out, shape: x.shape)
        try requireContiguousOutput("groupNorm", out)
        let x = try x.contiguous()
        let w = try decodeVector(weight, op: "groupNorm", count: c)
        let b = try decodeVector(bias, op: "groupNorm", count: c)
        guard x.count > 0 else { return }
        let s = x.count / (n * c)          // spatial size
        let perGroup = c / groups          // channels per group
        let rows = n * c
        let grain = max(1, 16384 / s)
        let src = UncheckedSendable(UnsafeRawPointer(try basePointer(x)))
        let dst = UncheckedSendable(try outputPointer(out))

        // Pass 1: per-row mean and M2 = Σ(x − mean)² (rows [n, c] in row-major order), kept in f64.
        var rowMean = [Double](repeating: 0, count: rows)
        var rowM2 = [Double](repeating: 0, count: rows)
        rowMean.withUnsafeMutableBufferPointer { meanBuffer in
            rowM2.withUnsafeMutableBufferPointer { m2Buffer in
                let stats = UncheckedSendable((meanBuffer.baseAddress!, m2Buffer.baseAddress!))
                Parallel.forEach(rows, threads: threads, grain: grain) { range in
                    let scratch = ScratchRows(rows: 1, length: s)
                    defer { scratch.free() }
                    let row = scratch.row(0)
                    for r in range {
                        RowIO.read(src.value, x.dtype, start: r * s, count: s, stride: 1, into: row)
                        let center = RowMath.sum(row, s) / Float(s)
                        let (s1, s2) = RowMath.centeredMoments(row, s, about: center)
                        // The corrected two-pass moments: exact mean = center + Σ(x − center)/S.
                        stats.value.0[r] = Double(center) + Double(s1) / Double(s)
                        stats.value.1[r] = max(0, Double(s2) - Double(s1) * Double(s1) / Double(s))
                    }
                }
            }
        }

        // Merge rows into (sample, group) statistics, in f64 and a fixed order. The group mean is passed
        // on as two f32 parts (hi + lo) so pass 2 centres beyond f32's resolution of the mean.
        var groupMean = [Float](repeating: 0, count: n * groups)
        var groupMeanLow = [Float](repeating: 0, count: n * groups)
        var groupRstd = [Float](repeating: 0, count: n * groups)
        for g in 0..<(n * groups) {
            let first = g * perGroup
            var mean = 0.0
            for r in first..<(first + perGroup) { mean += rowMean[r] }
            mean /= Double(perGroup)
            var m2 = 0.0
            for r in first..<(first + perGroup) {
                let delta = rowMean[r] - mean
                m2 += rowM2[r] + Double(s) * delta * delta
            }
            let variance = Float(m2 / Double(perGroup * s))
            groupMean[g] = Float(mean)
            groupMeanLow[g] = Float(mean - Double(groupMean[g]))
            groupRstd[g] = 1 / (variance + eps).squareRoot()
        }

        // Pass 2: normalize each row with its group's statistics and its channel's affine parameters.
        let stats = UncheckedSendable((groupMean, groupMeanLow, groupRstd, w, b))
        Parallel.forEach(rows, threads: threads, grain: grain) { range in
            let scratch = ScratchRows(rows: 1, length: s)
            defer { scratch.free() }
            let row = scratch.row(0)
            let (means, lows, rstds, w, b) = stats.value
            for r in range {
                let channel = r % c, group = r / perGroup   // r = sample·C + channel; group index in n·groups
                let mean = means[group], low = lows[group], rstd = rstds[group]
                let wc = w?[channel] ?? 1, bc = b?[channel] ?? 0
                RowIO.read(src.value, x.dtype, start: r * s, count: s, stride: 1, into: row)
                for i in 0..<s { row[i] = (row[i] - mean - low) * rstd * wc + bc }
                RowIO.write(dst.value, out.dtype, start: r * s, count: s, stride: 1, from: row)
            }
        }
    }
}
