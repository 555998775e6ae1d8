import BantamCore

/// One tensor of a file being written: name, dtype, shape, and a closure that fills its bytes when the
/// writer reaches it (BantamIO's `SafetensorsEntry` takes these one to one). Producing bytes lazily is what
/// lets `bantam quantize` stream a model: each closure loads one source tensor, quantizes it, writes it,
/// and lets it go.
public struct QuantizedFileRecord {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let fill: (UnsafeMutableRawBufferPointer) throws -> Void

    public init(name: String, dtype: DType, shape: [Int], fill: @escaping (UnsafeMutableRawBufferPointer) throws -> Void) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.fill = fill
    }
}

/// The key conventions of the quantized files Bantam writes, one per format, each as the tool that made
/// the format writes it:
/// - `fp8-plain` (ComfyUI "fp8", e.g. flux1-dev-fp8): `<layer>.weight` F8_E4M3, nothing else;
/// - `fp8-scaled` (ComfyUI legacy scaled fp8): `<layer>.weight` F8_E4M3 + `<layer>.scale_weight` F32 scalar,
///   and one `scaled_fp8` marker (F8_E4M3, shape [0]) at the component's prefix (`scaledFP8Marker`);
/// - `nf4` (bitsandbytes v2, as Forge and diffusers save `Linear4bit`): `<layer>.weight` U8 [n/2, 1],
///   `.weight.absmax` F32 [n/64], `.weight.quant_map` F32 [16], `.weight.quant_state.bitsandbytes__nf4`
///   U8 JSON (exactly bitsandbytes' `json.dumps`).
/// Quantization runs inside the closures, so a layer whose records are written far apart in the file (the
/// writer orders tensors by dtype) is quantized again for each: cheap next to holding every layer's result.
public enum QuantizedFileRecords {
    /// The records of one Linear weight `key` (ends in `.weight`) of `shape` [out, in], in `format`.
    /// `load` gives the weight in its stored format (called once per record that needs data). `observe`
    /// sees each quantized result with the f32 weight it came from, once per layer (for reports).
    public static func linear(key: String, shape: [Int], format: WeightFormat,
                              load: @escaping () throws -> LinearWeight,
                              observe: ((LinearWeight, Tensor) throws -> Void)? = nil) throws -> [QuantizedFileRecord] {
        guard shape.count == 2 else {
            throw QuantizationError(.badTensor, key, "a Linear weight must be [out, in]; it is \(shape)")
        }
        let layer = key.hasSuffix(".weight") ? String(key.dropLast(".weight".count)) : key
        /// The float weight to quantize from: a dense one as stored (zero-copy from the source), a
        /// quantized one dequantized to f32.
        let dense = { () throws -> Tensor in
            let w = try load()
            if case .dense(let t) = w, t.dtype.isComputeFloat { return t }
            return try w.dequantized(to: .f32)
        }
        switch format {
        case .keep:
            return try stored(key: key, weight: load())
        case .float(let dtype):
            return [QuantizedFileRecord(name: key, dtype: dtype, shape: shape) { try copy(load().dequantized(to: dtype), into: $0) }]
        case .fp8(let dtype, let scaling):
            guard scaling != .perRow else {
                throw QuantizationError(.unsupportedFormat, key, "per-row FP8 scales have no ComfyUI file convention; write fp8 (plain) or fp8-scaled")
            }
            var records = [QuantizedFileRecord(name: key, dtype: dtype, shape: shape) { buffer in
                let source = try dense()
                let q = try Quantizer.fp8(source, dtype: dtype, scaling: scaling, name: key)
                try copy(q.values, into: buffer)
                if let observe { try observe(.fp8(q), try source.cast(to: .f32)) }
            }]
            if scaling == .perTensor {
                records.append(QuantizedFileRecord(name: layer + ".scale_weight", dtype: .f32, shape: []) { buffer in
                    let amax = try Quantizer.amax(try dense())
                    buffer.storeBytes(of: FP8Reference.scale(amax: amax, dtype: dtype), as: Float.self)
                })
            }
            return records
        case .nf4:
            let count = shape[0] * shape[1]
            guard count % 2 == 0 else {
                throw QuantizationError(.unsupportedLayout, key, "an NF4 weight needs an even number of elements; \(shape) has \(count)")
            }
            let sourceDType = { () throws -> DType in
                if case .dense(let t) = try load(), t.dtype.isComputeFloat { return t.dtype }
                return .f32
            }
            let blockSize = 64
            return [
                QuantizedFileRecord(name: key, dtype: .u8, shape: [count / 2, 1]) { buffer in
                    let float = try dense()
                    let q = try Quantizer.nf4(float, blockSize: blockSize, name: key)
                    try copy(q.codes, into: buffer)
                    if let observe { try observe(.nf4(q), try float.cast(to: .f32)) }
                },
                QuantizedFileRecord(name: key + ".absmax", dtype: .f32, shape: [(count + blockSize - 1) / blockSize]) { buffer in
                    store(try Quantizer.nf4Absmax(try dense(), blockSize: blockSize), into: buffer)
                },
                QuantizedFileRecord(name: key + ".quant_map", dtype: .f32, shape: [16]) { store(NF4Codebook.values, into: $0) },
                try stateRecord(key: key, state: BitsAndBytesQuantState(dtype: try sourceDType(), shape: shape)),
            ]
        }
    }

