import BantamCore

/// Everything wrong between a checkpoint and the model it should fill, reported together and by name.
public struct WeightMapError: Error, CustomStringConvertible, Equatable, Sendable {
    public struct Problem: Equatable, Sendable {
        public enum Kind: String, Sendable { case missing, misshaped, unexpected, unusable }
        public let kind: Kind
        public let name: String
        public let detail: String
    }

    public let source: String
    public let layout: String
    public let problems: [Problem]

    /// One line: the counts and the first few names of each kind.
    public var description: String {
        let grouped = Dictionary(grouping: problems, by: \.kind)
        let parts: [String] = [Problem.Kind.missing, .misshaped, .unexpected, .unusable].compactMap { kind in
            guard let list = grouped[kind], !list.isEmpty else { return nil }
            let shown = list.prefix(4).map { $0.detail.isEmpty ? $0.name : "\($0.name) (\($0.detail))" }
            let more = list.count > 4 ? ", … \(list.count - 4) more" : ""
            return "\(list.count) \(kind.rawValue): \(shown.joined(separator: ", "))\(more)"
        }
        return "\(source) does not match \(layout): \(parts.joined(separator: "; "))"
    }
}
