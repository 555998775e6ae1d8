import BantamCore

/// A checkpoint seen with its quantized weights as weights: each FP8 or NF4 Linear weight appears as one
/// key with its logical [out, in] shape, and the tensors that belong to it — scales, absmax, quant maps,
/// quant-state and comfy_quant JSON, the `scaled_fp8` marker — are folded into it and no longer listed.
///
/// Formats read (formats.md §4, §5):
/// - plain FP8 (`F8_E4M3` / `F8_E5M2` weights, no scales);
/// - ComfyUI legacy scaled fp8: `<layer>.weight` FP8, `<layer>.scale_weight` F32 scalar, optional
///   `<layer>.scale_input`, and a `scaled_fp8` marker (a 2-element marker turns input scales off);
/// - ComfyUI comfy_quant: `<layer>.comfy_quant` JSON (or `__metadata__["_quantization_metadata"]`),
///   `<layer>.weight_scale`, optional `<layer>.input_scale`; FP8 formats only;
/// - bitsandbytes NF4 v1 and v2 as Forge and diffusers save them: `<layer>.weight` U8 packed codes,
///   `.weight.absmax`, `.weight.quant_map`, `.weight.quant_state.bitsandbytes__nf4`, and for v1
///   `.weight.nested_absmax`, `.weight.nested_quant_map` (absmax decoded to f32 here, as bitsandbytes does).
///
/// `linearWeight(_:on:)` gives a weight in its storage format; `load(_:on:)` gives a plain tensor (a scaled
/// weight dequantized to f32, a plain FP8 tensor as stored). A damaged quantized layer keeps its key and
/// throws a `QuantizationError` that names it when loaded. Tensors that belong to no weight stay listed,
/// so a strict loader still reports them.
public final class QuantizedTensorSource: TensorSource, @unchecked Sendable {
    public let base: any TensorSource
    /// Where small tensors (JSON, scalars) are read and v1 absmax is decoded: the CPU in practice.
    public let host: any Backend
    public let keys: [String]
    private let stored: [String: StoredWeight]
    private let hidden: Set<String>

    /// `source` itself when it already is one, else a new view.
    public static func view(_ source: any TensorSource, host: any Backend) throws -> QuantizedTensorSource {
        if let q = source as? QuantizedTensorSource { return q }
        return try QuantizedTensorSource(source, host: host)
    }

    /// Reads names, dtypes and shapes of `base` and the small JSON tensors; weights are read when loaded.
    /// Throws only for a malformed `_quantization_metadata` (a file-level problem).
    public init(_ base: any TensorSource, host: any Backend) throws {
        self.base = base
        self.host = host
        var scan = Scan(base: base, host: host)
        try scan.run()
        stored = scan.stored
        hidden = scan.hidden
        keys = base.keys.filter { !scan.hidden.contains($0) }
    }

    public var sourceDescription: String { base.sourceDescription }
    public var metadata: [String: String] { base.metadata }

    public func shape(of key: String) -> Shape? {
        if hidden.contains(key) { return nil }
        switch stored[key] {
        case .nf4(let layout)?: return Shape(layout.state.shape)
        case .damaged(_, let shape)?: return shape ?? base.shape(of: key)
        default: return base.shape(of: key)
        }
    }

    public func dtype(of key: String) -> DType? {
        if hidden.contains(key) { return nil }
        if case .nf4? = stored[key] { return .u4 }
        return base.dtype(of: key)
    }

    /// How `key` is stored, for reports: "nf4 v2", "fp8 (per-tensor scale)", nil for plain tensors.
    public func storageDescription(of key: String) -> String? {
        switch stored[key] {
        case .fp8(let l)?: return l.scaleKey == nil ? "fp8 (no scale)" : "fp8 (\(l.perRowHint) scale)"
        case .nf4(let l)?: return l.state.nested == nil ? "nf4 v2" : "nf4 v1"
        case .damaged(let e, _)?: return "damaged (\(e.detail))"
        case nil: return dtype(of: key)?.isFloat8 == true ? "fp8 (no scale)" : nil
        }
    }

    /// Whether `key` is stored in a quantized format (FP8 with or without scales, NF4, or a damaged one).
    public func isQuantized(_ key: String) -> Bool {
        stored[key] != nil || (dtype(of: key)?.isFloat8 ?? false)
    }

    /// The weights stored quantized (FP8 with scales or NF4), damaged ones included.
    public var quantizedKeys: [String] { stored.keys.sorted() }

    /// A plain tensor: quantized weights with scales are dequantized to f32 (exactly); plain FP8 stays FP8.
    public func load(_ key: String, on backend: any Backend) throws -> Tensor {
        guard !hidden.contains(key) else {
            throw QuantizationError(.badTensor, key, "is part of a quantized weight, not a tensor of its own")
        }
        switch stored[key] {
        case nil:
            return try base.load(key, on: backend)
        case .fp8(let layout)? where layout.scaleKey == nil:
            return try base.load(key, on: backend)
        default:
            return try linearWeight(key, on: host).dequantized(to: .f32).to(backend)
        }
    }

    /// The weight `key` [out, in] in its storage format, on `backend` (codes and values zero-copy where
    /// the base source allows; v1 absmax decoded on the host).
    public func linearWeight(_ key: String, on backend: any Backend) throws -> LinearWeight {
        switch stored[key] {
        case nil:
            let t = try load(key, on: backend)
            guard t.dtype.isFloat8, t.rank == 2 else { return .dense(t) }
            // Plain FP8 (a cast): scales of 1, so it takes the same FP8 linear as scaled files.
            return .fp8(try FP8Weight(values: t, rowScales: try Tensor.full(1, shape: [t.shape[0]], on: backend), name: key))
        case .damaged(let error, _)?:
            throw error
        case .fp8(let layout)?:
            return .fp8(try loadFP8(layout, on: backend))
        case .nf4(let layout)?:
            return .nf4(try loadNF4(layout, on: backend))
        }
    }

