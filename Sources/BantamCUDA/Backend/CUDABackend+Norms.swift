import BantamCore

/// layerNorm, rmsNorm, the fused modulated LayerNorm and groupNorm (Kernels/cuda/norms.cu).
///
/// Row norms keep each row in registers: a team of threads per row (RowTeam), 16-byte vectors when the row
/// length and addresses allow (`_v`), single elements otherwise (`_s`), and the `_big` kernels for rows too
/// long for one 1024-thread team. Tolerance against the CPU: a few f32 ulp (tree vs pairwise sums), i.e. at
/// most one ulp of a 16-bit output.
extension CUDABackend {
    /// Vectors each thread of a row team holds (BT_NORM_VPT in norms.cu, BT_SOFTMAX_VPT in softmax.cu).
    static let rowVectorsPerThread = 4

    public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {
        let params = NormParameters(weight: try parameterVector(weight, op: "layerNorm"), bias: try parameterVector(bias, op: "layerNorm"))
        try launchRowNorm("layer_norm", op: "layerNorm", x, out, eps: eps, params: params)
    }

    public func rmsNorm(_ x: Tensor, weight: Tensor?, eps: Float, into out: Tensor) throws {
        let params = NormParameters(weight: try parameterVector(weight, op: "rmsNorm"))
        try launchRowNorm("rms_norm", op: "rmsNorm", x, out, eps: eps, params: params)
    }

    /// (1 + scale)·LayerNorm(x) + shift in one pass over x (norms.cu, MODULATED), with the composition's
    /// rounding points.
    public func modulatedLayerNorm(_ x: Tensor, shift: Tensor, scale: Tensor, eps: Float, into out: Tensor) throws {
        guard x.rank == 3, shift.shape == [x.shape[0], 1, x.shape[2]], scale.shape == shift.shape else {
            throw TensorError.shapeMismatch(op: "modulatedLayerNorm", detail: "x \(x.shape), shift \(shift.shape), scale \(scale.shape)")
        }
        guard shift.dtype == x.dtype, scale.dtype == x.dtype else {
            throw TensorError.dtypeMismatch(op: "modulatedLayerNorm", detail: "x, shift and scale must share one dtype; got \(x.dtype), \(shift.dtype), \(scale.dtype)")
        }
        // shift and scale need stride 1 along D and one batch stride between them.
        var shift = shift.strides[2] == 1 ? shift : try shift.contiguous()
        var scale = scale.strides[2] == 1 ? scale : try scale.contiguous()
        if x.shape[0] > 1 && shift.strides[0] != scale.strides[0] {
            shift = try shift.contiguous()
            scale = try scale.contiguous()
        }
        let params = NormParameters(shift: shift, scale: scale, modStride: x.shape[0] == 1 ? 0 : shift.strides[0],
                                    rowsPerBatch: x.shape[1])
        try launchRowNorm("modulated_layer_norm", op: "modulatedLayerNorm", x, out, eps: eps, params: params)
    }

    /// Optional tensors of a row norm, and their layout for BtNormParams.
    struct NormParameters {
        var weight: Tensor? = nil
        var bias: Tensor? = nil
        var shift: Tensor? = nil
        var scale: Tensor? = nil
        var modStride = 0
        var rowsPerBatch = 1

        var tensors: [Tensor] { [weight, bias, shift, scale].compactMap { $0 } }
    }

