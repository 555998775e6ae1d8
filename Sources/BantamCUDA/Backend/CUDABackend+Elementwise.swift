import BantamCore

/// unary, affine, binary and the fused gated residual (Kernels/cuda/elementwise.cu).
///
/// Paths: dense same-dtype operands with 16-byte aligned addresses take the vectorized kernels; a binary op
/// whose second (or first) operand is a row broadcast over the other's rows (a bias [D] over [rows, D], a
/// modulation [B, 1, D] over [B, L, D]) takes the row-broadcast kernel; everything else the strided kernel,
/// which reads and writes any float dtype per operand through the merged axes of the views.
extension CUDABackend {
    public func unary(_ op: UnaryOp, _ x: Tensor, into out: Tensor) throws {
        try launchUnary(op.rawValue, code: op.cudaCode, x, out, scale: 0, shift: 0)
    }

    public func affine(_ x: Tensor, scale: Float, shift: Float, into out: Tensor) throws {
        try launchUnary("affine", code: 13, x, out, scale: scale, shift: shift)
    }

    private func launchUnary(_ name: String, code: Int32, _ x: Tensor, _ out: Tensor, scale: Float, shift: Float) throws {
        guard x.shape == out.shape else {
            throw TensorError.shapeMismatch(op: name, detail: "\(x.shape) into \(out.shape)")
        }
        guard x.dtype.isComputeFloat, out.dtype.isComputeFloat else {
            throw TensorError.unsupported(backend: self.name, op: name, detail: "no CUDA kernel for \(x.dtype) -> \(out.dtype)")
        }
        let count = out.count
        guard count > 0 else { return }
        let src = try address(x), dst = try address(out)
        if x.dtype == out.dtype, x.isContiguous, out.isContiguous, src.isAligned(16), dst.isAligned(16) {
            let kernel = try kernels.function("bantam_unary_\(try floatSuffix(x.dtype, op: name))", family: "elementwise")
            var args = KernelArguments()
            args.append(pointer: src)
            args.append(pointer: dst)
            args.append(UInt64(count))
            args.append(code)
            args.append(scale)
            args.append(shift)
            let vectors = (count + x.dtype.elementsPer16Bytes - 1) / x.dtype.elementsPer16Bytes
            try kernel.launch(.linear(items: vectors, maxBlocks: maxBlocks), args, on: computeStream)
            return
        }
        let layout = StridedLayout.collapse(shape: out.shape.dims, strides: [x.strides, out.strides])
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: dst)
        args.append(try elementwiseDescriptor(layout, [x.dtype, out.dtype], op: name))
        let small = layout.fitsInt32
        if small { args.append(UInt32(count)) } else { args.append(UInt64(count)) }
        args.append(code)
        args.append(scale)
        args.append(shift)
        let kernel = try kernels.function(small ? "bantam_unary_strided_i32" : "bantam_unary_strided_i64", family: "elementwise")
        try kernel.launch(.linear(items: count, maxBlocks: maxBlocks), args, on: computeStream)
    }

    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) throws {
        guard a.shape == out.shape, b.shape == out.shape else {
            throw TensorError.shapeMismatch(op: op.rawValue, detail: "\(a.shape) and \(b.shape) into \(out.shape) (broadcast them first)")
        }
        guard a.dtype.isComputeFloat, b.dtype.isComputeFloat, out.dtype.isComputeFloat else {
            throw TensorError.unsupported(backend: name, op: op.rawValue, detail: "no CUDA kernel for \(a.dtype), \(b.dtype) -> \(out.dtype)")
        }
        let count = out.count
        guard count > 0 else { return }
        let pa = try address(a), pb = try address(b), po = try address(out)
        let layout = StridedLayout.collapse(shape: out.shape.dims, strides: [a.strides, b.strides, out.strides])
        let sameType = a.dtype == out.dtype && b.dtype == out.dtype
        if sameType, let suffix = out.dtype.floatKernelSuffix {
            let v = out.dtype.elementsPer16Bytes
            // Everything dense: the vectorized kernel.
            if layout.rank == 1, layout.strides.allSatisfy({ $0 == [1] }), [pa, pb, po].allSatisfy({ $0.isAligned(16) }) {
                let kernel = try kernels.function("bantam_binary_\(suffix)", family: "elementwise")
                var args = KernelArguments()
                args.append(pointer: pa)
                args.append(pointer: pb)
                args.append(pointer: po)
                args.append(UInt64(count))
                args.append(op.cudaCode)
                try kernel.launch(.linear(items: (count + v - 1) / v, maxBlocks: maxBlocks), args, on: computeStream)
                return
            }
            // One operand dense like out, the other a row repeated over rows (and batches).
            if let row = RowBroadcast(layout) {
                let (full, rowAddress) = row.rowOperand == 1 ? (pa, pb) : (pb, pa)
                let vectorized = row.d % v == 0 && row.batchStride % v == 0
                    && [full, rowAddress, po].allSatisfy { $0.isAligned(16) }
                let wide = count > Int(UInt32.max) || row.batchStride * max(1, count / row.batchSpan) > Int(UInt32.max)
                let kernel = try kernels.function(wide ? "bantam_binary_row64_\(suffix)" : "bantam_binary_row_\(suffix)", family: "elementwise")
                var args = KernelArguments()
                args.append(pointer: full)
                args.append(pointer: rowAddress)
                args.append(pointer: po)
                for value in [count, row.d, row.batchSpan, row.batchStride] {
                    if wide { args.append(UInt64(value)) } else { args.append(UInt32(value)) }
                }
                args.append(op.cudaCode)
                args.append(Int32(row.rowOperand == 0 ? 1 : 0))
                args.append(Int32(vectorized ? 1 : 0))
                let items = vectorized ? count / v : count
                try kernel.launch(.linear(items: items, maxBlocks: maxBlocks), args, on: computeStream)
                return
            }
        }
        var args = KernelArguments()
        args.append(pointer: pa)
        args.append(pointer: pb)
        args.append(pointer: po)
        args.append(try elementwiseDescriptor(layout, [a.dtype, b.dtype, out.dtype], op: op.rawValue))
        let small = layout.fitsInt32
        if small { args.append(UInt32(count)) } else { args.append(UInt64(count)) }
        args.append(op.cudaCode)
        let kernel = try kernels.function(small ? "bantam_binary_strided_i32" : "bantam_binary_strided_i64", family: "elementwise")
        try kernel.launch(.linear(items: count, maxBlocks: maxBlocks), args, on: computeStream)
    }

    /// out = x + gate·y in one pass (x, y, out [B, L, D] contiguous; gate [B, 1, D], stride 1 along D).
    public func gatedResidual(_ x: Tensor, gate: Tensor, _ y: Tensor, into out: Tensor) throws {
        guard x.rank == 3, y.shape == x.shape, out.shape == x.shape, gate.shape == [x.shape[0], 1, x.shape[2]] else {
            throw TensorError.shapeMismatch(op: "gatedResidual", detail: "x \(x.shape), gate \(gate.shape), y \(y.shape) into \(out.shape)")
        }
        guard gate.dtype == x.dtype, y.dtype == x.dtype, out.dtype == x.dtype else {
            throw TensorError.dtypeMismatch(op: "gatedResidual", detail: "x, gate, y and out must share one dtype; got \(x.dtype), \(gate.dtype), \(y.dtype), \(out.dtype)")
        }
        let suffix = try floatSuffix(x.dtype, op: "gatedResidual")
        let x = try x.contiguous(), y = try y.contiguous()
        let gate = gate.strides[2] == 1 ? gate : try gate.contiguous()
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2])
        let count = out.count
        guard count > 0 else { return }
        let v = x.dtype.elementsPer16Bytes
        let batchStride = b == 1 ? 0 : gate.strides[0]
        let (px, pg, py, po) = (try address(x), try address(gate), try address(y), try address(out))
        let vectorized = d % v == 0 && batchStride % v == 0 && [px, pg, py, po].allSatisfy { $0.isAligned(16) }
        let kernel = try kernels.function("bantam_gated_residual_\(suffix)", family: "elementwise")
        var args = KernelArguments()
        args.append(pointer: px)
        args.append(pointer: pg)
        args.append(pointer: py)
        args.append(pointer: po)
        args.append(UInt64(count))
        args.append(UInt64(d))
        args.append(UInt64(l * d))
        args.append(UInt64(batchStride))
        args.append(Int32(vectorized ? 1 : 0))
        try kernel.launch(.linear(items: vectorized ? count / v : count, maxBlocks: maxBlocks), args, on: computeStream)
    }

    /// BtEwDesc of elementwise.cu for up to three operands.
    private func elementwiseDescriptor(_ layout: StridedLayout, _ dtypes: [DType], op: String) throws -> KernelStruct {
        guard layout.rank <= StridedLayout.maxRank else {
            throw TensorError.unsupported(backend: name, op: op,
                                          detail: "views with more than \(StridedLayout.maxRank) axes that cannot be merged")
        }
        var desc = KernelStruct()
        desc.append(int64s: layout.sizes.map(Int64.init), count: StridedLayout.maxRank)
        for o in 0..<3 {
            let strides = o < layout.strides.count ? layout.strides[o] : []
            desc.append(int64s: strides.map(Int64.init), count: StridedLayout.maxRank)
        }
        desc.append(Int32(layout.rank))
        for o in 0..<3 { desc.append(o < dtypes.count ? dtypes[o].cudaCode! : 0) }
        for o in 0..<3 { desc.append(Int32(o < dtypes.count ? dtypes[o].bytesPerBlock : 0)) }
        return desc
    }
}

