import BantamCore

/// The weight of a Linear layer as it is stored: a dense float tensor, FP8 with row scales, or NF4 blocks.
/// `BantamNN.Linear` holds one and calls the backend op that computes with it (`linear`, `linearFP8`,
/// `linearNF4`); nothing is dequantized ahead of time.
public enum LinearWeight: Sendable {
    /// [out, in] in f32, f16, bf16 (or FP8 without scales, for `linear`'s weight-only path).
    case dense(Tensor)
    case fp8(FP8Weight)
    case nf4(NF4Weight)

    /// [out, in]
    public var shape: Shape {
        switch self {
        case .dense(let t): return t.shape
        case .fp8(let w): return w.shape
        case .nf4(let w): return w.shape
        }
    }

    /// The storage dtype: the dense tensor's, the FP8 dtype, or `u4` for NF4.
    public var dtype: DType {
        switch self {
        case .dense(let t): return t.dtype
        case .fp8(let w): return w.dtype
        case .nf4: return .u4
        }
    }

    /// The format name used by precision policies and reports: "bf16", "fp8", "nf4", ...
    public var formatName: String {
        switch self {
        case .dense(let t): return t.dtype.rawValue
        case .fp8(let w): return w.dtype == .f8e5m2 ? "fp8-e5m2" : "fp8"
        case .nf4: return "nf4"
        }
    }

    public var outFeatures: Int { shape[0] }
    public var inFeatures: Int { shape[1] }
    public var isQuantized: Bool { if case .dense = self { return false } else { return true } }

    /// Bytes the weight holds.
    public var byteCount: Int {
        switch self {
        case .dense(let t): return t.byteCount
        case .fp8(let w): return w.byteCount
        case .nf4(let w): return w.byteCount
        }
    }

    /// Rows `range` of the weight (views where the storage allows; NF4 needs block-aligned rows).
    public func rows(_ range: Range<Int>, name: String = "weight") throws -> LinearWeight {
        switch self {
        case .dense(let t): return .dense(try t.slice(axis: 0, range))
        case .fp8(let w): return .fp8(try w.rows(range))
        case .nf4(let w): return .nf4(try w.rows(range, name: name))
        }
    }

    /// The same weight on `backend`.
    public func to(_ backend: any Backend) throws -> LinearWeight {
        switch self {
        case .dense(let t): return .dense(try t.to(backend))
        case .fp8(let w): return .fp8(try w.to(backend))
        case .nf4(let w): return .nf4(try w.to(backend))
        }
    }

    /// The weight as a dense [out, in] tensor of `dtype`: exact f32 dequantization, then one rounding.
    public func dequantized(to dtype: DType = .f32) throws -> Tensor {
        switch self {
        case .dense(let t): return try t.cast(to: dtype)
        case .fp8(let w): return try w.dequantized().cast(to: dtype)
        case .nf4(let w): return try w.dequantized().cast(to: dtype)
        }
    }

    /// The weight's values as f32, row-major (exact dequantization).
    public func floats() throws -> [Float] { try dequantized(to: .f32).floats() }

    /// y = x·Wᵀ + b through the op that matches the storage.
    public func apply(_ x: Tensor, bias: Tensor?) throws -> Tensor {
        switch self {
        case .dense(let w):
            return try linear(x, weight: w, bias: bias)
        case .fp8(let w):
            return try linearFP8(x, weight: w.values, rowScales: w.rowScales, bias: bias, inputScale: w.inputScale)
        case .nf4(let w):
            return try linearNF4(x, codes: w.codes, absmax: w.absmax, blockSize: w.blockSize, quantMap: w.quantMap, bias: bias)
        }
    }

    /// Stacks weights by rows (a fused projection made of parts, as diffusers stores FLUX's qkv). Parts of
    /// one storage kind are stacked in that kind; a mix of kinds is dequantized to f32 and stacked densely
    /// (nothing is lost; the precision policy then decides the result's format).
    public static func concatRows(_ parts: [LinearWeight], name: String) throws -> LinearWeight {
        if let fp8 = parts.allFP8 { return .fp8(try FP8Weight.concatRows(fp8, name: name)) }
        if let nf4 = parts.allNF4 { return .nf4(try NF4Weight.concatRows(nf4, name: name)) }
        let dense = try parts.map { part -> Tensor in
            if case .dense(let t) = part, t.dtype.isComputeFloat { return t }
            return try part.dequantized(to: .f32)
        }
        let dtypes = Set(dense.map(\.dtype))
        let common = dtypes.count == 1 ? dense[0].dtype : .f32
        return .dense(try concat(try dense.map { try $0.cast(to: common) }, axis: 0))
    }
}

private extension Array where Element == LinearWeight {
    var allFP8: [FP8Weight]? {
        let parts = compactMap { if case .fp8(let w) = $0 { return w } else { return nil } }
        return parts.count == count ? parts : nil
    }
    var allNF4: [NF4Weight]? {
        let parts = compactMap { if case .nf4(let w) = $0 { return w } else { return nil } }
        return parts.count == count ? parts : nil
    }
}
