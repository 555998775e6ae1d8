/// A parsed JSON document, as strict as the safetensors header needs.
///
/// Objects keep their keys in file order (a header's order is shown to users as written) and never hold a
/// key twice (the parser rejects duplicates). Numbers that are integers in `Int`'s range are kept exactly;
/// every other number (a fraction, an exponent, an integer too large for `Int`) keeps its source text, so
/// a caller that needs an integer can say precisely what it found instead.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer written without fraction or exponent that fits in `Int`.
    case integer(Int)
    /// Any other number, as written in the source ("1.5", "1e3", "18446744073709551616").
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name, for messages ("expected a string, found an array").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A short rendering of the value for messages: numbers and short strings as written, containers by kind.
    public var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .integer(let i): return String(i)
        case .number(let text): return text
        case .string(let s): return "\"" + CheckpointError.printable(s, limit: 40) + "\""
        case .array(let items): return "an array of \(items.count)"
        case .object(let object): return "an object of \(object.count) keys"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var integerValue: Int? {
        if case .integer(let i) = self { return i }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The number as a Double (nearest value), for configuration files; nil for non-numbers.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let text): return Double(text)
        default: return nil
        }
    }
}

/// A JSON object: its members in file order, with a name index for lookups.
public struct JSONObject: Sendable, Equatable {
    /// Members in the order they appear in the source.
    public private(set) var entries: [(key: String, value: JSONValue)] = []
    private var index: [ExactKey: Int] = [:]

    public init() {}

    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        guard let i = index[ExactKey(key)] else { return nil }
        return entries[i].value
    }

    /// Adds a member; returns false (and changes nothing) when the key is already present.
    @discardableResult
    public mutating func insert(_ key: String, _ value: JSONValue) -> Bool {
        guard index[ExactKey(key)] == nil else { return false }
        index[ExactKey(key)] = entries.count
        entries.append((key, value))
        return true
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { ExactKey($0.key) == ExactKey($1.key) && $0.value == $1.value }
    }
}
