import BantamCore

/// copy (with casts) and fill. Source and destination must not overlap.
extension CUDABackend {
    public func copy(_ source: Tensor, into destination: Tensor) throws {
        guard source.shape == destination.shape else {
            throw TensorError.shapeMismatch(op: "copy", detail: "\(source.shape) into \(destination.shape)")
        }
        let src = try address(source)
        let dst = try address(destination)
        let count = source.count
        guard count > 0 else { return }
        let sameType = source.dtype == destination.dtype
        let contiguous = source.isContiguous && destination.isContiguous

        // Same dtype, both dense: a plain device-to-device copy (packed 4-bit storage included).
        if sameType && contiguous {
            let bytes = try source.dtype.byteCount(elements: count)
            try context.makeCurrent()
            try context.driver.check(context.driver.cuMemcpyDtoDAsync(dst, src, bytes, computeStream.handle), "cuMemcpyDtoDAsync")
            return
        }
        guard let srcCode = source.dtype.cudaCode, let dstCode = destination.dtype.cudaCode else {
            throw TensorError.unsupported(backend: name, op: "copy",
                                          detail: "strided or converting copies of packed \(source.dtype) to \(destination.dtype)")
        }
        // Dense float casts: the vectorized kernels, when both addresses allow 16-byte accesses.
        if contiguous && source.dtype.hasContiguousCastKernel && destination.dtype.hasContiguousCastKernel {
            let width = max(source.dtype.bytesPerBlock, destination.dtype.bytesPerBlock)
            let perStep = 16 / width
            if src % UInt64(perStep * source.dtype.bytesPerBlock) == 0 && dst % UInt64(perStep * destination.dtype.bytesPerBlock) == 0 {
                let kernel = try kernels.function("bantam_cast_\(source.dtype.rawValue)_\(destination.dtype.rawValue)", family: "copy")
                var args = KernelArguments()
                args.append(pointer: src)
                args.append(pointer: dst)
                args.append(UInt64(count))
                try kernel.launch(.linear(items: (count + perStep - 1) / perStep, maxBlocks: maxBlocks), args, on: computeStream)
                return
            }
        }
        // Everything else works on the merged axes.
        let layout = StridedLayout.collapse(shape: source.shape.dims, strides: [source.strides, destination.strides])
        guard layout.rank <= StridedLayout.maxRank else {
            throw TensorError.unsupported(backend: name, op: "copy",
                                          detail: "views with more than \(StridedLayout.maxRank) axes that cannot be merged (\(source.shape))")
        }
        // Same dtype with contiguous rows (a permute or slice that keeps the last axis, a concat): move
        // whole 16/8/4/2-byte units.
        if sameType, let (wide, unit) = layout.widened(elementBytes: source.dtype.bytesPerBlock, addresses: [src, dst]) {
            try launchStridedCopy(wide, src: src, dst: dst, srcCode: srcCode, dstCode: dstCode, srcWidth: unit, dstWidth: unit)
            return
        }
        // A transpose: tiles through shared memory keep reads and writes coalesced.
        if let rowAxis = layout.transposeRowAxis {
            try launchTranspose(layout, rowAxis: rowAxis, src: src, dst: dst, source: source.dtype, destination: destination.dtype)
            return
        }
        try launchStridedCopy(layout, src: src, dst: dst, srcCode: srcCode, dstCode: dstCode,
                              srcWidth: source.dtype.bytesPerBlock, dstWidth: destination.dtype.bytesPerBlock)
    }

