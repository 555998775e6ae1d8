/// Why a JSON document was rejected, where, and inside which object member.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The text is not JSON (unexpected character, unterminated string, bad escape, bad number, ...).
        case syntax
        /// An object holds the same key twice (`key` names it).
        case duplicateKey(String)
        /// Arrays and objects nest deeper than the parser's limit.
        case tooDeep
        /// The bytes are not valid UTF-8.
        case invalidUTF8
    }

    public let kind: Kind
    /// What was found and what was expected.
    public let message: String
    /// Byte offset in the parsed text where the problem was seen.
    public let offset: Int
    /// Keys of the objects enclosing the problem, outermost first (["model.weight", "shape"]).
    public let path: [String]

    public init(kind: Kind, message: String, offset: Int, path: [String]) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.path = path
    }

    public var description: String {
        let location = path.isEmpty ? "" : " (in " + path.map { "'\(PrintableText.make($0, limit: 60))'" }.joined(separator: " > ") + ")"
        return "at byte \(offset): \(message)\(location)"
    }
}
