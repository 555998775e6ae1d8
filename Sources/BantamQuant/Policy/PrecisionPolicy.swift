import BantamCore

/// The parts of a text-to-image model that a precision policy addresses.
public enum ModelComponent: String, CaseIterable, Sendable, CustomStringConvertible {
    case transformer, t5, clip, vae

    public var description: String { rawValue }

    /// The spellings a policy accepts for each component.
    static func named(_ text: String) -> ModelComponent? {
        switch text.lowercased() {
        case "transformer", "dit", "unet", "diffusion_model", "model": return .transformer
        case "t5", "t5xxl", "t5-xxl", "text_encoder_2": return .t5
        case "clip", "clip_l", "clip-l", "text_encoder": return .clip
        case "vae", "ae", "autoencoder": return .vae
        default: return nil
        }
    }
}

/// One per-layer rule: layers whose name matches `pattern` take `format`.
public struct LayerRule: Hashable, Sendable {
    public let pattern: NamePattern
    public let format: WeightFormat

    public init(_ pattern: String, _ format: WeightFormat) {
        self.pattern = NamePattern(pattern)
        self.format = format
    }
}

/// The precision of one component: the format of its Linear weights, the layers its family keeps out of
/// quantization, and the user's per-layer rules.
public struct ComponentPrecision: Hashable, Sendable {
    /// Linear weights' format; a float format also sets the dtype of every other float parameter.
    public var format: WeightFormat
    /// Layers (by name, without `.weight`) that stay as stored when `format` is quantized: the family's
    /// defaults (PrecisionDefaults).
    public var exempt: [NamePattern]
    /// The user's rules, applied after the defaults; the last match wins.
    public var rules: [LayerRule]

    public init(format: WeightFormat = .keep, exempt: [NamePattern] = [], rules: [LayerRule] = []) {
        self.format = format
        self.exempt = exempt
        self.rules = rules
    }

    /// As stored, no rules.
    public static let keep = ComponentPrecision()

    /// The format of the Linear layer `layer` (its weight's name without `.weight`).
    public func format(forLayer layer: String) -> WeightFormat {
        var result = format
        if result.isQuantized && exempt.contains(where: { $0.matches(layer) }) { result = .keep }
        for rule in rules where rule.pattern.matches(layer) { result = rule.format }
        return result
    }

    /// The dtype every other float parameter (biases, norms, embeddings) takes: the component's float
    /// format, or nil (as stored) when it is `keep` or quantized.
    public var parameterDType: DType? {
        if case .float(let d) = format { return d }
        return nil
    }
}

/// Which precision each component of a model is loaded or written in: data, parsed from
/// `transformer=fp8,t5=fp8,clip=bf16,vae=bf16` (and per-layer rules such as
/// `transformer:final_layer.*=bf16`), with a model family's defaults for the layers that stay unquantized.
public struct PrecisionPolicy: Hashable, Sendable, CustomStringConvertible {
    public var defaults: PrecisionDefaults
    public var components: [ModelComponent: ComponentPrecision]
    /// The components given a format (`transformer=fp8`), as opposed to only per-layer rules.
    public private(set) var named: Set<ModelComponent> = []

    /// Everything as stored.
    public init(defaults: PrecisionDefaults = .flux) {
        self.defaults = defaults
        self.components = [:]
    }

    /// The precision of `component` (as stored when the policy does not name it).
    public subscript(component: ModelComponent) -> ComponentPrecision {
        get { components[component] ?? ComponentPrecision(exempt: defaults.exempt[component] ?? []) }
        set { components[component] = newValue }
    }

    /// Sets a component's format, with the family's exemptions.
    public mutating func set(_ c: ModelComponent, _ format: WeightFormat) {
        var p = self[c]
        p.format = format
        self[c] = p
        named.insert(c)
    }

    /// The canonical text of the policy: each named component's format, then its rules
    /// (`transformer=fp8,transformer:final_layer.*=bf16,t5=fp8`).
    public var description: String {
        var items: [String] = []
        for c in ModelComponent.allCases {
            guard let p = components[c] else { continue }
            if named.contains(c) { items.append("\(c)=\(p.format)") }
            items += p.rules.map { "\(c):\($0.pattern)=\($0.format)" }
        }
        return items.joined(separator: ",")
    }
}
