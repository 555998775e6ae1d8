import BantamCore
import BantamQuant

/// What a parameter is used for, so the precision policy can treat matrix weights differently from
/// biases and norm scales.
public enum ParameterRole: Sendable {
    /// The [out, in] weight of a Linear: may stay in a storage format (FP8) that `linear` computes with.
    case linearWeight
    /// Anything else (biases, norm scales, embeddings, conv kernels).
    case other
}

/// Which dtypes and storage formats loaded parameters get.
public struct LoadPrecision: Sendable, Equatable {
    /// Float parameters are converted to this dtype; nil keeps what the file stores ("weights run at the
    /// precision stored in the file unless another is asked for"), or takes the policy's float format.
    public var compute: DType?
    /// Linear weights stored quantized (FP8, NF4) stay quantized when the backend computes with them; when
    /// false (or the backend cannot), they are dequantized to the compute dtype (bf16 if none).
    public var keepFP8LinearWeights: Bool
    /// The format of each Linear weight, by layer name (the parameter name without `.weight`): quantize on
    /// load (fp8, nf4), dequantize (bf16, ...), or keep. `.keep` everywhere by default.
    public var policy: ComponentPrecision

    public init(compute: DType? = nil, keepFP8LinearWeights: Bool = true, policy: ComponentPrecision = .keep) {
        self.compute = compute
        self.keepFP8LinearWeights = keepFP8LinearWeights
        self.policy = policy
    }

    /// One component's part of a precision policy; other parameters take `compute`, else the component's
    /// float format, else their stored dtype.
    public init(_ policy: PrecisionPolicy, component: ModelComponent, compute: DType? = nil) {
        let p = policy[component]
        self.init(compute: compute ?? p.parameterDType, policy: p)
    }

    /// As stored.
    public static let asStored = LoadPrecision()
}

/// Fills a model's parameters from a checkpoint through one layout, strictly: every parameter must be
/// there with the expected shape, and every key of the checkpoint must be used (or ignored on purpose by
/// the layout). Problems are collected while the model is built — a missing or mis-shaped parameter gets
/// a zero-stride placeholder that costs no memory — and `finish()` reports them all, by name.
///
/// Quantized checkpoints are read through a `QuantizedTensorSource` (made here when `source` is not one
/// already): each FP8 or NF4 weight is one parameter with its logical shape, and its scales, absmax, quant
/// maps and JSON are consumed with it, so the strict check holds for quantized files too.
public final class WeightLoader: @unchecked Sendable {
    public let source: any TensorSource
    public let layout: any WeightLayout
    public let backend: any Backend
    public let precision: LoadPrecision
    /// Where weights are converted or quantized before they go to `backend` (the CPU for a GPU backend, so
    /// no full-precision copy of a layer is ever uploaded).
    public let staging: any Backend
    /// The quantization-aware view of `source` (nil when the file's quantization metadata is unreadable:
    /// then `finish()` reports it).
    private let quantized: QuantizedTensorSource?
    private var consumed: Set<String> = []
    private var problems: [WeightMapError.Problem] = []
    private var formatCounts: [String: Int] = [:]

    /// How many Linear weights were loaded in each format ("bf16", "fp8", "nf4", ...), so a run can say what
    /// it computes with (e.g. "transformer Linear weights: 76 nf4, 8 bf16").
    public var linearFormats: [String: Int] { formatCounts }

