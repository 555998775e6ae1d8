import BantamCore

/// A Linear weight stored as bitsandbytes NF4: 4-bit codes over the flattened [out, in] weight in blocks of
/// `blockSize` elements, each block scaled by its f32 absmax: W[e] = quantMap[code e] · absmax[e / blockSize].
/// v1 files (double-quantized absmax) are brought to this form when loaded; the quant map is the file's.
public struct NF4Weight: Sendable {
    public let codes: Tensor        // [out, in] u4 (bitsandbytes nibble order), contiguous
    public let absmax: Tensor       // [ceil(out·in / blockSize)] f32
    public let quantMap: Tensor     // [16] f32
    public let blockSize: Int
    /// The dtype the weight had before quantization (bitsandbytes dequantizes to it; writers record it).
    public let originalDType: DType

    /// Checks the pieces fit together (`name` is used in messages).
    public init(codes: Tensor, absmax: Tensor, quantMap: Tensor, blockSize: Int, originalDType: DType,
                name: String = "NF4 weight") throws {
        guard codes.dtype == .u4, codes.rank == 2, codes.isContiguous, codes.offset % 2 == 0 else {
            throw QuantizationError(.badTensor, name, "NF4 codes are \(codes.dtype) \(codes.shape); expected contiguous u4 [out, in] starting on a whole byte")
        }
        guard blockSize > 0, blockSize % 2 == 0 else {
            throw QuantizationError(.badMetadata, name, "NF4 block size \(blockSize) is not a positive even number")
        }
        let blocks = (codes.count + blockSize - 1) / blockSize
        guard absmax.dtype == .f32, absmax.shape.dims == [blocks] else {
            throw QuantizationError(.badTensor, name, "absmax is \(absmax.dtype) \(absmax.shape); expected f32 [\(blocks)] for \(codes.shape) in blocks of \(blockSize)")
        }
        guard quantMap.dtype == .f32, quantMap.shape.dims == [16] else {
            throw QuantizationError(.badTensor, name, "quant_map is \(quantMap.dtype) \(quantMap.shape); expected f32 [16]")
        }
        guard originalDType.isComputeFloat else {
            throw QuantizationError(.badMetadata, name, "original dtype \(originalDType) is not f32, f16 or bf16")
        }
        self.codes = codes
        self.absmax = absmax
        self.quantMap = quantMap
        self.blockSize = blockSize
        self.originalDType = originalDType
    }

    public var shape: Shape { codes.shape }
    public var outFeatures: Int { codes.shape[0] }
    public var inFeatures: Int { codes.shape[1] }
    /// Bytes held: codes, absmax and the map.
    public var byteCount: Int { codes.byteCount + absmax.byteCount + quantMap.byteCount }

    /// Rows `range`, as views. The first row must start a block and the range must end on a block
    /// boundary or at the last row (so no block is shared with rows outside it).
    public func rows(_ range: Range<Int>, name: String = "NF4 weight") throws -> NF4Weight {
        let k = inFeatures
        let start = range.lowerBound * k, end = range.upperBound * k
        guard start % blockSize == 0, end % blockSize == 0 || range.upperBound == outFeatures else {
            throw QuantizationError(.unsupportedLayout, name, "rows \(range.lowerBound)..<\(range.upperBound) of a \(shape) NF4 weight do not fall on its \(blockSize)-element blocks (in-features × row must be a multiple of \(blockSize)); dequantize this layer (precision bf16)")
        }
        let blocks = (start / blockSize)..<((end + blockSize - 1) / blockSize)
        return try NF4Weight(codes: try codes.slice(axis: 0, range), absmax: try absmax.slice(axis: 0, blocks),
                             quantMap: quantMap, blockSize: blockSize, originalDType: originalDType, name: name)
    }

    /// The weights stacked by rows: byte concatenation of the codes and of the absmax. Needs one block size,
    /// one quant map and the same in-features, and every part but the last must fill whole blocks.
    public static func concatRows(_ parts: [NF4Weight], name: String) throws -> NF4Weight {
        guard let first = parts.first else { throw QuantizationError(.unsupportedLayout, name, "nothing to concatenate") }
        let map = try first.quantMap.floats()
        for (i, p) in parts.enumerated() {
            guard p.blockSize == first.blockSize, p.inFeatures == first.inFeatures else {
                throw QuantizationError(.unsupportedLayout, name, "cannot stack NF4 parts \(first.shape) (blocks of \(first.blockSize)) and \(p.shape) (blocks of \(p.blockSize))")
            }
            guard try p.quantMap.floats() == map else {
                throw QuantizationError(.unsupportedLayout, name, "NF4 parts have different quant maps; they cannot share one weight")
            }
            guard i == parts.count - 1 || p.codes.count % p.blockSize == 0 else {
                throw QuantizationError(.unsupportedLayout, name, "NF4 part \(i) \(p.shape) ends inside a \(p.blockSize)-element block, so the parts cannot be stacked; dequantize this layer (precision bf16)")
            }
        }
        let backend = first.codes.backend
        let rows = parts.reduce(0) { $0 + $1.outFeatures }
        let codeBytes = HostBuffer(byteCount: rows * first.inFeatures / 2)
        var offset = 0
        for p in parts {
            try p.codes.withHostBytes { codeBytes.base.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: p.codes.byteCount) }
            offset += p.codes.byteCount
        }
        let codes = try backend.makeTensor(host: codeBytes, byteOffset: 0, dtype: .u4, shape: [rows, first.inFeatures])
        return try NF4Weight(codes: codes, absmax: try concat(parts.map(\.absmax), axis: 0), quantMap: first.quantMap,
                             blockSize: first.blockSize, originalDType: first.originalDType, name: name)
    }

    /// The same weight on `backend`.
    public func to(_ backend: any Backend) throws -> NF4Weight {
        try NF4Weight(codes: try codes.to(backend), absmax: try absmax.to(backend), quantMap: try quantMap.to(backend),
                      blockSize: blockSize, originalDType: originalDType)
    }

    /// W in f32 [out, in], exactly quantMap[code] · absmax (on the codes' backend). Cast the result to
    /// `originalDType` to get what bitsandbytes' `dequantize_4bit` returns.
    public func dequantized() throws -> Tensor {
        let scales = try absmax.floats(), map = try quantMap.floats()
        let out = HostBuffer(byteCount: codes.count * 4)
        try codes.withHostBytes { bytes in
            NF4Reference.dequantize(codes: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), absmax: scales,
                                    count: codes.count, blockSize: blockSize, map: map,
                                    into: out.base.assumingMemoryBound(to: Float.self))
        }
        return try codes.backend.makeTensor(host: out, byteOffset: 0, dtype: .f32, shape: shape)
    }
}