    /// The generic kernel: one element (or unit) per step, any strides.
    private func launchStridedCopy(_ layout: StridedLayout, src: CUdeviceptr, dst: CUdeviceptr, srcCode: Int32, dstCode: Int32,
                                   srcWidth: Int, dstWidth: Int) throws {
        var desc = KernelStruct()
        desc.append(int64s: layout.sizes.map(Int64.init), count: StridedLayout.maxRank)
        desc.append(int64s: layout.strides[0].map(Int64.init), count: StridedLayout.maxRank)
        desc.append(int64s: layout.strides[1].map(Int64.init), count: StridedLayout.maxRank)
        desc.append(Int32(layout.rank))
        desc.append(srcCode)
        desc.append(dstCode)
        desc.append(Int32(srcWidth))
        desc.append(Int32(dstWidth))
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: dst)
        args.append(desc)
        let count = layout.count
        let small = layout.fitsInt32
        if small { args.append(UInt32(count)) } else { args.append(UInt64(count)) }
        let kernel = try kernels.function(small ? "bantam_copy_strided_i32" : "bantam_copy_strided_i64", family: "copy")
        try kernel.launch(.linear(items: count, maxBlocks: maxBlocks), args, on: computeStream)
    }

    /// The tiled transpose kernel (source contiguous along `rowAxis`, destination along the last axis).
    private func launchTranspose(_ layout: StridedLayout, rowAxis: Int, src: CUdeviceptr, dst: CUdeviceptr,
                                 source: DType, destination: DType) throws {
        var desc = KernelStruct()
        desc.append(int64s: layout.sizes.map(Int64.init), count: StridedLayout.maxRank)
        desc.append(int64s: layout.strides[0].map(Int64.init), count: StridedLayout.maxRank)
        desc.append(int64s: layout.strides[1].map(Int64.init), count: StridedLayout.maxRank)
        desc.append(Int32(layout.rank))
        desc.append(Int32(rowAxis))
        desc.append(source.cudaCode!)
        desc.append(destination.cudaCode!)
        desc.append(Int32(source.bytesPerBlock))
        desc.append(Int32(destination.bytesPerBlock))
        let last = layout.rank - 1
        let batches = layout.count / (layout.sizes[rowAxis] * layout.sizes[last])
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: dst)
        args.append(desc)
        args.append(UInt64(batches))
        let grid = (UInt32((layout.sizes[last] + 31) / 32), UInt32((layout.sizes[rowAxis] + 31) / 32), UInt32(min(batches, 65535)))
        let kernel = try kernels.function("bantam_copy_transpose", family: "copy")
        try kernel.launch(LaunchShape(grid: grid, block: (32, 8, 1)), args, on: computeStream)
    }

    public func fill(_ destination: Tensor, value: Float) throws {
        guard !destination.dtype.isPacked else {
            throw TensorError.unsupported(backend: name, op: "fill", detail: "packed \(destination.dtype) storage")
        }
        let dst = try address(destination)
        let count = destination.count
        guard count > 0 else { return }
        // The value encoded in the destination dtype exactly as the CPU backend writes it.
        let width = destination.dtype.bytesPerBlock
        var pattern: UInt64 = 0
        withUnsafeMutableBytes(of: &pattern) { raw in
            var v = value
            ElementConversion.encode(destination.dtype, from: &v, count: 1, into: raw.baseAddress!)
        }
        try context.makeCurrent()
        let driver = context.driver
        let stream = computeStream.handle
        if destination.isContiguous && width <= 4 {
            switch width {
            case 1: try driver.check(driver.cuMemsetD8Async(dst, UInt8(truncatingIfNeeded: pattern), count, stream), "cuMemsetD8Async")
            case 2: try driver.check(driver.cuMemsetD16Async(dst, UInt16(truncatingIfNeeded: pattern), count, stream), "cuMemsetD16Async")
            default: try driver.check(driver.cuMemsetD32Async(dst, UInt32(truncatingIfNeeded: pattern), count, stream), "cuMemsetD32Async")
            }
            return
        }
        var args = KernelArguments()
        args.append(pointer: dst)
        let kernel: CUDAFunction
        if destination.isContiguous {
            kernel = try kernels.function("bantam_fill_contiguous_u64", family: "fill")
        } else {
            let layout = StridedLayout.collapse(shape: destination.shape.dims, strides: [destination.strides])
            guard layout.rank <= StridedLayout.maxRank else {
                throw TensorError.unsupported(backend: name, op: "fill",
                                              detail: "views with more than \(StridedLayout.maxRank) axes that cannot be merged (\(destination.shape))")
            }
            var desc = KernelStruct()
            desc.append(int64s: layout.sizes.map(Int64.init), count: StridedLayout.maxRank)
            desc.append(int64s: layout.strides[0].map(Int64.init), count: StridedLayout.maxRank)
            desc.append(Int32(layout.rank))
            desc.append(Int32(width))
            args.append(desc)
            kernel = try kernels.function("bantam_fill_strided", family: "fill")
        }
        args.append(pattern)
        args.append(UInt64(count))
        try kernel.launch(.linear(items: count, maxBlocks: maxBlocks), args, on: computeStream)
    }
}
