import BantamCore

/// Scaled dot-product attention, softmax(q·kᵀ·scale + bias [+ causal mask])·v, in blocks of query rows.
///
/// The work is split into tasks of (batch, head, block of up to `attentionBlockRows` query rows). A task
/// 1. computes the block's scores S = q·kᵀ [rows × Lk] in f32 with one GEMM,
/// 2. per row applies scale, bias and the causal mask, subtracts the row maximum and exponentiates
///    (`FastExp`, vectorized; the row sum is kept, P is not normalized yet),
/// 3. computes P·v [rows × Dv] with a second GEMM and multiplies each row by 1/sum while encoding.
/// So a thread holds rows·(Lk + Dv) floats of scratch, never the full [B, H, Lq, Lk] matrix: for
/// Lk = 4608 that is 1.2 MB per thread. Block boundaries do not depend on the thread count and each GEMM
/// runs on one thread, so results are bit-identical for any number of threads.
///
/// Fully masked rows (every visible score −inf, e.g. a padding mask of −inf over all keys) produce zeros,
/// as PyTorch 2.13's `scaled_dot_product_attention` does on every CPU backend (math, flash; f32, f64, f16,
/// bf16); with Lk = 0 the output is zeros too. A NaN anywhere in a row's scores makes that row NaN.
extension CPUBackend {
    /// Query rows per task: 64 rows × Lk f32 scores per thread.
    static let attentionBlockRows = 64

