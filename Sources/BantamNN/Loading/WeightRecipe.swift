import BantamCore

/// How one model parameter is made from checkpoint tensors. Most parameters are a single key; layouts
/// that split or reorder fused weights describe the transformation here, declaratively (e.g. diffusers
/// stores FLUX's fused qkv as three tensors, and the final modulation with its halves swapped).
public indirect enum WeightRecipe: Sendable, Equatable, CustomStringConvertible {
    /// The tensor stored under this key.
    case key(String)
    /// Several recipes joined along an axis.
    case concat([WeightRecipe], axis: Int)
    /// A range of one axis.
    case slice(WeightRecipe, axis: Int, range: Range<Int>)
    /// The two halves of an axis exchanged: [a; b] -> [b; a].
    case swapHalves(WeightRecipe, axis: Int)
    /// A new axis of size 1 inserted at `axis` (0...rank), as torch's `unsqueeze`: e.g. diffusers stores
    /// the FLUX AE's 1×1 attention convs as Linear weights [C, C], the model wants [C, C, 1, 1]. A view.
    case unsqueeze(WeightRecipe, axis: Int)

    /// Every checkpoint key this recipe reads.
    public var keys: [String] {
        switch self {
        case .key(let k): return [k]
        case .concat(let parts, _): return parts.flatMap(\.keys)
        case .slice(let r, _, _), .swapHalves(let r, _), .unsqueeze(let r, _): return r.keys
        }
    }

    public var description: String {
        switch self {
        case .key(let k): return "'\(k)'"
        case .concat(let parts, let axis): return "concat(\(parts.map(\.description).joined(separator: ", ")), axis \(axis))"
        case .slice(let r, let axis, let range): return "\(r)[axis \(axis): \(range.lowerBound)..<\(range.upperBound)]"
        case .swapHalves(let r, let axis): return "swapHalves(\(r), axis \(axis))"
        case .unsqueeze(let r, let axis): return "unsqueeze(\(r), axis \(axis))"
        }
    }

    /// The shape this recipe produces from the stored shapes, or nil when a key is absent or the parts
    /// do not fit together.
    public func shape(in source: any TensorSource) -> Shape? {
        switch self {
        case .key(let k):
            return source.shape(of: k)
        case .concat(let parts, let axis):
            let shapes = parts.compactMap { $0.shape(in: source) }
            guard shapes.count == parts.count, var dims = shapes.first?.dims, axis < dims.count else { return nil }
            for s in shapes.dropFirst() {
                guard s.rank == dims.count else { return nil }
                for i in 0..<dims.count where i != axis && s[i] != dims[i] { return nil }
                dims[axis] += s[axis]
            }
            return Shape(dims)
        case .slice(let r, let axis, let range):
            guard var s = r.shape(in: source), axis < s.rank, range.upperBound <= s[axis] else { return nil }
            s[axis] = range.count
            return s
        case .swapHalves(let r, let axis):
            guard let s = r.shape(in: source), axis < s.rank, s[axis] % 2 == 0 else { return nil }
            return s
        case .unsqueeze(let r, let axis):
            guard var s = r.shape(in: source), axis >= 0, axis <= s.rank else { return nil }
            s.dims.insert(1, at: axis)
            return s
        }
    }

    /// Builds the tensor on `backend`.
    public func load(from source: any TensorSource, on backend: any Backend) throws -> Tensor {
        switch self {
        case .key(let k):
            return try source.load(k, on: backend)
        case .concat(let parts, let axis):
            return try BantamCore.concat(parts.map { try $0.load(from: source, on: backend) }, axis: axis)
        case .slice(let r, let axis, let range):
            return try r.load(from: source, on: backend).slice(axis: axis, range).contiguous()
        case .swapHalves(let r, let axis):
            let t = try r.load(from: source, on: backend)
            let halves = try t.chunk(2, axis: axis)
            return try BantamCore.concat([halves[1], halves[0]], axis: axis)
        case .unsqueeze(let r, let axis):
            return try r.load(from: source, on: backend).unsqueeze(axis)
        }
    }
}
