import BantamJSON
import Hummingbird
import NIOCore

extension Request {
    /// The body as a JSON object, read up to `limit` bytes. An empty body is `{}` unless `required`.
    /// Refuses (with what to do): a body that is not declared as JSON, too large, not JSON, not an object.
    mutating func jsonObject(limit: Int, required: Bool = true) async throws -> Fields {
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "too_large", "the request body is larger than \(limit) bytes")
        }
        if buffer.readableBytes == 0 {
            if required { throw APIError.badRequest("the request needs a JSON object as its body") }
            return Fields(JSONObject())
        }
        let type = headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send the body as JSON with 'Content-Type: application/json' (it was '\(type.prefix(60))')")
        }
        let value: JSONValue
        do {
            value = try buffer.withUnsafeReadableBytes { try JSONParser.parse($0) }
        } catch {
            throw APIError.badRequest("the body is not valid JSON: \(error)")
        }
        guard let object = value.objectValue else {
            throw APIError.badRequest("the body must be a JSON object ({...}), not \(value.typeName)")
        }
        return Fields(object)
    }
}

/// Typed, bounded reads of a JSON object's members, each failing with a message that names the member,
/// says what it must be and what was sent. Absent and `null` members take the default.
public struct Fields: Sendable {
    public let object: JSONObject
    /// Prefix for member names in messages ("override_settings.").
    let path: String

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], v != .null else { return nil }
        return v
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    func invalid(_ key: String, _ expectation: String, _ got: JSONValue) -> APIError {
        .invalid("\(path)\(key) must be \(expectation), got \(got.brief)")
    }

    public func string(_ key: String, default fallback: String, maxCharacters: Int) throws -> String {
        guard let v = value(key) else { return fallback }
        guard case .string(let s) = v else { throw invalid(key, "a string", v) }
        let count = s.count
        guard count <= maxCharacters else {
            throw APIError.invalid("\(path)\(key) has \(count) characters; the limit is \(maxCharacters)")
        }
        return s
    }

    public func optionalString(_ key: String, maxCharacters: Int) throws -> String? {
        has(key) ? try string(key, default: "", maxCharacters: maxCharacters) : nil
    }

    /// A whole number (written as an integer, or as a number with no fraction: 20.0) in `range`.
    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let v = value(key) else { return fallback }
        let expectation = "a whole number from \(range.lowerBound) to \(range.upperBound)"
        let n: Int
        switch v {
        case .integer(let i): n = i
        case .number(let text):
            guard let d = Double(text), d == d.rounded(), abs(d) < 9.2e18 else { throw invalid(key, expectation, v) }
            n = Int(d)
        default: throw invalid(key, expectation, v)
        }
        guard range.contains(n) else { throw invalid(key, expectation, v) }
        return n
    }

    public func double(_ key: String, default fallback: Double, range: ClosedRange<Double>) throws -> Double {
        guard let v = value(key) else { return fallback }
        let expectation = "a number from \(Self.short(range.lowerBound)) to \(Self.short(range.upperBound))"
        guard let d = v.doubleValue, d.isFinite else { throw invalid(key, expectation, v) }
        guard range.contains(d) else { throw invalid(key, expectation, v) }
        return d
    }

    public func optionalDouble(_ key: String, range: ClosedRange<Double>) throws -> Double? {
        has(key) ? try double(key, default: 0, range: range) : nil
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard let v = value(key) else { return fallback }
        guard case .bool(let b) = v else { throw invalid(key, "true or false", v) }
        return b
    }

    /// A seed: -1 (or absent) for a random one, else a whole number in `ParameterRules.seed`.
    public func seed(_ key: String) throws -> UInt64? {
        guard let v = value(key) else { return nil }
        let range = ParameterRules.seed
        let expectation = "-1 (random) or a whole number from 0 to \(range.upperBound)"
        let n: Int
        switch v {
        case .integer(let i): n = i
        case .number(let text):
            guard let d = Double(text), d == d.rounded(), abs(d) <= Double(range.upperBound) else { throw invalid(key, expectation, v) }
            n = Int(d)
        default: throw invalid(key, expectation, v)
        }
        if n == -1 { return nil }
        guard range.contains(n) else { throw invalid(key, expectation, v) }
        return UInt64(n)
    }

    public func object(_ key: String) throws -> Fields? {
        guard let v = value(key) else { return nil }
        guard case .object(let o) = v else { throw invalid(key, "an object", v) }
        return Fields(o, path: "\(path)\(key).")
    }

    /// Refuses members not in `known` (typos such as "stpes" would otherwise be ignored silently).
    public func rejectUnknown(_ known: [String]) throws {
        for key in object.keys where !known.contains(key) {
            throw APIError.invalid("unknown member '\(path)\(String(key.prefix(60)))'; the known ones are \(known.joined(separator: ", "))")
        }
    }

    static func short(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
    }
}
