import BantamCore

/// A Linear weight stored in FP8 with one f32 scale per output row: W[r, c] = float(values[r, c]) ·
/// rowScales[r]. Per-tensor scales (ComfyUI scaled fp8, comfy_quant) are the same scale repeated on every
/// row; a plain fp8 cast has scales of 1. `inputScale` is the layer's static activation scale when the file
/// has one (ComfyUI `scale_input` / `input_scale`), for backends that compute W8A8.
public struct FP8Weight: Sendable {
    public let values: Tensor       // [out, in] f8e4m3fn or f8e5m2
    public let rowScales: Tensor    // [out] f32
    public let inputScale: Float?

    /// Checks the pieces fit together (`name` is used in messages).
    public init(values: Tensor, rowScales: Tensor, inputScale: Float? = nil, name: String = "FP8 weight") throws {
        guard values.rank == 2, values.dtype.isFloat8 else {
            throw QuantizationError(.badTensor, name, "FP8 values are \(values.dtype) \(values.shape); expected f8e4m3fn or f8e5m2 [out, in]")
        }
        guard rowScales.dtype == .f32, rowScales.shape.dims == [values.shape[0]] else {
            throw QuantizationError(.badTensor, name, "row scales are \(rowScales.dtype) \(rowScales.shape); expected f32 [\(values.shape[0])]")
        }
        if let inputScale, !(inputScale.isFinite && inputScale > 0) {
            throw QuantizationError(.badTensor, name, "input scale is \(inputScale); expected a finite value above 0")
        }
        self.values = values
        self.rowScales = rowScales
        self.inputScale = inputScale
    }

    public var shape: Shape { values.shape }
    public var dtype: DType { values.dtype }
    public var outFeatures: Int { values.shape[0] }
    public var inFeatures: Int { values.shape[1] }
    /// Bytes held: the codes and the scales.
    public var byteCount: Int { values.byteCount + rowScales.byteCount }

    /// Rows `range` (views; FP8 rows slice freely).
    public func rows(_ range: Range<Int>) throws -> FP8Weight {
        try FP8Weight(values: try values.slice(axis: 0, range), rowScales: try rowScales.slice(axis: 0, range),
                      inputScale: inputScale)
    }

    /// The weights stacked by rows. Parts must share the FP8 dtype and the in-features; the input scale of
    /// the result is the largest of the parts' (they all see the same input, and the largest scale clips
    /// none of them), or nil when any part has none.
    public static func concatRows(_ parts: [FP8Weight], name: String) throws -> FP8Weight {
        guard let first = parts.first else { throw QuantizationError(.unsupportedLayout, name, "nothing to concatenate") }
        for p in parts where p.dtype != first.dtype || p.inFeatures != first.inFeatures {
            throw QuantizationError(.unsupportedLayout, name, "cannot stack FP8 parts \(first.dtype) \(first.shape) and \(p.dtype) \(p.shape); they need one dtype and the same in-features")
        }
        let scales = parts.map(\.inputScale)
        let input = scales.contains { $0 == nil } ? nil : scales.compactMap { $0 }.max()
        return try FP8Weight(values: try concat(parts.map(\.values), axis: 0),
                             rowScales: try concat(parts.map(\.rowScales), axis: 0), inputScale: input, name: name)
    }

    /// The same weight on `backend`.
    public func to(_ backend: any Backend) throws -> FP8Weight {
        try FP8Weight(values: try values.to(backend), rowScales: try rowScales.to(backend), inputScale: inputScale)
    }

    /// W in f32 [out, in], exactly float(values) · rowScales (on the values' backend).
    public func dequantized() throws -> Tensor {
        let scales = try rowScales.floats()
        let (rows, cols) = (outFeatures, inFeatures)
        let out = HostBuffer(byteCount: rows * cols * 4)
        let floats = out.base.assumingMemoryBound(to: Float.self)
        try values.withHostBytes { codes in
            let bytes = codes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            for r in 0..<rows {
                FP8Reference.dequantize(bytes + r * cols, count: cols, scale: scales[r], dtype: dtype, into: floats + r * cols)
            }
        }
        return try values.backend.makeTensor(host: out, byteOffset: 0, dtype: .f32, shape: shape)
    }
}
