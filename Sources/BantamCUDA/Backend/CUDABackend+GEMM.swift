import BantamCore

/// matmul, linear and linearGELU through cuBLASLt (BLAS/): strided views map to cuBLASLt transposes and
/// leading dimensions, a broadcast batch to stride 0 (or to one taller GEMM), and a copy is made only when
/// cuBLASLt cannot express an operand's layout. Bias and GELU (tanh) run in cuBLASLt's epilogue.
///
/// Numerics: f16 and bf16 multiply on tensor cores with f32 accumulation and one rounding of the output, as
/// the CPU backend does (results differ from it only by summation order). f32 runs in true f32 unless
/// `gemmSettings.allowTF32` (or BANTAM_TF32=1) allows TF32 tensor cores.
extension CUDABackend {
    private static let engineLock = Lock()
    nonisolated(unsafe) private static var engines: [ObjectIdentifier: CuBLASLtEngine] = [:]

    /// This backend's cuBLASLt engine (handle, workspace, plan cache), created on first use; throws a
    /// one-line reason when cuBLASLt is missing.
    public func gemmEngine() throws -> CuBLASLtEngine {
        try Self.engineLock.withLock {
            if let engine = Self.engines[ObjectIdentifier(self)] { return engine }
            let engine = try CuBLASLtEngine(runtime: runtime, context: context, stream: computeStream, allocator: allocator,
                                            environment: ProcessEnvironment.all())
            Self.engines[ObjectIdentifier(self)] = engine
            return engine
        }
    }

    /// Whether the GEMM ops run here for `dtype` (the weight's dtype for linear): cuBLASLt must be loaded.
    func gemmSupports(_ op: OpKind, dtype: DType) -> Bool {
        guard case .success = runtime.cublasLt else { return false }
        switch op {
        case .matmul: return dtype.isComputeFloat
        case .linear: return dtype.isComputeFloat || dtype.isFloat8
        default: return false
        }
    }

    // MARK: matmul

    public func matmul(_ a: Tensor, _ b: Tensor, into out: Tensor) throws {
        guard a.rank == 3, b.rank == 3, out.rank == 3, a.shape[0] == b.shape[0], a.shape[2] == b.shape[1],
              out.shape.dims == [a.shape[0], a.shape[1], b.shape[2]], out.isContiguous else {
            throw TensorError.shapeMismatch(op: "matmul", detail: "cuda kernel needs [B, M, K] · [B, K, N] -> contiguous [B, M, N]; got \(a.shape) · \(b.shape) -> \(out.shape)")
        }
        guard a.dtype == b.dtype, a.dtype == out.dtype, a.dtype.isComputeFloat else {
            throw TensorError.dtypeMismatch(op: "matmul", detail: "cuda matmul needs one of f32, f16, bf16 for both inputs and the output; got \(a.dtype) · \(b.dtype) -> \(out.dtype)")
        }
        let batch = a.shape[0], m = a.shape[1], k = a.shape[2], n = b.shape[2]
        guard batch > 0, m > 0, n > 0 else { return }
        if k == 0 { try fill(out, value: 0); return }
        let engine = try gemmEngine()

        var a = a, b = b
        var aBatch = batch == 1 ? 0 : a.strides[0], bBatch = batch == 1 ? 0 : b.strides[0]
        // A shared right operand under a batch of evenly spaced left matrices: one GEMM with batch·M rows.
        var rows = m, count = batch
        if GEMMLayout.foldsBatchIntoRows(batch: batch, m: m, aBatchStride: aBatch, aStrides: (a.strides[1], a.strides[2]), bBatchStride: bBatch) {
            rows = batch * m; count = 1; aBatch = 0
        }
        var layout = GEMMLayout.matmul(m: rows, n: n, k: k, aStrides: (a.strides[1], a.strides[2]), bStrides: (b.strides[1], b.strides[2]))
        // Layouts cuBLASLt cannot read (two non-unit strides, overlapping rows): contiguous copies.
        if layout.b == nil || (count > 1 && aBatch < 0) {
            a = try a.contiguous(); aBatch = count == 1 ? 0 : m * k
            layout = GEMMLayout.matmul(m: rows, n: n, k: k, aStrides: (a.strides[1], a.strides[2]), bStrides: (b.strides[1], b.strides[2]))
        }
        if layout.a == nil || (count > 1 && bBatch < 0) {
            b = try b.contiguous(); bBatch = count == 1 ? 0 : k * n
            layout = GEMMLayout.matmul(m: rows, n: n, k: k, aStrides: (a.strides[1], a.strides[2]), bStrides: (b.strides[1], b.strides[2]))
        }
        guard let aMatrix = layout.a, let bMatrix = layout.b else {
            throw TensorError.backendFailure(backend: name, detail: "matmul: no cuBLASLt layout for contiguous operands \(a.shape) · \(b.shape)")
        }
        let aAddress = try address(a), bAddress = try address(b), dAddress = try address(out)
        let width = a.dtype.bytesPerBlock
        let compute: GEMMCompute = a.dtype == .f32 && engine.gemmSettings.allowTF32 ? .tf32 : .f32
        let key = GEMMPlanKey(
            m: n, n: rows, k: k, batch: count,
            a: GEMMOperandKey(dtype: b.dtype, matrix: aMatrix, batchStride: bBatch,
                              alignment: GEMMLayout.alignment(address: bAddress, batchStrideBytes: bBatch * width, batch: count)),
            b: GEMMOperandKey(dtype: a.dtype, matrix: bMatrix, batchStride: aBatch,
                              alignment: GEMMLayout.alignment(address: aAddress, batchStrideBytes: aBatch * width, batch: count)),
            d: GEMMOperandKey(dtype: out.dtype, matrix: layout.d, batchStride: rows * n,
                              alignment: GEMMLayout.alignment(address: dAddress, batchStrideBytes: rows * n * width, batch: count)),
            compute: compute)
        try withExtendedLifetime((a, b)) {
            guard try engine.run(key, a: bAddress, b: aAddress, d: dAddress) else {
                throw TensorError.unsupported(backend: name, op: "matmul", detail: "cuBLASLt has no algorithm for \(key)")
            }
        }
    }