    public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, bias: Tensor?, causal: Bool, scale: Float,
                          into out: Tensor) throws {
        try require(.attention, q.dtype)
        let (batch, heads, lq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let lk = k.shape[2], dv = v.shape[3]
        guard q.isContiguous, k.isContiguous, v.isContiguous, out.isContiguous else {
            throw TensorError.invalidArgument("attention: q, k, v and out must be contiguous; call .contiguous() first")
        }
        let qBase = UncheckedSendable(UnsafeRawPointer(try basePointer(q)))
        let kBase = UncheckedSendable(UnsafeRawPointer(try basePointer(k)))
        let vBase = UncheckedSendable(UnsafeRawPointer(try basePointer(v)))
        let outBase = UncheckedSendable(try outputPointer(out))
        let biasBase = UncheckedSendable(try bias.map { UnsafeRawPointer(try basePointer($0)) })
        let biasStrides = bias?.strides ?? [0, 0, 0, 0]
        let biasType = bias?.dtype ?? .f32
        guard out.count > 0 else { return }

        let (qWidth, kWidth, vWidth) = (q.dtype.byteWidth!, k.dtype.byteWidth!, v.dtype.byteWidth!)
        let blockRows = Self.attentionBlockRows
        let blocks = (lq + blockRows - 1) / blockRows
        let outType = out.dtype
        Parallel.forEach(batch * heads * blocks, threads: threads) { tasks in
            // Per-chunk scratch: scores/probabilities [blockRows × Lk], P·v [blockRows × Dv], one bias row.
            let scores = ScratchRows(rows: blockRows, length: max(lk, 1))
            let values = ScratchRows(rows: blockRows, length: max(dv, 1))
            let biasRow = ScratchRows(rows: 1, length: max(lk, 1))
            var sums = [Float](repeating: 0, count: blockRows)
            defer { scores.free(); values.free(); biasRow.free() }

            for task in tasks {
                let bh = task / blocks, block = task % blocks
                let (bi, hi) = (bh / heads, bh % heads)
                let r0 = block * blockRows, rows = min(blockRows, lq - r0)
                // With a causal mask the last row of the block sees keys 0...r0+rows−1 only.
                let keys = causal ? min(lk, r0 + rows) : lk
                let outRow0 = (bh * lq + r0) * dv
                if keys == 0 {   // no keys: PyTorch returns zeros
                    values.row(0).initialize(repeating: 0, count: max(dv, 1))
                    for r in 0..<rows {
                        RowIO.write(outBase.value, outType, start: outRow0 + r * dv, count: dv, stride: 1, from: values.row(0))
                    }
                    continue
                }

                // S [rows × keys] = q block [rows × D] · kᵀ [D × keys]; kᵀ(p, j) = k[j, p].
                let qBlock = MatrixOperand(base: qBase.value + (bh * lq + r0) * d * qWidth, dtype: q.dtype,
                                           rowStride: d, colStride: 1)
                let kT = MatrixOperand(base: kBase.value + bh * lk * d * kWidth, dtype: k.dtype,
                                       rowStride: 1, colStride: d)
                Gemm.multiply(m: rows, n: keys, k: d, a: qBlock, b: kT, c: scores.buffer, ldc: keys,
                              accumulate: false, threads: 1, kernel: gemmKernel)

                // Softmax numerators in place, row by row.
                for r in 0..<rows {
                    let qi = r0 + r
                    let s = scores.buffer + r * keys
                    let visible = causal ? min(qi + 1, keys) : keys
                    if let biasPointer = biasBase.value {
                        let start = bi * biasStrides[0] + hi * biasStrides[1] + qi * biasStrides[2]
                        RowIO.read(biasPointer, biasType, start: start, count: visible, stride: biasStrides[3],
                                   into: biasRow.buffer)
                        for j in 0..<visible { s[j] = s[j] * scale + biasRow.buffer[j] }
                    } else {
                        for j in 0..<visible { s[j] *= scale }
                    }
                    let m = Self.rowMax(s, visible)
                    if m == -.infinity {
                        // Every score is −inf (fully masked: zeros, like torch) or NaN (propagate).
                        // A real sum is ≥ 1 (the maximum contributes exp(0)), so 0 can mark "write zeros".
                        sums[r] = (0..<visible).contains { s[$0].isNaN } ? .nan : 0
                        s.initialize(repeating: 0, count: keys)
                        continue
                    }
                    for j in 0..<visible { s[j] = FastExp.exp(s[j] - m) }   // vectorized
                    for j in visible..<keys { s[j] = 0 }                      // causally hidden keys
                    let sum = Self.rowSum(s, visible)
                    sums[r] = sum
                }

                // O [rows × Dv] = P [rows × keys] · v [keys × Dv], then divided by the row sums.
                let p = MatrixOperand(base: UnsafeRawPointer(scores.buffer), dtype: .f32, rowStride: keys, colStride: 1)
                let vMatrix = MatrixOperand(base: vBase.value + bh * lk * dv * vWidth, dtype: v.dtype,
                                            rowStride: dv, colStride: 1)
                Gemm.multiply(m: rows, n: dv, k: keys, a: p, b: vMatrix, c: values.buffer, ldc: dv,
                              accumulate: false, threads: 1, kernel: gemmKernel)
                for r in 0..<rows {
                    let o = values.buffer + r * dv
                    let sum = sums[r]
                    if sum == 0 {
                        o.initialize(repeating: 0, count: dv)
                    } else {
                        let inverse = 1 / sum   // NaN sum: NaN row
                        for c in 0..<dv { o[c] *= inverse }
                    }
                    RowIO.write(outBase.value, outType, start: outRow0 + r * dv, count: dv, stride: 1, from: o)
                }
            }
        }
    }

    /// Largest of s[0..<n] (−inf when empty); NaNs are skipped here and poison the row through exp later.
    @inline(__always)
    static func rowMax(_ s: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= n {
            lanes = pointwiseMax(lanes, UnsafeRawPointer(s + j).loadUnaligned(as: SIMD8<Float>.self))
            j += 8
        }
        var m = lanes.max()
        while j < n {
            if s[j] > m { m = s[j] }
            j += 1
        }
        return m
    }

    /// Σ s[0..<n] in eight interleaved partial sums (a fixed order: the same result on any thread).
    @inline(__always)
    static func rowSum(_ s: UnsafePointer<Float>, _ n: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: 0)
        var j = 0
        while j + 8 <= n {
            lanes += UnsafeRawPointer(s + j).loadUnaligned(as: SIMD8<Float>.self)
            j += 8
        }
        var sum = lanes.sum()
        while j < n {
            sum += s[j]
            j += 1
        }
        return sum
    }
}
