/// Linear layers whose weight is stored quantized (docs/architecture.md, principle 5: quantization is a
/// property of a weight's storage, and one Linear dispatches on it). The storage types themselves (FP8 with
/// scales, NF4 blocks) live in BantamQuant; these ops take their tensors, validate them once and call the
/// backend's kernel.
///
/// Numerics. The CPU reference dequantizes each weight element to f32 exactly (`float(w8) · rowScale`,
/// `quantMap[code] · absmax`) while packing its GEMM panels and accumulates in f32; the output is rounded
/// once to x's dtype. A GPU backend may compute FP8 layers as W8A8 (activations quantized with
/// `inputScale`, or clamped to ±448 when it is nil, tensor-core products rescaled afterwards): that differs
/// from the reference by the activations' quantization error, and its tests say by how much.

/// x [..., K] · (float(weight) · rowScales[:, None])ᵀ + bias -> [..., N], with weight [N, K] stored as
/// f8e4m3fn or f8e5m2, rowScales [N] f32 (a per-tensor scale repeated, or 1 for a plain cast), bias [N].
/// `inputScale` (> 0) is the static activation scale of W8A8 backends; weight-only backends ignore it.
public func linearFP8(_ x: Tensor, weight: Tensor, rowScales: Tensor, bias: Tensor? = nil,
                      inputScale: Float? = nil) throws -> Tensor {
    let op = "linearFP8"
    let backend = try OpChecks.commonBackend(op, [x, weight, rowScales, bias])
    try OpChecks.requireFloat(op, x)
    guard weight.rank == 2, weight.dtype.isFloat8 else {
        throw TensorError.dtypeMismatch(op: op, detail: "weight is \(weight.dtype) \(weight.shape); expected f8e4m3fn or f8e5m2 [out, in]")
    }
    let n = weight.shape[0], k = weight.shape[1]
    guard x.rank >= 1, x.shape[x.rank - 1] == k else {
        throw TensorError.shapeMismatch(op: op, detail: "input \(x.shape) does not end in the weight's in-features \(k) (weight \(weight.shape))")
    }
    guard rowScales.dtype == .f32, rowScales.rank == 1, rowScales.shape[0] == n else {
        throw TensorError.shapeMismatch(op: op, detail: "rowScales are \(rowScales.dtype) \(rowScales.shape); expected f32 [\(n)]")
    }
    try OpChecks.requireVector(op, bias, size: n, role: "bias")
    if let inputScale, !(inputScale.isFinite && inputScale > 0) {
        throw TensorError.invalidArgument("\(op): inputScale is \(inputScale); expected a finite value above 0 (or none)")
    }
    try OpChecks.requireSupport(backend, .linearFP8, weight.dtype, op: op)
    let x2 = try x.reshape([x.count / max(k, 1), k])
    let out = try backend.empty([x2.shape[0], n], dtype: x.dtype)
    try backend.linearFP8(x2, weight: try weight.contiguous(), rowScales: try rowScales.contiguous(), bias: bias,
                          inputScale: inputScale, into: out)
    return try out.reshape(Shape(Array(x.shape.dims.dropLast()) + [n]))
}

/// x [..., K] · Wᵀ + bias -> [..., N] with W [N, K] in NF4 blocks: `codes` u4 [N, K] (contiguous, starting
/// on a whole byte; element 2j is the high nibble of byte j, as bitsandbytes packs the flattened weight),
/// `absmax` f32 [ceil(N·K / blockSize)], `quantMap` f32 [16]; W[e] = quantMap[code(e)] · absmax[e / blockSize]
/// for the flat index e = row·K + column.
public func linearNF4(_ x: Tensor, codes: Tensor, absmax: Tensor, blockSize: Int, quantMap: Tensor,
                      bias: Tensor? = nil) throws -> Tensor {
    let op = "linearNF4"
    let backend = try OpChecks.commonBackend(op, [x, codes, absmax, quantMap, bias])
    try OpChecks.requireFloat(op, x)
    guard codes.dtype == .u4, codes.rank == 2 else {
        throw TensorError.dtypeMismatch(op: op, detail: "codes are \(codes.dtype) \(codes.shape); expected u4 [out, in]")
    }
    guard codes.isContiguous, codes.offset % 2 == 0 else {
        throw TensorError.invalidArgument("\(op): codes must be contiguous and start on a whole byte (offset \(codes.offset), strides \(codes.strides))")
    }
    let n = codes.shape[0], k = codes.shape[1]
    guard x.rank >= 1, x.shape[x.rank - 1] == k else {
        throw TensorError.shapeMismatch(op: op, detail: "input \(x.shape) does not end in the weight's in-features \(k) (codes \(codes.shape))")
    }
    guard blockSize > 0 else {
        throw TensorError.invalidArgument("\(op): blockSize is \(blockSize); expected a positive number of elements")
    }
    let blocks = (n * k + blockSize - 1) / blockSize
    guard absmax.dtype == .f32, absmax.rank == 1, absmax.shape[0] == blocks else {
        throw TensorError.shapeMismatch(op: op, detail: "absmax is \(absmax.dtype) \(absmax.shape); expected f32 [\(blocks)] for \(n)×\(k) weights in blocks of \(blockSize)")
    }
    guard quantMap.dtype == .f32, quantMap.shape.dims == [16] else {
        throw TensorError.shapeMismatch(op: op, detail: "quantMap is \(quantMap.dtype) \(quantMap.shape); expected f32 [16]")
    }
    try OpChecks.requireVector(op, bias, size: n, role: "bias")
    try OpChecks.requireSupport(backend, .linearNF4, codes.dtype, op: op)
    let x2 = try x.reshape([x.count / max(k, 1), k])
    let out = try backend.empty([x2.shape[0], n], dtype: x.dtype)
    try backend.linearNF4(x2, codes: codes, absmax: try absmax.contiguous(), blockSize: blockSize,
                          quantMap: try quantMap.contiguous(), bias: bias, into: out)
    return try out.reshape(Shape(Array(x.shape.dims.dropLast()) + [n]))
}
