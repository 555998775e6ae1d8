import BantamJSON

/// A JSON value the server sends: built with literals in route code (`["id": .string(id), "steps": 20]`)
/// and written compactly. Object members keep the order they were written in, so responses read the way
/// the API documentation lists them.
public enum JSONOut: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONOut])
    case object([Member])

    /// One member of an object.
    public struct Member: Sendable, Equatable {
        public let key: String
        public let value: JSONOut
        public init(_ key: String, _ value: JSONOut) {
            self.key = key
            self.value = value
        }
    }

    /// `.string(s)` or `.null`.
    public static func optional(_ s: String?) -> JSONOut { s.map(JSONOut.string) ?? .null }
    /// `.double(d)` or `.null`.
    public static func optional(_ d: Double?) -> JSONOut { d.map(JSONOut.double) ?? .null }
    /// `.int(i)` or `.null`.
    public static func optional(_ i: Int?) -> JSONOut { i.map(JSONOut.int) ?? .null }

    /// Compact UTF-8 JSON text.
    public var bytes: [UInt8] {
        var writer = JSONWriter(capacity: 256)
        write(into: &writer)
        return writer.bytes
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The member named `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONOut? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// An object with `extra` members appended (members of `self` first).
    public func merging(_ extra: [Member]) -> JSONOut {
        guard case .object(let members) = self else { return self }
        return .object(members + extra)
    }

    func write(into w: inout JSONWriter) {
        switch self {
        case .null: w.raw("null")
        case .bool(let b): b ? w.raw("true") : w.raw("false")
        case .int(let i): w.integer(i)
        case .double(let d):
            // Non-finite numbers have no JSON form; integral values print without an exponent.
            if !d.isFinite {
                w.raw("null")
            } else if d == d.rounded(), abs(d) < 1e15 {
                w.integer(Int(d))
            } else {
                for b in "\(d)".utf8 { w.byte(b) }
            }
        case .string(let s): w.string(s)
        case .array(let items):
            w.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.raw(",") }
                item.write(into: &w)
            }
            w.raw("]")
        case .object(let members):
            w.raw("{")
            for (i, member) in members.enumerated() {
                if i > 0 { w.raw(",") }
                w.string(member.key)
                w.raw(":")
                member.value.write(into: &w)
            }
            w.raw("}")
        }
    }
}

extension JSONOut: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONOut...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONOut)...) {
        self = .object(elements.map { Member($0.0, $0.1) })
    }
}

extension JSONOut {
    /// The same value from a parsed document (numbers that are not `Int`s become doubles).
    public init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .integer(let i): self = .int(i)
        case .number(let text): self = Double(text).map(JSONOut.double) ?? .null
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(JSONOut.init))
        case .object(let object): self = .object(object.entries.map { Member($0.key, JSONOut($0.value)) })
        }
    }
}
