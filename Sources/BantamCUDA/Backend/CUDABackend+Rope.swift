import BantamCore

/// rope and the fused QK norm + rope (Kernels/cuda/rope.cu).
///
/// The row kernel gives each thread two vectors of W features of a row, vector `lane` and vector
/// `lane + D/(2W)`, so both styles rotate within registers; it needs D/(2W) threads per row (a power of two
/// up to 32, or a multiple of 32 up to 1024) and aligned rows. W is 16 bytes of x when D allows (`_v`),
/// else 2 (`_s`). Head sizes that fit neither use the pair kernel (rope) or the unfused composition
/// (qkNormRope).
extension CUDABackend {
    public func rope(_ x: Tensor, cos: Tensor, sin: Tensor, style: RopeStyle, into out: Tensor) throws {
        try checkRope("rope", x, cos, sin, out)
        let x = x.strides[3] == 1 ? x : try x.contiguous()
        if try launchRopeRows(x, cos: cos, sin: sin, weight: nil, eps: 0, style: style, out: out) { return }
        // Any head size: one pair per step.
        let (b, h, l, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        guard x.count > 0 else { return }
        var args = KernelArguments()
        args.append(pointer: try address(x))
        args.append(pointer: try address(cos))
        args.append(pointer: try address(sin))
        args.append(pointer: try address(out))
        args.append(try ropeDescriptor(x, cos: cos, weight: nil, eps: 0, style: style, team: 0, tableVectors: false))
        args.append(x.dtype.cudaCode!)
        args.append(out.dtype.cudaCode!)
        let pairs = b * h * l * d / 2
        args.append(UInt64(pairs))
        try kernels.function("bantam_rope_pairs", family: "rope").launch(.linear(items: pairs, maxBlocks: maxBlocks), args, on: computeStream)
    }

    public func qkNormRope(_ x: Tensor, weight: Tensor, cos: Tensor, sin: Tensor, eps: Float, style: RopeStyle,
                           into out: Tensor) throws {
        try checkRope("qkNormRope", x, cos, sin, out)
        guard weight.shape == [x.shape[3]], weight.dtype.isComputeFloat else {
            throw TensorError.shapeMismatch(op: "qkNormRope", detail: "weight \(weight.dtype) \(weight.shape); expected [\(x.shape[3])] f32, f16 or bf16")
        }
        let weight = try weight.contiguous()
        if try launchRopeRows(x, cos: cos, sin: sin, weight: weight, eps: eps, style: style, out: out) { return }
        // Head sizes the row kernel cannot take: the composition (what the default implementation runs).
        let normalized = try empty(x.shape, dtype: x.dtype)
        try rmsNorm(try x.contiguous(), weight: weight, eps: eps, into: normalized)
        try rope(normalized, cos: cos, sin: sin, style: style, into: out)
    }

    private func checkRope(_ op: String, _ x: Tensor, _ cos: Tensor, _ sin: Tensor, _ out: Tensor) throws {
        guard x.rank == 4, x.shape[3] % 2 == 0, out.shape == x.shape, out.isContiguous,
              cos.shape == [x.shape[2], x.shape[3] / 2], sin.shape == cos.shape else {
            throw TensorError.shapeMismatch(op: op, detail: "x \(x.shape), cos \(cos.shape), sin \(sin.shape) into \(out.shape)")
        }
        guard x.dtype.isComputeFloat, out.dtype.isComputeFloat, cos.dtype.isComputeFloat, sin.dtype == cos.dtype else {
            throw TensorError.unsupported(backend: name, op: op, detail: "x \(x.dtype), tables \(cos.dtype)/\(sin.dtype) -> \(out.dtype)")
        }
        guard cos.isContiguous, sin.isContiguous else {
            throw TensorError.invalidArgument("\(op): cos and sin must be contiguous; call .contiguous() first")
        }
    }

    /// Launches the row kernel when the head size and alignment allow; false otherwise.
    private func launchRopeRows(_ x: Tensor, cos: Tensor, sin: Tensor, weight: Tensor?, eps: Float, style: RopeStyle,
                                out: Tensor) throws -> Bool {
        guard x.dtype == out.dtype, let suffix = x.dtype.floatKernelSuffix, x.strides[3] == 1 || x.shape[3] == 1 else { return false }
        let (b, h, l, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let rows = b * h * l
        guard x.count > 0 else { return true }
        guard rows <= Int(Int32.max) else { return false }
        let (src, dst) = (try address(x), try address(out))
        let width = x.dtype.bytesPerBlock
        // The widest vector whose rows, strides and addresses line up.
        let rowStrides = [x.strides[0], x.strides[1], x.strides[2]]
        func fits(_ w: Int) -> Bool {
            d % (2 * w) == 0 && rowStrides.allSatisfy { $0 % w == 0 } && src.isAligned(w * width) && dst.isAligned(w * width)
        }
        let v = x.dtype.elementsPer16Bytes
        let w: Int
        if fits(v) { w = v } else if fits(2) { w = 2 } else { return false }
        let threads = d / (2 * w)
        guard threads <= 32 ? (threads & (threads - 1)) == 0 : (threads % 32 == 0 && threads <= 1024) else { return false }
        let team = threads
        // f32 tables read as vectors when each thread's run of entries is aligned.
        let entries = style == .halves ? w : w / 2
        let (cosAddress, sinAddress) = (try address(cos), try address(sin))
        let tableVectors = cos.dtype == .f32 && (d / 2) % entries == 0
            && cosAddress.isAligned(entries * 4) && sinAddress.isAligned(entries * 4)
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: cosAddress)
        args.append(pointer: sinAddress)
        if let weight { args.append(pointer: try address(weight)) }
        args.append(pointer: dst)
        args.append(try ropeDescriptor(x, cos: cos, weight: weight, eps: eps, style: style, team: team, tableVectors: tableVectors))
        let name = weight == nil ? "bantam_rope_rows" : "bantam_qk_norm_rope"
        let kernel = try kernels.function("\(name)_\(w == v ? "v" : "s")_\(suffix)", family: "rope")
        let shape: LaunchShape
        if team <= 32 {
            let perBlock = 256 / team
            shape = LaunchShape(grid: (UInt32((rows + perBlock - 1) / perBlock), 1, 1), block: (256, 1, 1))
        } else {
            shape = LaunchShape(grid: (UInt32(rows), 1, 1), block: (UInt32(team), 1, 1))
        }
        try kernel.launch(shape, args, on: computeStream)
        return true
    }

    /// BtRopeDesc of rope.cu.
    private func ropeDescriptor(_ x: Tensor, cos: Tensor, weight: Tensor?, eps: Float, style: RopeStyle, team: Int,
                                tableVectors: Bool) throws -> KernelStruct {
        var desc = KernelStruct()
        desc.append(Int64(x.strides[0]))
        desc.append(Int64(x.strides[1]))
        desc.append(Int64(x.strides[2]))
        desc.append(Int32(x.shape[1]))
        desc.append(Int32(x.shape[2]))
        desc.append(Int32(x.shape[3]))
        desc.append(Int32(x.shape[0] * x.shape[1] * x.shape[2]))
        desc.append(Int32(team))
        desc.append(Int32(style == .halves ? 1 : 0))
        desc.append(cos.dtype.cudaCode!)
        desc.append(Int32(tableVectors ? 1 : 0))
        desc.append(weight?.dtype.cudaCode ?? 1)
        desc.append(eps)
        return desc
    }
}
