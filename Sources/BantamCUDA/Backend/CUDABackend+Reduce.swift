import BantamCore

/// sum, mean and max over one axis (Kernels/cuda/reduce.cu). x is viewed as [outer, R, inner]: rows
/// (inner = 1) take a warp each (R up to 4096) or a block; columns (inner > 1) take 32-column tiles with the
/// axis split in 8 interleaved parts, and over several blocks (then combined by a second kernel) when there
/// are few tiles. Accumulation in f32 with Kahan compensation per thread.
extension CUDABackend {
    public func reduce(_ op: ReduceOp, _ x: Tensor, axis: Int, into out: Tensor) throws {
        guard axis >= 0 && axis < x.rank else {
            throw TensorError.invalidArgument("\(op.rawValue): axis \(axis) is out of range for a tensor of shape \(x.shape)")
        }
        var outShape = x.shape
        outShape[axis] = 1
        guard out.shape == outShape, out.isContiguous, out.dtype.isComputeFloat else {
            throw TensorError.shapeMismatch(op: op.rawValue, detail: "\(x.shape) reduced over axis \(axis) into \(out.dtype) \(out.shape)")
        }
        let suffix = try floatSuffix(x.dtype, op: op.rawValue)
        let length = x.shape[axis]
        if length == 0 && op == .max && out.count > 0 {
            throw TensorError.invalidArgument("amax: axis \(axis) of \(x.shape) is empty, so it has no maximum")
        }
        guard out.count > 0 else { return }
        if length == 0 {
            try fill(out, value: op == .sum ? 0 : .nan)        // sum of nothing is 0; mean is 0/0
            return
        }
        let x = try x.contiguous()
        let outer = x.shape.dims[..<axis].reduce(1, *)
        let inner = x.shape.dims[(axis + 1)...].reduce(1, *)
        let code: Int32 = op == .sum ? 0 : op == .mean ? 1 : 2
        let src = try address(x)
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: try address(out))
        args.append(out.dtype.cudaCode!)
        if inner == 1 {
            let v = x.dtype.elementsPer16Bytes
            let vectorized = length % v == 0 && src.isAligned(16)
            let team = length <= 4096 ? 32 : 256
            args.append(UInt64(outer))
            args.append(UInt64(length))
            args.append(Int32(team))
            args.append(code)
            let rowsPerBlock = team <= 32 ? 256 / team : 1
            let kernel = try kernels.function("bantam_reduce_rows_\(vectorized ? "v" : "s")_\(suffix)", family: "reduce")
            try kernel.launch(LaunchShape(grid: (UInt32((outer + rowsPerBlock - 1) / rowsPerBlock), 1, 1),
                                          block: (UInt32(team <= 32 ? 256 : team), 1, 1)), args, on: computeStream)
        } else {
            // Few column tiles: split the axis over grid.z (at least 64 rows per split) for about 1024 blocks.
            let tiles = (inner + 31) / 32 * min(outer, 65535)
            let splits = max(1, min(1024 / max(tiles, 1), length / 64, 64))
            let chunk = (length + splits - 1) / splits
            let partials = splits > 1 ? try empty([splits * outer * inner], dtype: .f32) : nil
            args.append(pointer: try address(orNull: partials))
            args.append(UInt64(outer))
            args.append(UInt64(length))
            args.append(UInt64(inner))
            args.append(UInt64(chunk))
            args.append(code)
            let kernel = try kernels.function("bantam_reduce_columns_\(suffix)", family: "reduce")
            try kernel.launch(LaunchShape(grid: (UInt32((inner + 31) / 32), UInt32(min(outer, 65535)), UInt32(splits)), block: (32, 8, 1)),
                              args, on: computeStream)
            if let partials {
                var finish = KernelArguments()
                finish.append(pointer: try address(partials))
                finish.append(pointer: try address(out))
                finish.append(out.dtype.cudaCode!)
                finish.append(UInt64(outer * inner))
                finish.append(UInt64(length))
                finish.append(Int32(splits))
                finish.append(code)
                try kernels.function("bantam_reduce_finish", family: "reduce")
                    .launch(.linear(items: outer * inner, maxBlocks: maxBlocks), finish, on: computeStream)
            }
        }
    }
}
