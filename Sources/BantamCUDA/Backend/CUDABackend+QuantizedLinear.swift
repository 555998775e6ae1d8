import BantamCore

/// Linears with quantized weights (the shapes of the `quant` branch's `Backend.linearFP8` / `linearNF4`; once
/// that lands in main these methods are the CUDA backend's implementations of those requirements).
///
/// FP8 (weight e4m3fn [N, K] with per-output-row f32 scales):
/// - W8A8 on FP8 tensor cores (sm_89+): activations are quantized per row (token) to e4m3 with scale
///   absmax/448 — or with the static `inputScale` when given — by one small kernel, then cuBLASLt multiplies
///   e4m3 × e4m3 with f32 accumulation and applies both scale vectors (outer-vector scaling, cuBLASLt 12.9+)
///   and the bias in its epilogue, writing x's dtype. Older cuBLASLt: the GEMM writes f32 and Bantam's
///   epilogue kernel applies scales and bias.
/// - Weight-only (sm_80/86, e5m2 weights, layouts FP8 GEMMs reject, or `gemmSettings.fp8Path = .weightOnly`):
///   the weight is dequantized (f32(w)·scale, rounded once to x's dtype) into a scratch buffer, then the
///   16-bit GEMM runs.
/// NF4 (bitsandbytes): dequantized into a scratch buffer, then the 16-bit GEMM (a fused kernel can replace
/// `dequantizeNF4` later).
extension CUDABackend {
    /// x [R, K] · (float(weight)·rowScales)ᵀ + bias -> a new [R, N] tensor in x's dtype (see the extension's
    /// notes for the paths). x may have any strides; weight must be contiguous.
    public func linearFP8(x: Tensor, weight8: Tensor, rowScales: Tensor, bias: Tensor?, inputScale: Float?) throws -> Tensor {
        let out = try empty([x.shape.dims.first ?? 0, weight8.shape.dims.first ?? 0], dtype: x.dtype)
        try linearFP8(x, weight: weight8, rowScales: rowScales, bias: bias, inputScale: inputScale, into: out)
        return out
    }

    /// The Backend-shaped entry: writes into `out` [R, N] (contiguous, x's dtype).
    public func linearFP8(_ x: Tensor, weight: Tensor, rowScales: Tensor, bias: Tensor?, inputScale: Float?,
                          into out: Tensor) throws {
        let n = weight.shape.dims.first ?? 0, k = weight.shape.dims.last ?? 0
        try checkLinearShapes(x, rows: x.shape.dims.first ?? 0, n: n, k: k, weightRank: weight.rank, bias: bias, out: out)
        guard weight.dtype.isFloat8, weight.isContiguous else {
            throw TensorError.dtypeMismatch(op: "linearFP8", detail: "weight is \(weight.dtype) \(weight.shape); expected contiguous f8e4m3fn or f8e5m2 [out, in]")
        }
        guard rowScales.dtype == .f32, rowScales.shape.dims == [n] else {
            throw TensorError.shapeMismatch(op: "linearFP8", detail: "rowScales are \(rowScales.dtype) \(rowScales.shape); expected f32 [\(n)]")
        }
        if let inputScale, !(inputScale.isFinite && inputScale > 0) {
            throw TensorError.invalidArgument("linearFP8: inputScale is \(inputScale); expected a finite value above 0 (or none)")
        }
        let scales = try rowScales.contiguous()
        if try fp8Path(for: weight) == .w8a8, try linearW8A8(x, weight: weight, rowScales: scales, bias: bias, inputScale: inputScale, into: out) {
            return
        }
        try gemmEngine().recordFP8(.weightOnly)
        let dense = try dequantizeFP8(weight, rowScales: scales, to: x.dtype)
        try gemmLinear(x, weight: dense, bias: bias, gelu: false, into: out)
    }

    /// Which path an FP8 weight takes here before layout checks: W8A8 needs FP8 tensor cores, e4m3 weights
    /// and the `.auto` setting.
    func fp8Path(for weight: Tensor) throws -> FP8PathTaken {
        let settings = try gemmEngine().gemmSettings
        return device.precision.fp8TensorCores && settings.fp8Path == .auto && weight.dtype == .f8e4m3fn ? .w8a8 : .weightOnly
    }