    // MARK: linear

    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws {
        try linear(x, weight: weight, bias: bias, gelu: false, into: out)
    }

    /// gelu(x · weightᵀ + bias) with GELU (tanh) in cuBLASLt's epilogue: one pass over the output.
    public func linearGELU(_ x: Tensor, weight: Tensor, bias: Tensor?, into out: Tensor) throws {
        try linear(x, weight: weight, bias: bias, gelu: true, into: out)
    }

    /// The shared body of linear and linearGELU: x [R, K], weight [N, K] (any float; FP8 is dequantized
    /// exactly to x's dtype), bias [N] or nil, out [R, N] contiguous in x's dtype.
    func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, gelu: Bool, into out: Tensor) throws {
        try checkLinearShapes(x, rows: x.shape.dims.first ?? 0, n: weight.shape.dims.first ?? 0, k: weight.shape.dims.last ?? 0,
                              weightRank: weight.rank, bias: bias, out: out)
        if weight.dtype.isFloat8 {
            // Weight-only FP8: every e4m3/e5m2 value is exact in f16, bf16 and f32.
            let dense = try dequantizeFP8(weight, rowScales: nil, to: x.dtype)
            try gemmLinear(x, weight: dense, bias: bias, gelu: gelu, into: out)
            return
        }
        guard weight.dtype.isComputeFloat else {
            throw TensorError.dtypeMismatch(op: "linear", detail: "cuda linear needs an f32, f16, bf16 or FP8 weight; got \(weight.dtype)")
        }
        if weight.dtype == x.dtype {
            try gemmLinear(x, weight: weight, bias: bias, gelu: gelu, into: out)
            return
        }
        // Mixed dtypes: compute in f32 (exact up-casts), round once into out.
        let x32 = try x.cast(to: .f32), w32 = try weight.cast(to: .f32)
        if out.dtype == .f32 {
            try gemmLinear(x32, weight: w32, bias: bias, gelu: gelu, into: out)
        } else {
            let scratch = try empty(out.shape, dtype: .f32)
            try gemmLinear(x32, weight: w32, bias: bias, gelu: gelu, into: scratch)
            try copy(scratch, into: out)
        }
    }

    func checkLinearShapes(_ x: Tensor, rows: Int, n: Int, k: Int, weightRank: Int, bias: Tensor?, out: Tensor) throws {
        guard x.rank == 2, weightRank == 2, out.rank == 2, x.shape[1] == k, out.shape.dims == [rows, n], out.isContiguous,
              bias.map({ $0.shape.dims == [n] }) ?? true else {
            throw TensorError.shapeMismatch(op: "linear", detail: "cuda kernel needs x [R, K], weight [N, K], bias [N] -> contiguous out [R, N]; got \(x.shape), [\(n), \(k)], \(bias.map { "\($0.shape)" } ?? "no bias") -> \(out.shape)")
        }
        guard x.dtype.isComputeFloat, out.dtype == x.dtype else {
            throw TensorError.dtypeMismatch(op: "linear", detail: "cuda linear needs x and out of one dtype among f32, f16, bf16; got \(x.dtype) -> \(out.dtype)")
        }
        if let bias, !bias.dtype.isComputeFloat {
            throw TensorError.dtypeMismatch(op: "linear", detail: "bias is \(bias.dtype); expected f32, f16 or bf16")
        }
    }

    /// x [R, K] · weightᵀ (+ bias) (then GELU) into out [R, N]; x, weight and out share one dtype, weight
    /// contiguous. Bias and GELU go to cuBLASLt's epilogue; when cuBLASLt has no fused algorithm for the
    /// combination, a plain GEMM is followed by Bantam's epilogue kernel.
    func gemmLinear(_ x: Tensor, weight: Tensor, bias: Tensor?, gelu: Bool, into out: Tensor) throws {
        let rows = x.shape[0], k = x.shape[1], n = weight.shape[0]
        guard rows > 0, n > 0 else { return }
        if k == 0 {
            // No products: out = gelu?(bias) or 0.
            try fill(out, value: 0)
            if bias != nil || gelu { try launchEpilogue(accumulator: nil, out: out, colScales: nil, rowScales: nil, bias: bias, gelu: gelu) }
            return
        }
        let engine = try gemmEngine()
        // cuBLASLt reads x as K × R column-major: unit column stride, rows at least K apart.
        var x = x
        if !(x.strides[1] == 1 && (rows == 1 || x.strides[0] >= k)) { x = try x.contiguous() }
        let weight = try weight.contiguous()
        // The bias in the output's dtype, contiguous (f32 up-casts are exact; others round once).
        var biasVector = bias
        if let b = bias, b.dtype != out.dtype || b.strides[0] != 1 { biasVector = try b.cast(to: out.dtype).contiguous() }

        let xAddress = try address(x), wAddress = try address(weight), dAddress = try address(out)
        func key(_ epilogue: GEMMEpilogue) throws -> GEMMPlanKey {
            try linearPlanKey(x: x, weight: weight, out: out, epilogue: epilogue)
        }
        let fused = GEMMEpilogue(bias: biasVector != nil, gelu: gelu)
        let biasAddress = try biasVector.map { try address($0) }
        try withExtendedLifetime((x, weight, biasVector)) {
            if try engine.run(try key(fused), a: wAddress, b: xAddress, d: dAddress, bias: biasAddress) { return }
            // No fused algorithm (e.g. GELU with true-f32 kernels): plain GEMM, then the epilogue kernel.
            guard fused != .none, try engine.run(try key(.none), a: wAddress, b: xAddress, d: dAddress) else {
                throw TensorError.unsupported(backend: name, op: "linear", detail: "cuBLASLt has no algorithm for \(try key(.none))")
            }
            try launchEpilogue(accumulator: nil, out: out, colScales: nil, rowScales: nil, bias: biasVector, gelu: gelu)
        }
    }

    /// The cuBLASLt key of out [R, N] = x [R, K] · weightᵀ (x with unit column stride and rows at least K
    /// apart, weight contiguous, one dtype for all three) with this epilogue (bias in out's dtype).
    public func linearPlanKey(x: Tensor, weight: Tensor, out: Tensor, epilogue: GEMMEpilogue) throws -> GEMMPlanKey {
        let rows = x.shape[0], k = x.shape[1], n = weight.shape[0]
        let layout = GEMMLayout.linear(rows: rows, n: n, k: k, xRowStride: rows == 1 ? k : x.strides[0])
        let allowTF32 = try gemmEngine().gemmSettings.allowTF32
        let compute: GEMMCompute = x.dtype == .f32 && allowTF32 ? .tf32 : .f32
        return GEMMPlanKey(m: n, n: rows, k: k, batch: 1,
                           a: GEMMOperandKey(dtype: weight.dtype, matrix: layout.a, batchStride: 0,
                                             alignment: GEMMLayout.alignment(address: try address(weight), batchStrideBytes: 0, batch: 1)),
                           b: GEMMOperandKey(dtype: x.dtype, matrix: layout.b, batchStride: 0,
                                             alignment: GEMMLayout.alignment(address: try address(x), batchStrideBytes: 0, batch: 1)),
                           d: GEMMOperandKey(dtype: out.dtype, matrix: layout.d, batchStride: 0,
                                             alignment: GEMMLayout.alignment(address: try address(out), batchStrideBytes: 0, batch: 1)),
                           compute: compute, epilogue: epilogue, biasDType: epilogue.hasBias ? out.dtype : nil)
    }

    /// Bantam's GEMM epilogue kernel: out[r, c] = gelu?(v·colScales[c]·rowScales[r] + bias[c]), v read from an
    /// f32 accumulator [R, N] (or from out itself when nil), rounded once to out's dtype.
    func launchEpilogue(accumulator: Tensor?, out: Tensor, colScales: Tensor?, rowScales: Tensor?, bias: Tensor?, gelu: Bool) throws {
        let rows = out.shape[0], cols = out.shape[1]
        guard rows * cols > 0 else { return }
        let kernel = try kernels.function("bantam_gemm_epilogue_\(out.dtype.rawValue)", family: "gemm")
        let biasVector = try bias.map { $0.strides[0] == 1 ? $0 : try $0.contiguous() }
        var args = KernelArguments()
        args.append(pointer: try accumulator.map { try address($0) } ?? 0)
        args.append(pointer: try address(out))
        args.append(Int64(rows)); args.append(Int64(cols))
        args.append(pointer: try colScales.map { try address($0) } ?? 0)
        args.append(pointer: try rowScales.map { try address($0) } ?? 0)
        args.append(pointer: try biasVector.map { try address($0) } ?? 0)
        args.append(biasVector?.dtype.cudaCode ?? 0)
        args.append(Int32(biasVector?.dtype.bytesPerBlock ?? 0))
        args.append(Int32(gelu ? 1 : 0))
        try withExtendedLifetime(biasVector) {
            try kernel.launch(.linear(items: rows * cols, maxBlocks: maxBlocks), args, on: computeStream)
        }
    }
}
