import BantamCore

/// Pieces shared by layerNorm, rmsNorm and groupNorm.
extension CPUBackend {
    /// A norm's optional weight or bias vector decoded to f32 once per call (any strides, any float dtype).
    func decodeVector(_ t: Tensor?, op: String, count: Int) throws -> [Float]? {
        guard let t else { return nil }
        guard t.rank == 1, t.shape[0] == count else {
            throw TensorError.shapeMismatch(op: op, detail: "parameter has shape \(t.shape); expected [\(count)]")
        }
        guard t.dtype.isComputeFloat else {
            throw TensorError.dtypeMismatch(op: op, detail: "parameter is \(t.dtype); expected f32, f16 or bf16")
        }
        let base = UnsafeRawPointer(try basePointer(t))
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            RowIO.read(base, t.dtype, start: 0, count: count, stride: t.strides[0], into: buffer.baseAddress!)
            initialized = count
        }
    }
}

/// Normalizing loops over one f32 row in place. Each variant keeps its optional parameters out of the
/// inner loop so it vectorizes.
enum NormMath {
    /// p[i] = ((p[i] − mean) − correction)·scale, then ·w[i] and + b[i] when given. `mean` + `correction`
    /// is the row mean split in two f32 parts (see `RowMath.centeredMoments`); x − mean is exact for
    /// x near the mean, so the small correction keeps the centring accurate beyond f32's resolution of mean.
    @inline(__always)
    static func normalize(_ p: UnsafeMutablePointer<Float>, _ n: Int, mean: Float, correction: Float = 0, scale: Float,
                          weight w: UnsafePointer<Float>?, bias b: UnsafePointer<Float>?) {
        switch (w, b) {
        case let (w?, b?): for i in 0..<n { p[i] = (p[i] - mean - correction) * scale * w[i] + b[i] }
        case let (w?, nil): for i in 0..<n { p[i] = (p[i] - mean - correction) * scale * w[i] }
        case let (nil, b?): for i in 0..<n { p[i] = (p[i] - mean - correction) * scale + b[i] }
        case (nil, nil): for i in 0..<n { p[i] = (p[i] - mean - correction) * scale }
        }
    }
}

/// `withUnsafeBufferPointer` for an optional array, handing the body a base address or nil.
@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
    guard let array else { return try body(nil) }
    return try array.withUnsafeBufferPointer { try body($0.baseAddress) }
}