/// A binary op's layout (operands a, b, out) in which out and one operand are dense and the other reads a
/// row of `d` elements (stride 1) repeated over `batchSpan / d` rows, moving by `batchStride` per batch.
struct RowBroadcast: Equatable {
    /// 0 when `a` is the row operand, 1 when `b` is.
    let rowOperand: Int
    let d: Int
    let batchSpan: Int
    let batchStride: Int

    init?(_ layout: StridedLayout) {
        let sizes = layout.sizes, s = layout.strides
        guard s.count == 3 else { return nil }
        let dense: [Int]
        switch sizes.count {
        case 2: dense = [sizes[1], 1]
        case 3: dense = [sizes[1] * sizes[2], sizes[2], 1]
        default: return nil
        }
        guard s[2] == dense else { return nil }
        let candidates = [0, 1].filter { s[1 - $0] == dense }
        for r in candidates {
            let row = s[r]
            if sizes.count == 2, row == [0, 1] {
                self.init(rowOperand: r, d: sizes[1], batchSpan: sizes[0] * sizes[1], batchStride: 0)
                return
            }
            if sizes.count == 3, row[1] == 0, row[2] == 1, row[0] >= 0 {
                self.init(rowOperand: r, d: sizes[2], batchSpan: sizes[1] * sizes[2], batchStride: row[0])
                return
            }
        }
        return nil
    }

    init(rowOperand: Int, d: Int, batchSpan: Int, batchStride: Int) {
        self.rowOperand = rowOperand
        self.d = d
        self.batchSpan = batchSpan
        self.batchStride = batchStride
    }
}