    /// The W8A8 path; false (nothing written) when cuBLASLt has no FP8 algorithm for this layout.
    func linearW8A8(_ x: Tensor, weight: Tensor, rowScales: Tensor, bias: Tensor?, inputScale: Float?, into out: Tensor) throws -> Bool {
        let rows = x.shape[0], k = x.shape[1], n = weight.shape[0]
        guard rows > 0, n > 0, k > 0 else { return false }
        // Check the layout rules before quantizing anything (the activations will be a fresh [R, K]).
        let probe = try fp8Key(rows: rows, k: k, n: n, weight: weight, out: out, qAlignment: 256, bias: nil, outerVector: true)
        guard probe.meetsFP8LayoutRules else { return false }
        let (q, tokenScales) = try quantizeRowsE4M3(x, inputScale: inputScale)
        return try linearFP8GEMM(q, tokenScales: tokenScales, weight: weight, rowScales: rowScales, bias: bias, into: out)
    }

    /// The GEMM half of a W8A8 linear: out [R, N] = (q [R, K] · weightᵀ) · rowScales[n] · tokenScales[r] + bias,
    /// with q and weight e4m3 (q from `quantizeRowsE4M3`), f32 scales, out bf16/f16/f32. Scales and bias
    /// run in cuBLASLt's epilogue (outer-vector scaling, cuBLASLt 12.9+) or, failing that, in Bantam's
    /// epilogue kernel after an f32 GEMM. Returns false (nothing written) when cuBLASLt has no FP8 algorithm.
    @discardableResult
    public func linearFP8GEMM(_ q: Tensor, tokenScales: Tensor, weight: Tensor, rowScales: Tensor, bias: Tensor?,
                              into out: Tensor) throws -> Bool {
        let rows = q.shape[0], k = q.shape[1], n = weight.shape[0]
        guard q.dtype == .f8e4m3fn, weight.dtype == .f8e4m3fn, q.isContiguous, weight.isContiguous, weight.shape[1] == k,
              out.shape.dims == [rows, n], out.isContiguous, tokenScales.count == rows, rowScales.count == n else {
            throw TensorError.invalidArgument("linearFP8GEMM: expected contiguous e4m3 q [R, K] and weight [N, K], scales [R] and [N], out [R, N]; got \(q.dtype) \(q.shape), \(weight.dtype) \(weight.shape), \(tokenScales.shape), \(rowScales.shape) -> \(out.shape)")
        }
        let engine = try gemmEngine()
        let qAddress = try address(q), wAddress = try address(weight), dAddress = try address(out)
        let scalePointers = (a: try address(rowScales), b: try address(tokenScales))
        // cuBLASLt's FP8 bias must match a bf16/f16 D; an f32 output takes the bias in Bantam's epilogue.
        let fusedBias = bias != nil && out.dtype != .f32
        let biasVector = try fusedBias ? fp8Bias(bias, out: out) : bias
        let key = try fp8Key(rows: rows, k: k, n: n, weight: weight, out: out, qAlignment: GEMMLayout.alignment(address: qAddress, batchStrideBytes: 0, batch: 1),
                             bias: fusedBias ? out.dtype : nil, outerVector: true)
        let biasAddress = fusedBias ? try biasVector.map { try address($0) } : nil
        return try withExtendedLifetime(biasVector) {
            if try engine.run(key, a: wAddress, b: qAddress, d: dAddress, bias: biasAddress, scales: scalePointers) {
                if bias != nil && !fusedBias {
                    try launchEpilogue(accumulator: nil, out: out, colScales: nil, rowScales: nil, bias: biasVector, gelu: false)
                }
                engine.recordFP8(.w8a8)
                return true
            }
            // Outer-vector scales without the bias epilogue, bias added in place after.
            if fusedBias {
                let unbiased = try fp8Key(rows: rows, k: k, n: n, weight: weight, out: out, qAlignment: key.b.alignment, bias: nil, outerVector: true)
                if try engine.run(unbiased, a: wAddress, b: qAddress, d: dAddress, scales: scalePointers) {
                    try launchEpilogue(accumulator: nil, out: out, colScales: nil, rowScales: nil, bias: biasVector, gelu: false)
                    engine.recordFP8(.w8a8)
                    return true
                }
            }
            // No outer-vector scaling in this cuBLASLt: unscaled FP8 GEMM into f32, scales and bias after.
            let accumulator = try empty([rows, n], dtype: .f32)
            let plain = try fp8Key(rows: rows, k: k, n: n, weight: weight, out: accumulator, qAlignment: key.b.alignment, bias: nil, outerVector: false)
            guard try engine.run(plain, a: wAddress, b: qAddress, d: try address(accumulator)) else { return false }
            try launchEpilogue(accumulator: accumulator, out: out, colScales: rowScales, rowScales: tokenScales, bias: bias, gelu: false)
            engine.recordFP8(.w8a8Epilogue)
            return true
        }
    }

