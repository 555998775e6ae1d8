/// A precision policy that cannot be parsed: one line naming the item and what to write instead.
public struct PrecisionPolicyError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public var description: String { message }
}

extension PrecisionPolicy {
    /// Parses `transformer=fp8,t5=fp8,clip=bf16,vae=bf16`: comma-separated `COMPONENT=FORMAT` items and
    /// per-layer rules `COMPONENT:PATTERN=FORMAT` (e.g. `transformer:single_blocks.*.linear2=bf16`).
    /// Components: transformer, t5, clip, vae. Formats: `WeightFormat.names`. A component may be named once;
    /// rules apply in order after the family's defaults.
    public static func parse(_ text: String, defaults: PrecisionDefaults = .flux) throws(PrecisionPolicyError) -> PrecisionPolicy {
        var policy = PrecisionPolicy(defaults: defaults)
        var named: Set<ModelComponent> = []
        var pendingRules: [(ModelComponent, LayerRule)] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace }
        guard !(items.count == 1 && items[0].isEmpty) else {
            throw fail("the precision policy is empty; write e.g. transformer=fp8,t5=fp8,clip=bf16,vae=bf16")
        }
        for item in items {
            guard !item.isEmpty else { throw fail("precision '\(text)' has an empty item (two commas in a row, or a trailing comma)") }
            guard let eq = item.lastIndex(of: "=") else {
                throw fail("precision item '\(item)' has no '='; write COMPONENT=FORMAT, e.g. transformer=fp8")
            }
            let key = String(item[..<eq]).trimmingWhitespace, value = String(item[item.index(after: eq)...]).trimmingWhitespace
            guard let format = WeightFormat(name: value) else {
                throw fail("precision item '\(item)': unknown format '\(value)' (expected \(WeightFormat.names.joined(separator: ", ")))")
            }
            let componentText = key.split(separator: ":", maxSplits: 1).first.map(String.init) ?? key
            guard let component = ModelComponent.named(componentText) else {
                throw fail("precision item '\(item)': unknown component '\(componentText)' (expected transformer, t5, clip or vae)")
            }
            if format.isQuantized && !defaults.quantizable.contains(component) {
                throw fail("precision item '\(item)': the \(component) has no Linear weights to quantize; use f32, f16, bf16 or keep")
            }
            if let colon = key.firstIndex(of: ":") {
                let pattern = String(key[key.index(after: colon)...]).trimmingWhitespace
                guard !pattern.isEmpty else { throw fail("precision item '\(item)': the layer pattern after ':' is empty") }
                pendingRules.append((component, LayerRule(pattern, format)))
            } else {
                guard named.insert(component).inserted else {
                    throw fail("precision item '\(item)': \(component) is given twice; keep one")
                }
                policy.set(component, format)
            }
        }
        for (component, rule) in pendingRules {
            var p = policy[component]
            p.rules.append(rule)
            policy[component] = p
        }
        return policy
    }

    private static func fail(_ message: String) -> PrecisionPolicyError { PrecisionPolicyError(message: message) }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
