import BantamCore

/// Token embedding (Kernels/cuda/embedding.cu): a block per id copies its table row, byte for byte in
/// 16/8/4/2-byte units when the dtypes agree, else converting each element.
///
/// Bad ids: the kernel records the first position whose id is outside the vocabulary; the host then reads
/// that flag back (8 bytes, which waits for the kernel: one synchronization per call, acceptable for an op
/// that runs once per prompt) and throws the CPU backend's message naming the id and its position.
extension CUDABackend {
    public func embedding(ids: Tensor, table: Tensor, into out: Tensor) throws {
        guard ids.dtype == .i32 || ids.dtype == .i64 else {
            throw TensorError.dtypeMismatch(op: "embedding", detail: "ids are \(ids.dtype); expected i32 or i64")
        }
        guard table.rank == 2 else {
            throw TensorError.shapeMismatch(op: "embedding", detail: "table has shape \(table.shape); expected [vocab, dim]")
        }
        let vocab = table.shape[0], dim = table.shape[1]
        guard out.shape == Shape(ids.shape.dims + [dim]), out.isContiguous else {
            throw TensorError.shapeMismatch(op: "embedding", detail: "out has shape \(out.shape); expected \(ids.shape.dims + [dim])")
        }
        guard table.dtype.cudaCode != nil, out.dtype.cudaCode != nil else {
            throw TensorError.unsupported(backend: name, op: "embedding", detail: "packed \(table.dtype) or \(out.dtype)")
        }
        let ids = try ids.contiguous()
        let count = ids.count
        guard count > 0 else { return }
        // Position of the first bad id; all ones means none.
        let bad = try empty([1], dtype: .i64)
        try fill(bad, value: -1)
        let grid = LaunchShape(grid: (UInt32(min(count, maxBlocks * 4)), 1, 1), block: (128, 1, 1))
        var args = KernelArguments()
        args.append(pointer: try address(ids))
        args.append(Int32(ids.dtype == .i64 ? 1 : 0))
        if dim > 0 && table.dtype == out.dtype && table.strides[1] == 1 {
            let width = table.dtype.bytesPerBlock
            let rowBytes = dim * width
            let (src, dst) = (try address(table), try address(out))
            let unit = [16, 8, 4, 2, 1].first {
                rowBytes % $0 == 0 && (table.strides[0] * width) % $0 == 0 && src.isAligned($0) && dst.isAligned($0)
            }!
            args.append(pointer: src)
            args.append(UInt64(table.strides[0] * width / unit))
            args.append(pointer: dst)
            args.append(UInt64(count))
            args.append(Int64(vocab))
            args.append(UInt64(rowBytes / unit))
            args.append(Int32(unit))
            args.append(pointer: try address(bad))
            try kernels.function("bantam_embedding_bytes", family: "embedding").launch(grid, args, on: computeStream)
        } else {
            args.append(pointer: try address(table))
            args.append(table.dtype.cudaCode!)
            args.append(Int32(table.dtype.bytesPerBlock))
            args.append(Int64(table.strides[0]))
            args.append(Int64(table.strides[1]))
            args.append(pointer: try address(out))
            args.append(out.dtype.cudaCode!)
            args.append(Int32(out.dtype.bytesPerBlock))
            args.append(UInt64(count))
            args.append(Int64(vocab))
            args.append(UInt64(dim))
            args.append(pointer: try address(bad))
            try kernels.function("bantam_embedding_convert", family: "embedding").launch(grid, args, on: computeStream)
        }
        let position = try bad.ints()[0]
        if position >= 0 && position < count {
            let id = try ids.reshape([count]).slice(axis: 0, position..<(position + 1)).contiguous().ints()[0]
            throw TensorError.invalidArgument(
                "embedding: id \(id) at position \(position) is outside the vocabulary 0..<\(vocab); check the tokenizer matches the model")
        }
    }
}