    // MARK: loading

    private func loadFP8(_ l: FP8Layout, on backend: any Backend) throws -> FP8Weight {
        let values = try base.load(l.key, on: backend)
        guard values.rank == 2 else {
            throw QuantizationError(.badTensor, l.key, "an FP8 weight with scales must be [out, in]; it is \(values.shape)")
        }
        let rows = values.shape[0]
        var scales = [Float](repeating: 1, count: rows)
        if let scaleKey = l.scaleKey {
            let s = try base.load(scaleKey, on: host)
            guard s.dtype.isFloatingPoint else {
                throw QuantizationError(.badTensor, scaleKey, "the weight scale is \(s.dtype); expected F32")
            }
            let v = try s.floats()
            if v.count == 1 {
                scales = [Float](repeating: v[0], count: rows)
            } else if v.count == rows && (s.rank == 1 || (s.rank == 2 && s.shape[1] == 1)) {
                scales = v
            } else {
                throw QuantizationError(.badTensor, scaleKey, "the weight scale has shape \(s.shape); expected a scalar or one per output row [\(rows)] for weight \(values.shape)")
            }
            if let bad = scales.first(where: { !$0.isFinite || $0 < 0 }) {
                throw QuantizationError(.badTensor, scaleKey, "the weight scale \(bad) is not a finite, non-negative number")
            }
        }
        var input: Float? = nil
        if let inputKey = l.inputScaleKey {
            let v = try base.load(inputKey, on: host).floats()
            guard v.count == 1, v[0].isFinite, v[0] > 0 else {
                throw QuantizationError(.badTensor, inputKey, "the input scale must be one finite value above 0; it holds \(v.count) values (\(v.first ?? .nan))")
            }
            // ComfyUI drops a legacy scale_input of exactly 1 (convert_old_quants); keep the others.
            input = l.legacyInputScale && v[0] == 1 ? nil : v[0]
        }
        return try FP8Weight(values: values, rowScales: try Tensor(scales, shape: [rows], on: backend),
                             inputScale: input, name: l.key)
    }

    private func loadNF4(_ l: NF4Layout, on backend: any Backend) throws -> NF4Weight {
        let (out, inFeatures) = (l.state.shape[0], l.state.shape[1])
        let packed = try base.load(l.key, on: backend)
        guard packed.dtype == .u8, packed.isContiguous else {
            throw QuantizationError(.badTensor, l.key, "NF4 codes must be contiguous U8; they are \(packed.dtype) \(packed.shape)")
        }
        // The packed bytes are the u4 codes of the flattened [out, in] weight (two per byte, high first).
        let codes = Tensor(backend: packed.backend, storage: packed.storage, dtype: .u4, shape: [out, inFeatures],
                           offset: packed.byteOffset * 2)
        let quantMap = try base.load(l.quantMapKey, on: backend).cast(to: .f32)
        let absmax: Tensor
        if let nested = l.state.nested, let nestedAbsmaxKey = l.nestedAbsmaxKey, let nestedMapKey = l.nestedMapKey {
            let q = try base.load(l.absmaxKey, on: host).hostByteArray()
            let na = try base.load(nestedAbsmaxKey, on: host).cast(to: .f32).floats()
            let nm = try base.load(nestedMapKey, on: host).cast(to: .f32).floats()
            let count = l.blocks
            var decoded = [Float](repeating: 0, count: count)
            na.withUnsafeBufferPointer { a in
                nm.withUnsafeBufferPointer { m in
                    decoded.withUnsafeMutableBufferPointer { d in
                        NF4Reference.dequantizeNestedAbsmax(q, count: count,
                                                           nestedAbsmax: a.baseAddress!, nestedBlockSize: nested.blockSize,
                                                           nestedMap: m.baseAddress!, offset: Float(nested.offset),
                                                           into: d.baseAddress!)
                    }
                }
            }
            absmax = try Tensor(decoded, shape: [count], on: backend)
        } else {
            absmax = try base.load(l.absmaxKey, on: backend).cast(to: .f32)
        }
        return try NF4Weight(codes: codes, absmax: absmax.reshape([l.blocks]), quantMap: quantMap.reshape([16]),
                             blockSize: l.state.blockSize, originalDType: l.originalDType, name: l.key)
    }
}

/// How one quantized weight is stored.
enum StoredWeight {
    case fp8(FP8Layout)
    case nf4(NF4Layout)
    /// A quantized weight that cannot be read; its logical shape when known.
    case damaged(QuantizationError, shape: Shape?)
}

struct FP8Layout {
    let key: String
    let scaleKey: String?
    let inputScaleKey: String?
    /// `scale_input` of the legacy format (dropped when exactly 1, as ComfyUI does).
    let legacyInputScale: Bool
    /// "per-tensor" or "per-row", from the scale's stored shape.
    let perRowHint: String
}

struct NF4Layout {
    let key: String
    let absmaxKey: String
    let quantMapKey: String
    let nestedAbsmaxKey: String?
    let nestedMapKey: String?
    let state: BitsAndBytesQuantState
    let originalDType: DType
    var blocks: Int { (state.shape.reduce(1, *) + state.blockSize - 1) / state.blockSize }
}