    /// Records that re-emit an already-quantized weight in its own convention without loss: plain FP8
    /// (all scales 1), scaled FP8 (one scale for every row), NF4 (as v2: a v1 absmax is written decoded).
    public static func stored(key: String, weight: LinearWeight) throws -> [QuantizedFileRecord] {
        let layer = key.hasSuffix(".weight") ? String(key.dropLast(".weight".count)) : key
        let shape = weight.shape.dims
        switch weight {
        case .dense(let t):
            return [QuantizedFileRecord(name: key, dtype: t.dtype, shape: shape) { try copy(t, into: $0) }]
        case .fp8(let w):
            let scales = try w.rowScales.floats()
            guard let first = scales.first, scales.allSatisfy({ $0 == first }) else {
                throw QuantizationError(.unsupportedFormat, key, "per-row FP8 scales have no ComfyUI file convention; choose fp8-scaled, nf4 or a float format for this layer")
            }
            var records = [QuantizedFileRecord(name: key, dtype: w.dtype, shape: shape) { try copy(w.values, into: $0) }]
            if first != 1 {
                records.append(QuantizedFileRecord(name: layer + ".scale_weight", dtype: .f32, shape: []) {
                    $0.storeBytes(of: first, as: Float.self)
                })
            }
            return records
        case .nf4(let w):
            return [
                QuantizedFileRecord(name: key, dtype: .u8, shape: [w.codes.count / 2, 1]) { try copy(w.codes, into: $0) },
                QuantizedFileRecord(name: key + ".absmax", dtype: .f32, shape: w.absmax.shape.dims) { try copy(w.absmax, into: $0) },
                QuantizedFileRecord(name: key + ".quant_map", dtype: .f32, shape: [16]) { try copy(w.quantMap, into: $0) },
                try stateRecord(key: key, state: BitsAndBytesQuantState(blockSize: w.blockSize, dtype: w.originalDType, shape: shape)),
            ]
        }
    }

    /// Whether `records` of one layer are ComfyUI scaled fp8 (the component then needs the marker).
    public static func isScaledFP8(_ records: [QuantizedFileRecord]) -> Bool {
        records.contains { $0.name.hasSuffix(".scale_weight") }
    }

    /// The legacy `scaled_fp8` marker at `prefix` ("" for a standalone file, `model.diffusion_model.` in an
    /// all-in-one checkpoint): F8_E4M3 of shape [0] — its dtype is the scaled weights' storage dtype.
    public static func scaledFP8Marker(prefix: String, dtype: DType = .f8e4m3fn) -> QuantizedFileRecord {
        QuantizedFileRecord(name: prefix + "scaled_fp8", dtype: dtype, shape: [0]) { _ in }
    }

    /// A tensor copied as stored (or cast to `dtype`).
    public static func tensor(name: String, dtype: DType? = nil, load: @escaping () throws -> Tensor,
                              shape: [Int], storedDType: DType) -> QuantizedFileRecord {
        QuantizedFileRecord(name: name, dtype: dtype ?? storedDType, shape: shape) { buffer in
            let t = try load()
            try copy(dtype.map { try t.cast(to: $0) } ?? t, into: buffer)
        }
    }

    // MARK: helpers

    private static func stateRecord(key: String, state: BitsAndBytesQuantState) throws -> QuantizedFileRecord {
        let json = state.json
        return QuantizedFileRecord(name: key + "." + BitsAndBytesQuantState.stateKeySuffix(), dtype: .u8, shape: [json.count]) { buffer in
            json.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
    }

    /// The tensor's bytes (row-major) into `buffer`, which must be exactly its size.
    static func copy(_ t: Tensor, into buffer: UnsafeMutableRawBufferPointer) throws {
        try t.withHostBytes { bytes in
            guard bytes.count >= buffer.count else {
                throw TensorError.invalidArgument("quantized record: \(bytes.count) bytes for a \(buffer.count)-byte tensor")
            }
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<buffer.count]))
        }
    }

    static func store(_ values: [Float], into buffer: UnsafeMutableRawBufferPointer) {
        values.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<buffer.count])) }
    }
}
