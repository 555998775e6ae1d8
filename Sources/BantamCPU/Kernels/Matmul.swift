import BantamCore

/// matmul and linear: validated views handed to the blocked GEMM (GEMM.swift), which decodes any float
/// dtype and strides while packing and accumulates in f32. Outputs other than f32 are computed into an
/// f32 scratch and rounded once when written.
extension CPUBackend {
    /// a [batch, M, K] · b [batch, K, N] -> out [batch, M, N] (contiguous). a and b may have any strides,
    /// including a zero batch stride for a broadcast operand.
    public func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws {
        try require(.matmul, a.dtype)
        try require(.matmul, b.dtype)
        try require(.matmul, out.dtype)
        guard a.rank == 3, b.rank == 3, out.rank == 3, a.shape[0] == b.shape[0], a.shape[2] == b.shape[1],
              out.shape.dims == [a.shape[0], a.shape[1], b.shape[2]] else {
            throw TensorError.shapeMismatch(op: "matmul", detail: "cpu kernel needs [B, M, K] · [B, K, N] -> [B, M, N]; got \(a.shape) · \(b.shape) -> \(out.shape)")
        }
        guard out.isContiguous else {
            throw TensorError.invalidArgument("matmul: the cpu kernel writes a contiguous output; got strides \(out.strides)")
        }
        let batch = a.shape[0], m = a.shape[1], k = a.shape[2], n = b.shape[2]
        let aOperand = MatrixOperand(base: try basePointer(a), dtype: a.dtype, rowStride: a.strides[1], colStride: a.strides[2])
        let bOperand = MatrixOperand(base: try basePointer(b), dtype: b.dtype, rowStride: b.strides[1], colStride: b.strides[2])
        let destination = try outputPointer(out)
        guard batch > 0, m > 0, n > 0 else { return }
        let aBatch = batch == 1 ? 0 : a.strides[0], bBatch = batch == 1 ? 0 : b.strides[0]
        if out.dtype == .f32 {
            Gemm.multiplyBatched(batch: batch, m: m, n: n, k: k, a: aOperand, aBatchStride: aBatch,
                                 b: bOperand, bBatchStride: bBatch,
                                 c: destination.assumingMemoryBound(to: Float.self), ldc: n, cBatchStride: m * n,
                                 accumulate: false, threads: threads, kernel: gemmKernel)
            return
        }
        // bf16/f16 out: whole batch items (or, for one huge item, row blocks) into an f32 scratch of at
        // most `scratchLimit` floats, each rounded once when written.
        if m * n <= Self.scratchLimit {
            let group = max(1, min(batch, Self.scratchLimit / (m * n)))
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: group * m * n)
            defer { scratch.deallocate() }
            for first in stride(from: 0, to: batch, by: group) {
                let count = min(group, batch - first)
                Gemm.multiplyBatched(batch: count, m: m, n: n, k: k,
                                     a: aOperand.advanced(by: first * aBatch), aBatchStride: aBatch,
                                     b: bOperand.advanced(by: first * bBatch), bBatchStride: bBatch,
                                     c: scratch, ldc: n, cBatchStride: m * n,
                                     accumulate: false, threads: threads, kernel: gemmKernel)
                encode(scratch, count: count * m * n, as: out.dtype, into: destination, at: first * m * n)
            }
        } else {
            let rowsPerBlock = max(1, Self.scratchLimit / n)
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: min(m, rowsPerBlock) * n)
            defer { scratch.deallocate() }
            for t in 0..<batch {
                for row0 in stride(from: 0, to: m, by: rowsPerBlock) {
                    let rows = min(rowsPerBlock, m - row0)
                    Gemm.multiply(m: rows, n: n, k: k, a: aOperand.advanced(by: t * aBatch + row0 * a.strides[1]),
                                  b: bOperand.advanced(by: t * bBatch), c: scratch, ldc: n, accumulate: false,
                                  threads: threads, kernel: gemmKernel)
                    encode(scratch, count: rows * n, as: out.dtype, into: destination, at: (t * m + row0) * n)
                }
            }
        }
    }

    /// x [R, K] · weightᵀ + bias -> out [R, N] of x's dtype, with weight [N, K] in f32, f16, bf16 or FP8
    /// (weight-only: decoded to f32 while packing) and bias [N] in any compute float. The bias is added in
    /// f32 (it is the starting value of each output row) before the single rounding to out's dtype.
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws {
        for (role, t) in [("input", x), ("output", out), ("bias", bias ?? x)] where !t.dtype.isComputeFloat {
            throw TensorError.dtypeMismatch(op: "linear", detail: "\(role) is \(t.dtype); expected f32, f16 or bf16")
        }
        try require(.linear, weight.dtype)
        guard x.rank == 2, weight.rank == 2, out.rank == 2, x.shape[1] == weight.shape[1],
              out.shape.dims == [x.shape[0], weight.shape[0]], bias.map({ $0.shape.dims == [weight.shape[0]] }) ?? true else {
            throw TensorError.shapeMismatch(op: "linear", detail: "cpu kernel needs x [R, K], weight [N, K], bias [N] -> out [R, N]; got \(x.shape), \(weight.shape), \(bias.map { "\($0.shape)" } ?? "no bias") -> \(out.shape)")
        }
        guard out.isContiguous else {
            throw TensorError.invalidArgument("linear: the cpu kernel writes a contiguous output; got strides \(out.strides)")
        }
        let rows = x.shape[0], k = x.shape[1], n = weight.shape[0]
        let xOperand = MatrixOperand(base: try basePointer(x), dtype: x.dtype, rowStride: x.strides[0], colStride: x.strides[1])
        // weightᵀ [K, N]: element (p, j) is weight[j, p].
        let wOperand = MatrixOperand(base: try basePointer(weight), dtype: weight.dtype,
                                     rowStride: weight.strides[1], colStride: weight.strides[0])
        let destination = try outputPointer(out)
        guard rows > 0, n > 0 else { return }
        // The bias as one f32 row (any strides, any compute float).
        var biasRow: [Float] = []
        if let bias {
            biasRow = [Float](repeating: 0, count: n)
            let base = try basePointer(bias)
            biasRow.withUnsafeMutableBufferPointer {
                RowIO.read(base, bias.dtype, start: 0, count: n, stride: bias.strides[0], into: $0.baseAddress!)
            }
        }
        let rowsPerBlock = out.dtype == .f32 ? rows : max(1, min(rows, Self.scratchLimit / n))
        let scratch: UnsafeMutablePointer<Float>? = out.dtype == .f32 ? nil : .allocate(capacity: rowsPerBlock * n)
        defer { scratch?.deallocate() }
        for row0 in stride(from: 0, to: rows, by: rowsPerBlock) {
            let count = min(rowsPerBlock, rows - row0)
            let c = scratch ?? destination.assumingMemoryBound(to: Float.self) + row0 * n
            if bias != nil {
                let cc = UncheckedSendable(c)
                biasRow.withUnsafeBufferPointer { biasValues in
                    let source = UncheckedSendable(biasValues.baseAddress!)
                    Parallel.forEach(count, threads: threads, grain: max(1, 16384 / n)) { range in
                        for r in range { (cc.value + r * n).update(from: source.value, count: n) }
                    }
                }
            }
            Gemm.multiply(m: count, n: n, k: k, a: xOperand.advanced(by: row0 * x.strides[0]), b: wOperand,
                          c: c, ldc: n, accumulate: bias != nil, threads: threads, kernel: gemmKernel)
            if scratch != nil {
                encode(c, count: count * n, as: out.dtype, into: destination, at: row0 * n)
            }
        }
    }

    /// Largest f32 scratch (in floats, 16 MiB) for outputs that are not f32.
    static var scratchLimit: Int { 1 << 22 }

    /// Rounds `count` f32 values to `dtype` at element `offset` of `destination`, in parallel.
    private func encode(_ values: UnsafeMutablePointer<Float>, count: Int, as dtype: DType,
                        into destination: UnsafeMutableRawPointer, at offset: Int) {
        let width = dtype.byteWidth!
        let source = UncheckedSendable(values), target = UncheckedSendable(destination)
        Parallel.forEach(count, threads: threads, grain: 1 << 15) { range in
            ElementConversion.encode(dtype, from: source.value + range.lowerBound, count: range.count,
                                     into: target.value + (offset + range.lowerBound) * width)
        }
    }
}
