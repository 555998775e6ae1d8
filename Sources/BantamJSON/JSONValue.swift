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
        case .string(let s): return "\"" + PrintableText.make(s, limit: 40) + "\""
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
///
/// Small objects (a tensor entry has three members) are searched linearly; the hash index is built only
/// once an object grows past `indexThreshold` members, which keeps a 100k-tensor header from allocating
/// 100k little dictionaries. Keys compare by their UTF-8 bytes (see `ExactKey`).
public struct JSONObject: Sendable, Equatable {
    /// Members in the order they appear in the source.
    public private(set) var entries: [(key: String, value: JSONValue)] = []
    private var index: [ExactKey: Int]? = nil
    private static let indexThreshold = 8

    public init() {}

    public var count: Int { entries.count }
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        position(of: key).map { entries[$0].value }
    }

    /// Adds a member; returns false (and changes nothing) when the key is already present.
    @discardableResult
    public mutating func insert(_ key: String, _ value: JSONValue) -> Bool {
        guard position(of: key) == nil else { return false }
        entries.append((key, value))
        if index != nil {
            index![ExactKey(key)] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            var built = [ExactKey: Int](minimumCapacity: entries.count * 2)
            for (i, entry) in entries.enumerated() { built[ExactKey(entry.key)] = i }
            index = built
        }
        return true
    }

    private func position(of key: String) -> Int? {
        if let index { return index[ExactKey(key)] }
        return entries.firstIndex { compareUTF8($0.key, key) == 0 }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { compareUTF8($0.key, $1.key) == 0 && $0.value == $1.value }
    }
}
