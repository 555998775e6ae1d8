import BantamCore

/// Softmax over the last axis (Kernels/cuda/softmax.cu): a team of threads per row keeps the row in
/// registers (as the row norms do); rows longer than one 1024-thread team holds re-read global memory.
extension CUDABackend {
    public func softmax(_ x: Tensor, into out: Tensor) throws {
        guard x.rank >= 1, x.shape == out.shape, out.isContiguous, out.dtype == x.dtype else {
            throw TensorError.shapeMismatch(op: "softmax", detail: "\(x.dtype) \(x.shape) into \(out.dtype) \(out.shape)")
        }
        let suffix = try floatSuffix(x.dtype, op: "softmax")
        let x = try x.contiguous()
        let d = x.shape[x.rank - 1]
        guard x.count > 0, d > 0 else { return }
        let rows = x.count / d
        guard rows <= Int(Int32.max) else {
            throw TensorError.unsupported(backend: name, op: "softmax", detail: "more than 2³¹ rows")
        }
        let (src, dst) = (try address(x), try address(out))
        let v = x.dtype.elementsPer16Bytes
        let vectorized = d % v == 0 && src.isAligned(16) && dst.isAligned(16)
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: dst)
        if let team = RowTeam(vectors: d / (vectorized ? v : 1), perThread: Self.rowVectorsPerThread) {
            args.append(Int32(rows))
            args.append(Int32(d))
            args.append(Int32(team.team))
            try kernels.function("bantam_softmax_\(vectorized ? "v" : "s")_\(suffix)", family: "softmax")
                .launch(team.launch(rows: rows), args, on: computeStream)
        } else {
            args.append(Int32(d))
            try kernels.function("bantam_softmax_big_\(suffix)", family: "softmax")
                .launch(LaunchShape(grid: (UInt32(rows), 1, 1), block: (1024, 1, 1)), args, on: computeStream)
        }
    }
}