    /// The plan `linearFP8GEMM` uses with outer-vector scales for these operands (nil when cuBLASLt has
    /// none); for timing cuBLASLt alone.
    public func linearFP8GEMMPlan(_ q: Tensor, weight: Tensor, bias: Tensor?, out: Tensor) throws -> GEMMPlan? {
        let fusedBias = bias != nil && out.dtype != .f32
        let key = try fp8Key(rows: q.shape[0], k: q.shape[1], n: weight.shape[0], weight: weight, out: out,
                             qAlignment: GEMMLayout.alignment(address: try address(q), batchStrideBytes: 0, batch: 1),
                             bias: fusedBias ? out.dtype : nil, outerVector: true)
        return try gemmEngine().plan(for: key)
    }

    /// The bias as cuBLASLt's FP8 epilogue takes it: out's dtype, contiguous.
    func fp8Bias(_ bias: Tensor?, out: Tensor) throws -> Tensor? {
        guard let b = bias else { return nil }
        return b.dtype != out.dtype || b.strides[0] != 1 ? try b.cast(to: out.dtype).contiguous() : b
    }

    /// The cuBLASLt key of an FP8 linear: A = weight (e4m3, K × N used transposed), B = q (e4m3, K × R), D = out.
    func fp8Key(rows: Int, k: Int, n: Int, weight: Tensor, out: Tensor, qAlignment: Int, bias: DType?, outerVector: Bool) throws -> GEMMPlanKey {
        let layout = GEMMLayout.linear(rows: rows, n: n, k: k, xRowStride: k)
        let settings = try gemmEngine().gemmSettings
        return GEMMPlanKey(m: n, n: rows, k: k, batch: 1,
                           a: GEMMOperandKey(dtype: .f8e4m3fn, matrix: layout.a, batchStride: 0,
                                             alignment: GEMMLayout.alignment(address: try address(weight), batchStrideBytes: 0, batch: 1)),
                           b: GEMMOperandKey(dtype: .f8e4m3fn, matrix: layout.b, batchStride: 0, alignment: qAlignment),
                           d: GEMMOperandKey(dtype: out.dtype, matrix: layout.d, batchStride: 0,
                                             alignment: GEMMLayout.alignment(address: try address(out), batchStrideBytes: 0, batch: 1)),
                           epilogue: bias != nil ? .bias : .none, biasDType: bias, outerVectorScales: outerVector,
                           fastAccumulation: settings.fp8FastAccumulation)
    }