    private func launchRowNorm(_ kernelName: String, op: String, _ x: Tensor, _ out: Tensor, eps: Float,
                               params: NormParameters) throws {
        guard x.rank >= 1, x.shape == out.shape, out.isContiguous, out.dtype == x.dtype else {
            throw TensorError.shapeMismatch(op: op, detail: "\(x.dtype) \(x.shape) into \(out.dtype) \(out.shape) (contiguous, same dtype)")
        }
        let suffix = try floatSuffix(x.dtype, op: op)
        let x = try x.contiguous()
        let d = x.shape[x.rank - 1]
        guard x.count > 0, d > 0 else { return }
        let rows = x.count / d
        guard rows <= Int(Int32.max), d <= Int(Int32.max) else {
            throw TensorError.unsupported(backend: name, op: op, detail: "more than 2³¹ rows or columns")
        }
        var desc = KernelStruct()
        desc.append(pointer: try address(orNull: params.weight))
        desc.append(pointer: try address(orNull: params.bias))
        desc.append(pointer: try address(orNull: params.shift))
        desc.append(pointer: try address(orNull: params.scale))
        desc.append(Int64(params.modStride))
        desc.append(params.weight?.dtype.cudaCode ?? 1)
        desc.append(params.bias?.dtype.cudaCode ?? 1)
        desc.append(params.shift?.dtype.cudaCode ?? 1)
        desc.append(Int32(params.rowsPerBatch))

        let (src, dst) = (try address(x), try address(out))
        let v = x.dtype.elementsPer16Bytes
        let parametersAligned = try params.tensors.allSatisfy { try address($0).isAligned(16) }
        let vectorized = d % v == 0 && src.isAligned(16) && dst.isAligned(16) && params.modStride % v == 0 && parametersAligned
        let width = vectorized ? v : 1
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: dst)
        if let team = RowTeam(vectors: d / width, perThread: Self.rowVectorsPerThread) {
            args.append(Int32(rows))
            args.append(Int32(d))
            args.append(Int32(team.team))
            args.append(eps)
            args.append(desc)
            let kernel = try kernels.function("bantam_\(kernelName)_\(vectorized ? "v" : "s")_\(suffix)", family: "norms")
            try kernel.launch(team.launch(rows: rows), args, on: computeStream)
        } else {
            args.append(Int32(d))
            args.append(eps)
            args.append(desc)
            let kernel = try kernels.function("bantam_\(kernelName)_big_\(suffix)", family: "norms")
            try kernel.launch(LaunchShape(grid: (UInt32(rows), 1, 1), block: (1024, 1, 1)), args, on: computeStream)
        }
    }

    /// Elements of a group each block of the statistics kernel takes.
    static let groupNormChunk = 8192

    public func groupNorm(_ x: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, eps: Float, into out: Tensor) throws {
        guard x.rank >= 2, x.shape == out.shape, out.isContiguous, out.dtype == x.dtype else {
            throw TensorError.shapeMismatch(op: "groupNorm", detail: "\(x.dtype) \(x.shape) into \(out.dtype) \(out.shape)")
        }
        let (n, c) = (x.shape[0], x.shape[1])
        guard groups > 0, c % groups == 0 else {
            throw TensorError.invalidArgument("groupNorm: \(c) channels do not divide into \(groups) groups")
        }
        let suffix = try floatSuffix(x.dtype, op: "groupNorm")
        let weight = try parameterVector(weight, op: "groupNorm"), bias = try parameterVector(bias, op: "groupNorm")
        let x = try x.contiguous()
        guard x.count > 0 else { return }
        let s = x.count / (n * c)
        let perGroup = c / groups
        let groupSize = perGroup * s
        let totalGroups = n * groups
        guard totalGroups <= 65535 else {
            throw TensorError.unsupported(backend: name, op: "groupNorm", detail: "more than 65535 (sample, group) pairs")
        }
        let (src, dst) = (try address(x), try address(out))
        let v = x.dtype.elementsPer16Bytes

        // 1. Per-chunk statistics.
        let statsVectorized = groupSize % v == 0 && src.isAligned(16)
        let chunk = Self.groupNormChunk
        let chunks = (groupSize + chunk - 1) / chunk
        let partials = try empty([totalGroups * chunks * 3], dtype: .f64)
        var args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: try address(partials))
        args.append(UInt64(groupSize))
        args.append(UInt64(chunk))
        try kernels.function("bantam_group_norm_stats_\(statsVectorized ? "v" : "s")_\(suffix)", family: "norms")
            .launch(LaunchShape(grid: (UInt32(chunks), UInt32(totalGroups), 1), block: (256, 1, 1)), args, on: computeStream)

        // 2. Per-group mean (two f32 parts) and rstd.
        let stats = try empty([totalGroups * 3], dtype: .f32)
        args = KernelArguments()
        args.append(pointer: try address(partials))
        args.append(pointer: try address(stats))
        args.append(Int32(totalGroups))
        args.append(Int32(chunks))
        args.append(eps)
        try kernels.function("bantam_group_norm_finalize", family: "norms")
            .launch(LaunchShape(grid: (UInt32((totalGroups + 127) / 128), 1, 1), block: (128, 1, 1)), args, on: computeStream)

        // 3. Normalize and apply the per-channel affine map.
        let applyVectorized = s % v == 0 && src.isAligned(16) && dst.isAligned(16)
        args = KernelArguments()
        args.append(pointer: src)
        args.append(pointer: dst)
        args.append(pointer: try address(stats))
        for value in [n * c, s, c, perGroup] { args.append(UInt64(value)) }
        args.append(pointer: try address(orNull: weight))
        args.append(weight?.dtype.cudaCode ?? 1)
        args.append(pointer: try address(orNull: bias))
        args.append(bias?.dtype.cudaCode ?? 1)
        args.append(Int32(applyVectorized ? 1 : 0))
        let perRow = applyVectorized ? s / v : s
        let apply = LaunchShape(grid: (UInt32(max(1, min((perRow + 255) / 256, 64))), UInt32(min(n * c, 65535)), 1), block: (256, 1, 1))
        try kernels.function("bantam_group_norm_apply_\(suffix)", family: "norms").launch(apply, args, on: computeStream)
    }
}
