import BantamCore

/// The reference quantized linears (Ops/QuantizedLinear.swift): the blocked GEMM with the weight
/// dequantized to f32 while its panels are packed (GEMMQuantized.swift), f32 accumulation, bias added in
/// f32, one rounding to the output dtype. No full-precision copy of the weight is ever made.
///
/// FP8 is weight-only here: `inputScale` (W8A8 activation scale) is accepted and ignored, because the
/// reference computes with the activations as given. A GPU kernel that quantizes activations differs from
/// this by their quantization error.
extension CPUBackend {
    public func linearFP8(_ x: Tensor, weight: Tensor, rowScales: Tensor, bias: Tensor?, inputScale: Float?,
                          into out: Tensor) throws {
        try requireComputeFloats(x, bias, out)
        try require(.linearFP8, weight.dtype)
        let n = weight.shape[0]
        guard x.rank == 2, weight.rank == 2, out.rank == 2, x.shape[1] == weight.shape[1], weight.isContiguous,
              rowScales.dtype == .f32, rowScales.shape.dims == [n], rowScales.isContiguous,
              out.shape.dims == [x.shape[0], n], out.isContiguous, bias.map({ $0.shape.dims == [n] }) ?? true else {
            throw TensorError.shapeMismatch(op: "linearFP8", detail: "cpu kernel needs x [R, K], contiguous FP8 weight [N, K], f32 rowScales [N], bias [N] -> contiguous out [R, N]; got \(x.shape), \(weight.shape), \(rowScales.shape), \(bias.map { "\($0.shape)" } ?? "no bias") -> \(out.shape)")
        }
        let table = weight.dtype == .f8e4m3fn ? QuantizedLanes.e4m3fnTable : QuantizedLanes.e5m2Table
        let scales = try basePointer(rowScales).assumingMemoryBound(to: Float.self)
        let operand = MatrixOperand(base: try basePointer(weight), dtype: weight.dtype,
                                    rowStride: weight.strides[1], colStride: weight.strides[0],
                                    quantized: .scaledFP8(table: table, scales: scales))
        try linearProduct(x, weightᵀ: operand, n: n, bias: bias, into: out)
    }

    public func linearNF4(_ x: Tensor, codes: Tensor, absmax: Tensor, blockSize: Int, quantMap: Tensor, bias: Tensor?,
                          into out: Tensor) throws {
        try requireComputeFloats(x, bias, out)
        try require(.linearNF4, codes.dtype)
        let n = codes.shape.dims.first ?? 0, k = codes.rank == 2 ? codes.shape[1] : -1
        let blocks = blockSize > 0 ? (n * max(k, 0) + blockSize - 1) / blockSize : -1
        guard x.rank == 2, codes.rank == 2, out.rank == 2, x.shape[1] == k, codes.isContiguous, codes.offset % 2 == 0,
              absmax.dtype == .f32, absmax.shape.dims == [blocks], absmax.isContiguous,
              quantMap.dtype == .f32, quantMap.shape.dims == [16], quantMap.isContiguous,
              out.shape.dims == [x.shape[0], n], out.isContiguous, bias.map({ $0.shape.dims == [n] }) ?? true else {
            throw TensorError.shapeMismatch(op: "linearNF4", detail: "cpu kernel needs x [R, K], contiguous u4 codes [N, K], f32 absmax [ceil(N·K/blockSize)], f32 quantMap [16], bias [N] -> contiguous out [R, N]; got \(x.shape), \(codes.shape), \(absmax.shape) (blockSize \(blockSize)), \(quantMap.shape), \(bias.map { "\($0.shape)" } ?? "no bias") -> \(out.shape)")
        }
        let quantized = QuantizedLanes.nf4(map: try basePointer(quantMap).assumingMemoryBound(to: Float.self),
                                           absmax: try basePointer(absmax).assumingMemoryBound(to: Float.self),
                                           blockSize: blockSize)
        // Element strides of the codes as a [N, K] matrix; the base is the byte of element 0.
        let operand = MatrixOperand(base: try basePointer(codes), dtype: .u4, rowStride: 1, colStride: k,
                                    quantized: quantized)
        try linearProduct(x, weightᵀ: operand, n: n, bias: bias, into: out)
    }

    /// x, bias and out of a linear must be f32, f16 or bf16.
    private func requireComputeFloats(_ x: Tensor, _ bias: Tensor?, _ out: Tensor) throws {
        for (role, t) in [("input", x), ("output", out), ("bias", bias ?? x)] where !t.dtype.isComputeFloat {
            throw TensorError.dtypeMismatch(op: "linear", detail: "\(role) is \(t.dtype); expected f32, f16 or bf16")
        }
    }
}
