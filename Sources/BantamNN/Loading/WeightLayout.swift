import BantamCore

/// One checkpoint layout of one model (e.g. "FLUX transformer, diffusers layout"): for each of the
/// model's parameter names (the model's own, canonical names) the recipe that makes it from this
/// layout's keys, and the keys this layout may carry that the model deliberately does not use.
public protocol WeightLayout: Sendable {
    /// Name for messages, e.g. "FLUX.1 transformer, diffusers layout".
    var name: String { get }
    /// The recipe for a canonical parameter name, or nil when this layout cannot provide it.
    func recipe(for parameter: String) -> WeightRecipe?
    /// Keys that may be present and are ignored on purpose (e.g. CLIP's `position_ids`, `logit_scale`).
    func ignores(_ key: String) -> Bool
}

/// A layout whose keys are the canonical names themselves, optionally with a prefix.
public struct IdentityLayout: WeightLayout {
    public let name: String
    public let prefix: String
    private let ignored: @Sendable (String) -> Bool

    public init(name: String, prefix: String = "", ignoring ignored: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.name = name
        self.prefix = prefix
        self.ignored = ignored
    }

    public func recipe(for parameter: String) -> WeightRecipe? { .key(prefix + parameter) }
    public func ignores(_ key: String) -> Bool { ignored(key) }
}

/// A layout given by a function from canonical names to recipes (nil = the parameter keeps its name).
public struct MappedLayout: WeightLayout {
    public let name: String
    private let map: @Sendable (String) -> WeightRecipe?
    private let ignored: @Sendable (String) -> Bool

    public init(name: String, ignoring ignored: @escaping @Sendable (String) -> Bool = { _ in false },
                map: @escaping @Sendable (String) -> WeightRecipe?) {
        self.name = name
        self.map = map
        self.ignored = ignored
    }

    public func recipe(for parameter: String) -> WeightRecipe? { map(parameter) ?? .key(parameter) }
    public func ignores(_ key: String) -> Bool { ignored(key) }
}
