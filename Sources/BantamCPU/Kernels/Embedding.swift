import BantamCore

/// Token embedding: out[i..., :] = table[ids[i...], :], for i32 or i64 ids of any shape.
///
/// Every id is checked before anything is written, so a bad id leaves `out` untouched and throws one
/// message naming the id, its position and the vocabulary size. Rows are copied byte for byte when the
/// table and output dtypes agree (bit-exact, like torch's index_select), otherwise decoded to f32 and
/// encoded once.
extension CPUBackend {
    public func embedding(ids: Tensor, table: Tensor, into out: Tensor) throws {
        guard ids.dtype == .i32 || ids.dtype == .i64 else {
            throw TensorError.dtypeMismatch(op: "embedding", detail: "ids are \(ids.dtype); expected i32 or i64")
        }
        try require(.embedding, table.dtype)
        guard table.rank == 2 else {
            throw TensorError.shapeMismatch(op: "embedding", detail: "table has shape \(table.shape); expected [vocab, dim]")
        }
        let vocab = table.shape[0], dim = table.shape[1]
        try requireOutput("embedding", out, shape: Shape(ids.shape.dims + [dim]))
        try requireContiguousOutput("embedding", out)
        guard !out.dtype.isPacked else {
            throw TensorError.unsupported(backend: name, op: "embedding", detail: "a packed \(out.dtype) output")
        }
        let ids = try ids.contiguous()
        let count = ids.count
        let idBase = UnsafeRawPointer(try basePointer(ids))
        let wide = ids.dtype == .i64
        let tokens = [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                buffer[i] = wide ? Int(idBase.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                                 : Int(idBase.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
            }
            initialized = count
        }
        if let bad = tokens.firstIndex(where: { $0 < 0 || $0 >= vocab }) {
            throw TensorError.invalidArgument(
                "embedding: id \(tokens[bad]) at position \(bad) is outside the vocabulary 0..<\(vocab); check the tokenizer matches the model")
        }
        guard count > 0, dim > 0 else { return }

        let tableBase = UncheckedSendable(UnsafeRawPointer(try basePointer(table)))
        let dst = UncheckedSendable(try outputPointer(out))
        let rowStride = table.strides[0], colStride = table.strides[1]
        let bytesOnly = table.dtype == out.dtype && colStride == 1
        let width = out.dtype.byteWidth!
        let tableWidth = table.dtype.byteWidth!
        tokens.withUnsafeBufferPointer { tokenBuffer in
            let list = UncheckedSendable(tokenBuffer)
            Parallel.forEach(count, threads: threads, grain: max(1, 16384 / dim)) { range in
                let scratch = ScratchRows(rows: 1, length: bytesOnly ? 1 : dim)
                defer { scratch.free() }
                for i in range {
                    let source = list.value[i] * rowStride
                    if bytesOnly {
                        (dst.value + i * dim * width).copyMemory(from: tableBase.value + source * tableWidth,
                                                                 byteCount: dim * width)
                    } else {
                        RowIO.read(tableBase.value, table.dtype, start: source, count: dim, stride: colStride,
                                   into: scratch.row(0))
                        RowIO.write(dst.value, out.dtype, start: i * dim, count: dim, stride: 1, from: scratch.row(0))
                    }
                }
            }
        }
    }
}