    /// x [R, K] (f32/f16/bf16, any row stride, unit column stride or copied) -> (e4m3 [R, K], f32 scales [R]):
    /// q = e4m3(x / s) with s = absmax(row)/448 (1 for an all-zero row), or s = `inputScale` when given
    /// (values beyond ±448·s saturate).
    public func quantizeRowsE4M3(_ x: Tensor, inputScale: Float?) throws -> (values: Tensor, scales: Tensor) {
        guard x.rank == 2, x.dtype.isComputeFloat else {
            throw TensorError.invalidArgument("quantizeRowsE4M3: expected an f32, f16 or bf16 matrix; got \(x.dtype) \(x.shape)")
        }
        var x = x
        if x.strides[1] != 1 || x.strides[0] < x.shape[1] { x = try x.contiguous() }
        let rows = x.shape[0], k = x.shape[1]
        let q = try empty([rows, k], dtype: .f8e4m3fn)
        let scales = try empty([rows], dtype: .f32)
        guard rows > 0 else { return (q, scales) }
        let width = x.dtype.bytesPerBlock
        let xAddress = try address(x)
        let perVector = 16 / width
        let vec = k % perVector == 0 && xAddress % 16 == 0 && ((rows == 1 ? k : x.strides[0]) * width) % 16 == 0
        var args = KernelArguments()
        args.append(pointer: xAddress)
        args.append(Int64(rows == 1 ? k : x.strides[0]))
        args.append(pointer: try address(q))
        args.append(pointer: try address(scales))
        args.append(Int32(k))
        args.append(inputScale ?? 0)
        // Rows of up to 4 vectors per thread and 1024 threads: one read, the row held in registers.
        let vectors = k / perVector
        let kernel: CUDAFunction
        let threads: Int
        if vec && vectors <= 4 * 1024 {
            kernel = try kernels.function("bantam_quantize_rows_e4m3_registers_\(x.dtype.rawValue)", family: "gemm")
            threads = min(1024, max(32, ((vectors + 3) / 4 + 31) / 32 * 32))
        } else {
            kernel = try kernels.function("bantam_quantize_rows_e4m3_\(x.dtype.rawValue)", family: "gemm")
            threads = 256
            args.append(Int32(vec ? 1 : 0))
        }
        try withExtendedLifetime(x) {
            try kernel.launch(LaunchShape(grid: (UInt32(rows), 1, 1), block: (UInt32(threads), 1, 1)), args, on: computeStream)
        }
        return (q, scales)
    }

    /// The inverse of `quantizeRowsE4M3`: f32(values[r, k])·scales[r] as a new f32 [R, K] tensor (tests and
    /// the W8A8 emulation on GPUs without FP8 tensor cores).
    public func dequantizeRowsE4M3(values: Tensor, scales: Tensor) throws -> Tensor {
        guard values.rank == 2, values.dtype == .f8e4m3fn, scales.dtype == .f32, scales.shape.dims == [values.shape[0]] else {
            throw TensorError.invalidArgument("dequantizeRowsE4M3: expected e4m3 [R, K] and f32 [R]; got \(values.dtype) \(values.shape), \(scales.dtype) \(scales.shape)")
        }
        let out = try values.cast(to: .f32).contiguous()
        try launchEpilogue(accumulator: nil, out: out, colScales: nil, rowScales: try scales.contiguous(), bias: nil, gelu: false)
        return out
    }

    /// f32(weight)·rowScales[row] (scales nil: 1) rounded once to `dtype`, as a new contiguous [N, K] tensor.
    public func dequantizeFP8(_ weight: Tensor, rowScales: Tensor?, to dtype: DType) throws -> Tensor {
        guard weight.rank == 2, weight.dtype.isFloat8, dtype.isComputeFloat else {
            throw TensorError.invalidArgument("dequantizeFP8: expected an FP8 matrix and an f32/f16/bf16 target; got \(weight.dtype) \(weight.shape) -> \(dtype)")
        }
        let weight = try weight.contiguous()
        let rows = weight.shape[0], cols = weight.shape[1]
        let out = try empty([rows, cols], dtype: dtype)
        guard rows * cols > 0 else { return out }
        let wAddress = try address(weight)
        let kernel = try kernels.function("bantam_dequant_\(weight.dtype.rawValue)_\(dtype.rawValue)", family: "gemm")
        var args = KernelArguments()
        args.append(pointer: wAddress)
        args.append(pointer: try rowScales.map { try address($0) } ?? 0)
        args.append(pointer: try address(out))
        args.append(Int64(rows)); args.append(Int64(cols))
        args.append(Int32(cols % 4 == 0 && wAddress % 4 == 0 ? 1 : 0))
        try kernel.launch(.linear(items: rows * cols / 4 + 1, maxBlocks: maxBlocks), args, on: computeStream)
        return out
    }

    // MARK: NF4