    /// `linearFormats` as one line, most common format first: "76 nf4, 8 bf16" ("none" when empty).
    public var linearFormatSummary: String {
        guard !formatCounts.isEmpty else { return "none" }
        return formatCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.value) \($0.key)" }
            .joined(separator: ", ")
    }

    public init(source: any TensorSource, layout: any WeightLayout, backend: any Backend,
                precision: LoadPrecision = .asStored, staging: (any Backend)? = nil) {
        self.layout = layout
        self.backend = backend
        self.precision = precision
        self.staging = staging ?? backend
        do {
            let view = try QuantizedTensorSource.view(source, host: staging ?? backend)
            self.quantized = view
            self.source = view
        } catch {
            self.quantized = nil
            self.source = source
            problems.append(.init(kind: .unusable, name: "__metadata__", detail: "\(error)"))
        }
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
            return keep ? t : try t.cast(to: computeDType ?? .bf16)
        }
        if let target = computeDType, target != t.dtype { return try t.cast(to: target) }
        return t
    }

    /// The dtype float parameters are converted to, if any.
    var computeDType: DType? { precision.compute ?? precision.policy.parameterDType }

    /// Loads the Linear weight `parameter`, checking that it is [out, in] = `shape`, in its stored format,
    /// then applies the precision policy for its layer (`parameter` without `.weight`): keep, dequantize,
    /// or quantize (on `staging`, one layer at a time; the full-precision tensor is dropped afterwards).
    public func linearWeight(_ parameter: String, shape expected: Shape) throws -> LinearWeight {
        let weight = try loadLinearWeight(parameter, shape: expected)
        formatCounts[weight.formatName, default: 0] += 1
        return weight
    }

    private func loadLinearWeight(_ parameter: String, shape expected: Shape) throws -> LinearWeight {
        guard let quantized else { return .dense(try tensor(parameter, shape: expected, role: .linearWeight)) }
        guard let recipe = layout.recipe(for: parameter) else {
            return .dense(try placeholder(.missing, parameter, "the layout has no source for it", expected))
        }
        recipe.keys.forEach { consumed.insert($0) }
        let absent = recipe.keys.filter { source.shape(of: $0) == nil }
        if !absent.isEmpty {
            let detail = recipe.keys == [parameter] ? "" : "from \(absent.joined(separator: ", "))"
            return .dense(try placeholder(.missing, recipe.keys.count == 1 ? recipe.keys[0] : parameter, detail, expected))
        }
        guard let stored = recipe.shape(in: source) else {
            return .dense(try placeholder(.misshaped, parameter, "\(recipe) does not combine", expected))
        }
        guard stored == expected else {
            let name = recipe.keys.count == 1 ? recipe.keys[0] : parameter
            return .dense(try placeholder(.misshaped, name, "is \(stored), expected \(expected)", expected))
        }
        if let unusable = recipe.keys.first(where: { source.dtype(of: $0) == nil }) {
            return .dense(try placeholder(.unusable, unusable, "its dtype is not supported", expected))
        }
        let layer = parameter.hasSuffix(".weight") ? String(parameter.dropLast(".weight".count)) : parameter
        let weight = try recipe.loadLinear(from: quantized, on: staging, name: parameter)
        return try convertLinear(weight, layer: layer)
    }

    /// The policy's format for one Linear weight, produced on `staging` and moved to `backend`.
    private func convertLinear(_ w: LinearWeight, layer: String) throws -> LinearWeight {
        let target = precision.policy.format(forLayer: layer)
        if let (op, dtype) = target.requiredOp, !backend.supports(op, dtype: dtype) {
            throw TensorError.unsupported(backend: backend.name, op: op.rawValue, detail: "the precision policy asks for \(target) at \(layer), which this backend cannot compute with; choose another format (e.g. bf16) for it")
        }
        switch target {
        case .keep:
            switch w {
            case .dense(let t):
                return .dense(try convert(t, role: .linearWeight).to(backend))
            case .fp8, .nf4:
                let (op, dtype) = w.formatOp
                if precision.keepFP8LinearWeights && backend.supports(op, dtype: dtype) { return try w.to(backend) }
                // A plain FP8 cast (scales of 1, no input scale) is what `linear` takes as a weight-only FP8
                // weight: the same product on a backend that has no linearFP8 yet.
                if precision.keepFP8LinearWeights, case .fp8(let f) = w, f.inputScale == nil,
                   backend.supports(.linear, dtype: f.dtype), try f.rowScales.floats().allSatisfy({ $0 == 1 }) {
                    return .dense(try f.values.to(backend))
                }
                return .dense(try w.dequantized(to: computeDType ?? .bf16).to(backend))
            }
        case .float(let dtype):
            return .dense(try w.dequantized(to: dtype).to(backend))
        case .fp8(let dtype, let scaling):
            if case .fp8(let f) = w, f.dtype == dtype { return try w.to(backend) }
            return .fp8(try Quantizer.fp8(try w.denseFloat(), dtype: dtype, scaling: scaling, name: layer).to(backend))
        case .nf4:
            if case .nf4 = w { return try w.to(backend) }
            return .nf4(try Quantizer.nf4(try w.denseFloat(), name: layer).to(backend))
        }
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

    /// A Linear weight `<prefix>.<suffix>` [out, in] in its storage format (WeightLoader.linearWeight).
    public func linearWeight(_ suffix: String, shape: Shape) throws -> LinearWeight {
        try loader.linearWeight(name(suffix), shape: shape)
    }

    public func provides(_ suffix: String) -> Bool { loader.provides(name(suffix)) }
}

private extension LinearWeight {
    /// The op and dtype that compute with this storage.
    var formatOp: (OpKind, DType) {
        switch self {
        case .dense(let t): return (.linear, t.dtype)
        case .fp8(let w): return (.linearFP8, w.dtype)
        case .nf4: return (.linearNF4, .u4)
        }
    }

    /// A float tensor to quantize from: a dense weight as it is, a quantized one dequantized to f32.
    func denseFloat() throws -> Tensor {
        if case .dense(let t) = self, t.dtype.isComputeFloat { return t }
        return try dequantized(to: .f32)
    }
}
