import BantamCore

/// What a parameter is used for, so the precision policy can treat matrix weights differently from
/// biases and norm scales.
public enum ParameterRole: Sendable {
    /// The [out, in] weight of a Linear: may stay in a storage format (FP8) that `linear` computes with.
    case linearWeight
    /// Anything else (biases, norm scales, embeddings, conv kernels).
    case other
}

/// Which dtypes loaded parameters get.
public struct LoadPrecision: Sendable, Equatable {
    /// Float parameters are converted to this dtype; nil keeps what the file stores ("weights run at the
    /// precision stored in the file unless another is asked for").
    public var compute: DType?
    /// Linear weights stored as FP8 stay FP8 (weight-only compute) when the backend's `linear` takes them.
    public var keepFP8LinearWeights: Bool

    public init(compute: DType? = nil, keepFP8LinearWeights: Bool = true) {
        self.compute = compute
        self.keepFP8LinearWeights = keepFP8LinearWeights
    }

    /// As stored.
    public static let asStored = LoadPrecision()
}

/// Fills a model's parameters from a checkpoint through one layout, strictly: every parameter must be
/// there with the expected shape, and every key of the checkpoint must be used (or ignored on purpose by
/// the layout). Problems are collected while the model is built — a missing or mis-shaped parameter gets
/// a zero-stride placeholder that costs no memory — and `finish()` reports them all, by name.
public final class WeightLoader: @unchecked Sendable {
    public let source: any TensorSource
    public let layout: any WeightLayout
    public let backend: any Backend
    public let precision: LoadPrecision
    private var consumed: Set<String> = []
    private var problems: [WeightMapError.Problem] = []

    public init(source: any TensorSource, layout: any WeightLayout, backend: any Backend,
                precision: LoadPrecision = .asStored) {
        self.source = source
        self.layout = layout
        self.backend = backend
        self.precision = precision
    }

    /// The root scope (no prefix).
    public var root: WeightScope { WeightScope(loader: self, prefix: "") }

    /// Whether the checkpoint can provide `parameter` (for optional parts such as FLUX-dev's guidance
    /// embedding, which FLUX-schnell files lack).
    public func provides(_ parameter: String) -> Bool {
        guard let recipe = layout.recipe(for: parameter) else { return false }
        return recipe.keys.allSatisfy { source.shape(of: $0) != nil }
    }

    /// The dtype `parameter` is stored in (the first key's), if present.
    public func storedDType(_ parameter: String) -> DType? {
        layout.recipe(for: parameter)?.keys.first.flatMap { source.dtype(of: $0) }
    }

    /// Loads `parameter`, checking that it has `shape`.
    public func tensor(_ parameter: String, shape expected: Shape, role: ParameterRole = .other) throws -> Tensor {
        guard let recipe = layout.recipe(for: parameter) else {
            return try placeholder(.missing, parameter, "the layout has no source for it", expected)
        }
        recipe.keys.forEach { consumed.insert($0) }
        let absent = recipe.keys.filter { source.shape(of: $0) == nil }
        if !absent.isEmpty {
            let detail = recipe.keys == [parameter] ? "" : "from \(absent.joined(separator: ", "))"
            return try placeholder(.missing, recipe.keys.count == 1 ? recipe.keys[0] : parameter, detail, expected)
        }
        guard let stored = recipe.shape(in: source) else {
            return try placeholder(.misshaped, parameter, "\(recipe) does not combine", expected)
        }
        guard stored == expected else {
            let name = recipe.keys.count == 1 ? recipe.keys[0] : parameter
            return try placeholder(.misshaped, name, "is \(stored), expected \(expected)", expected)
        }
        if let unusable = recipe.keys.first(where: { source.dtype(of: $0) == nil }) {
            return try placeholder(.unusable, unusable, "its dtype is not supported", expected)
        }
        let tensor = try recipe.load(from: source, on: backend)
        return try convert(tensor, role: role)
    }

    /// Applies the precision policy.
    private func convert(_ t: Tensor, role: ParameterRole) throws -> Tensor {
        guard t.dtype.isFloatingPoint else { return t }
        if t.dtype.isFloat8 {
            let keep = role == .linearWeight && precision.keepFP8LinearWeights && backend.supports(.linear, dtype: t.dtype)
            return keep ? t : try t.cast(to: precision.compute ?? .bf16)
        }
        if let target = precision.compute, target != t.dtype { return try t.cast(to: target) }
        return t
    }

    private func placeholder(_ kind: WeightMapError.Problem.Kind, _ name: String, _ detail: String,
                             _ shape: Shape) throws -> Tensor {
        problems.append(.init(kind: kind, name: name, detail: detail))
        let one = try Tensor.zeros([1], dtype: precision.compute ?? .f32, on: backend)
        return try one.reshape(Shape([Int](repeating: 1, count: shape.rank))).expand(to: shape)
    }

    /// Throws a `WeightMapError` naming every missing, mis-shaped, unusable and unexpected tensor.
    public func finish() throws {
        var all = problems
        for key in source.keys where !consumed.contains(key) && !layout.ignores(key) {
            all.append(.init(kind: .unexpected, name: key, detail: ""))
        }
        if !all.isEmpty {
            throw WeightMapError(source: source.sourceDescription, layout: layout.name, problems: all)
        }
    }
}

/// A loader seen through a name prefix: `scope.child("img_attn").tensor("qkv.weight", ...)` loads
/// `<prefix>.img_attn.qkv.weight`. Model code passes scopes down its module tree.
public struct WeightScope: Sendable {
    public let loader: WeightLoader
    public let prefix: String

    public func name(_ suffix: String) -> String { prefix.isEmpty ? suffix : "\(prefix).\(suffix)" }
    public func child(_ name: String) -> WeightScope { WeightScope(loader: loader, prefix: self.name(name)) }
    public func child(_ index: Int) -> WeightScope { child(String(index)) }

    public func tensor(_ suffix: String, shape: Shape, role: ParameterRole = .other) throws -> Tensor {
        try loader.tensor(name(suffix), shape: shape, role: role)
    }

    public func provides(_ suffix: String) -> Bool { loader.provides(name(suffix)) }
}