    /// x [R, K] · Wᵀ + bias -> a new [R, N] tensor in x's dtype, W given as NF4 (see `linearNF4(_:codes:...)`).
    public func linearNF4(x: Tensor, codes: Tensor, absmax: Tensor, blockSize: Int, quantMap: Tensor, bias: Tensor?) throws -> Tensor {
        let out = try empty([x.shape.dims.first ?? 0, codes.shape.dims.first ?? 0], dtype: x.dtype)
        try linearNF4(x, codes: codes, absmax: absmax, blockSize: blockSize, quantMap: quantMap, bias: bias, into: out)
        return out
    }

    /// The Backend-shaped entry: codes u4 [N, K] (contiguous, bitsandbytes nibble order over the flat index
    /// e = n·K + k), absmax f32 [ceil(N·K / blockSize)], quantMap f32 [16]; W[e] = quantMap[code]·absmax[e / blockSize].
    /// Today: dequantize into an x-dtype scratch, then the 16-bit GEMM (the hook for a fused NF4 kernel).
    public func linearNF4(_ x: Tensor, codes: Tensor, absmax: Tensor, blockSize: Int, quantMap: Tensor, bias: Tensor?,
                          into out: Tensor) throws {
        let n = codes.shape.dims.first ?? 0, k = codes.shape.dims.last ?? 0
        try checkLinearShapes(x, rows: x.shape.dims.first ?? 0, n: n, k: k, weightRank: codes.rank, bias: bias, out: out)
        let dense = try dequantizeNF4(codes: codes, absmax: absmax, blockSize: blockSize, quantMap: quantMap, to: x.dtype)
        try gemmLinear(x, weight: dense, bias: bias, gelu: false, into: out)
    }

    /// NF4 codes [N, K] -> a new contiguous [N, K] tensor of `dtype` (each value rounded once).
    public func dequantizeNF4(codes: Tensor, absmax: Tensor, blockSize: Int, quantMap: Tensor, to dtype: DType) throws -> Tensor {
        guard codes.dtype == .u4, codes.rank == 2, codes.isContiguous, codes.offset % 2 == 0 else {
            throw TensorError.invalidArgument("dequantizeNF4: codes must be contiguous u4 [out, in] starting on a whole byte; got \(codes.dtype) \(codes.shape) offset \(codes.offset)")
        }
        let count = codes.count
        guard blockSize > 0, absmax.dtype == .f32, absmax.count == (count + blockSize - 1) / blockSize, quantMap.dtype == .f32, quantMap.count == 16,
              dtype.isComputeFloat else {
            throw TensorError.invalidArgument("dequantizeNF4: absmax must be f32 [\((count + max(blockSize, 1) - 1) / max(blockSize, 1))] (block size \(blockSize) > 0), quantMap f32 [16], target f32/f16/bf16; got absmax \(absmax.dtype) \(absmax.shape), quantMap \(quantMap.dtype) \(quantMap.shape), \(dtype)")
        }
        let out = try empty(codes.shape, dtype: dtype)
        guard count > 0 else { return out }
        let absmax = try absmax.contiguous(), quantMap = try quantMap.contiguous()
        let kernel = try kernels.function("bantam_dequant_nf4_\(dtype.rawValue)", family: "gemm")
        var args = KernelArguments()
        args.append(pointer: try address(codes))
        args.append(pointer: try address(absmax))
        args.append(pointer: try address(quantMap))
        args.append(pointer: try address(out))
        args.append(Int64(count)); args.append(Int64(blockSize))
        try withExtendedLifetime((absmax, quantMap)) {
            try kernel.launch(.linear(items: (count + 1) / 2, maxBlocks: maxBlocks), args, on: computeStream)
        }
        return out
    }
}

/// The FP8 linear path a call took (counted in `CuBLASLtEngine.fp8Paths`).
public enum FP8PathTaken: String, Sendable, CaseIterable {
    /// FP8 tensor cores with cuBLASLt's outer-vector scales and bias epilogue.
    case w8a8
    /// FP8 tensor cores into f32, scales and bias in Bantam's epilogue kernel (cuBLASLt before 12.9).
    case w8a8Epilogue
    /// Weight dequantized to the activations' dtype, 16-bit GEMM.
    case weightOnly
}
