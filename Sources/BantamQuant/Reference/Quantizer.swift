import BantamCore

/// Quantizes dense weights into the storage formats, streaming through the weight in chunks (never more
/// than one f32 chunk besides the result). Inputs may be any float dtype on any backend (read through the
/// host); the result lives on the input's backend — on the CPU the input is typically a zero-copy view of a
/// memory-mapped checkpoint, so quantize-on-load holds one layer's codes at a time.
public enum Quantizer {
    /// Elements decoded to f32 at a time (a multiple of every NF4 block size).
    static let chunk = 1 << 16

    /// A dense [out, in] weight as FP8 `dtype` with `scaling` (FP8Reference).
    public static func fp8(_ weight: Tensor, dtype: DType = .f8e4m3fn, scaling: FP8Scaling,
                           name: String = "weight") throws -> FP8Weight {
        try requireDenseMatrix(weight, name: name)
        guard dtype.isFloat8 else { throw QuantizationError(.unsupportedFormat, name, "\(dtype) is not an FP8 dtype") }
        let rows = weight.shape[0], cols = weight.shape[1]
        let width = weight.dtype.bytesPerBlock
        let codes = HostBuffer(byteCount: rows * cols)
        var scales = [Float](repeating: 1, count: rows)
        let row = UnsafeMutablePointer<Float>.allocate(capacity: max(cols, 1))
        defer { row.deallocate() }
        try weight.withHostBytes { source in
            func decodeRow(_ r: Int) { ElementConversion.decode(weight.dtype, from: source.baseAddress! + r * cols * width, count: cols, into: row) }
            if scaling == .perTensor {
                var amax: Float = 0
                for r in 0..<rows { decodeRow(r); amax = max(amax, FP8Reference.amax(row, count: cols)) }
                scales = [Float](repeating: FP8Reference.scale(amax: amax, dtype: dtype), count: rows)
            }
            let out = codes.base.assumingMemoryBound(to: UInt8.self)
            for r in 0..<rows {
                decodeRow(r)
                if scaling == .perRow { scales[r] = FP8Reference.scale(amax: FP8Reference.amax(row, count: cols), dtype: dtype) }
                FP8Reference.quantize(row, count: cols, scale: scales[r], dtype: dtype, into: out + r * cols)
            }
        }
        let backend = weight.backend
        return try FP8Weight(values: try backend.makeTensor(host: codes, byteOffset: 0, dtype: dtype, shape: weight.shape),
                             rowScales: try Tensor(scales, shape: [rows], on: backend), name: name)
    }

    /// A dense [out, in] weight as NF4 in blocks of `blockSize` (NF4Reference, bitsandbytes-exact). The
    /// original dtype recorded is the input's (f32 for FP8 inputs).
    public static func nf4(_ weight: Tensor, blockSize: Int = 64, name: String = "weight") throws -> NF4Weight {
        try requireDenseMatrix(weight, name: name)
        let count = weight.count
        guard count % 2 == 0 else {
            throw QuantizationError(.unsupportedLayout, name, "an NF4 weight needs an even number of elements; \(weight.shape) has \(count)")
        }
        guard blockSize > 0, blockSize % 2 == 0, chunk % blockSize == 0 else {
            throw QuantizationError(.unsupportedFormat, name, "NF4 block size \(blockSize) is not supported (use a power of two up to 4096)")
        }
        let width = weight.dtype.bytesPerBlock
        let codes = HostBuffer(byteCount: count / 2)
        let blocks = (count + blockSize - 1) / blockSize
        var absmax = [Float](repeating: 0, count: blocks)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        defer { scratch.deallocate() }
        try weight.withHostBytes { source in absmax.withUnsafeMutableBufferPointer { a in
            for start in stride(from: 0, to: count, by: chunk) {
                let n = min(chunk, count - start)
                ElementConversion.decode(weight.dtype, from: source.baseAddress! + start * width, count: n, into: scratch)
                NF4Reference.quantize(scratch, count: n, blockSize: blockSize,
                                      codes: codes.base.assumingMemoryBound(to: UInt8.self) + start / 2,
                                      absmax: a.baseAddress! + start / blockSize)
            }
        } }
        let backend = weight.backend
        return try NF4Weight(codes: try backend.makeTensor(host: codes, byteOffset: 0, dtype: .u4, shape: weight.shape),
                             absmax: try Tensor(absmax, shape: [blocks], on: backend),
                             quantMap: try Tensor(NF4Codebook.values, shape: [16], on: backend),
                             blockSize: blockSize, originalDType: weight.dtype.isComputeFloat ? weight.dtype : .f32, name: name)
    }

    /// Only the NF4 absmax of a dense weight (what `nf4` would store), for writers that emit it first.
    public static func nf4Absmax(_ weight: Tensor, blockSize: Int = 64) throws -> [Float] {
        let count = weight.count, width = weight.dtype.bytesPerBlock
        var absmax = [Float](repeating: 0, count: (count + blockSize - 1) / blockSize)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        defer { scratch.deallocate() }
        try weight.withHostBytes { source in absmax.withUnsafeMutableBufferPointer { a in
            for start in stride(from: 0, to: count, by: chunk) {
                let n = min(chunk, count - start)
                ElementConversion.decode(weight.dtype, from: source.baseAddress! + start * width, count: n, into: scratch)
                NF4Reference.absmax(scratch, count: n, blockSize: blockSize, into: a.baseAddress! + start / blockSize)
            }
        } }
        return absmax
    }

    /// max |w| over a dense float tensor, read in chunks.
    public static func amax(_ weight: Tensor) throws -> Float {
        let count = weight.count, width = weight.dtype.bytesPerBlock
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk)
        defer { scratch.deallocate() }
        var result: Float = 0
        try weight.withHostBytes { source in
            for start in stride(from: 0, to: count, by: chunk) {
                let n = min(chunk, count - start)
                ElementConversion.decode(weight.dtype, from: source.baseAddress! + start * width, count: n, into: scratch)
                result = max(result, FP8Reference.amax(scratch, count: n))
            }
        }
        return result
    }

    private static func requireDenseMatrix(_ weight: Tensor, name: String) throws {
        guard weight.rank == 2, weight.dtype.isFloatingPoint else {
            throw QuantizationError(.badTensor, name, "only float [out, in] weights can be quantized; this one is \(weight.dtype) \(weight.shape)")
        }
    }
}
