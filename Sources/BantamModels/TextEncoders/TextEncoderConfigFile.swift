import BantamJSON

/// The fields of a Hugging Face `config.json` (transformers' `CLIPTextConfig`, `T5Config`), read with typed
/// getters that return nil for an absent key and throw, naming the file and key, for a value of the
/// wrong type. Absent keys take transformers' defaults in the config types that use this.
struct TextEncoderConfigFile: Sendable {
    let object: JSONObject
    /// Where the fields come from, for messages ("…/text_encoder/config.json").
    let origin: String

    init(object: JSONObject, origin: String) {
        self.object = object
        self.origin = origin
    }

    /// Parses the text of a config.json.
    init(json text: String, origin: String = "config.json") throws {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw TextEncoderError("\(origin) is not valid JSON: \(error)")
        }
        guard let object = value.objectValue else {
            throw TextEncoderError("\(origin) holds \(value.typeName); expected a JSON object of config fields")
        }
        self.init(object: object, origin: origin)
    }

    /// Reads and parses a config.json file.
    static func parse(file path: String) throws -> TextEncoderConfigFile {
        try TextEncoderConfigFile(json: try readText(path), origin: path)
    }

    /// A nested object (a full `CLIPConfig` keeps the text tower's fields under `text_config`).
    func child(_ key: String) throws -> TextEncoderConfigFile? {
        guard let value = object[key], value != .null else { return nil }
        guard let nested = value.objectValue else { throw wrongType(key, value, "an object") }
        return TextEncoderConfigFile(object: nested, origin: "\(origin) [\(key)]")
    }

    func int(_ key: String) throws -> Int? {
        guard let value = present(key) else { return nil }
        guard let i = value.integerValue else { throw wrongType(key, value, "an integer") }
        return i
    }

    func double(_ key: String) throws -> Double? {
        guard let value = present(key) else { return nil }
        guard let d = value.doubleValue else { throw wrongType(key, value, "a number") }
        return d
    }

    func string(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard let s = value.stringValue else { throw wrongType(key, value, "a string") }
        return s
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = present(key) else { return nil }
        guard case .bool(let b) = value else { throw wrongType(key, value, "true or false") }
        return b
    }

    /// A size field: a positive integer.
    func size(_ key: String) throws -> Int? {
        guard let i = try int(key) else { return nil }
        guard i > 0 else { throw TextEncoderError("\(origin): '\(key)' is \(i); expected a positive integer") }
        return i
    }

    private func present(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    private func wrongType(_ key: String, _ value: JSONValue, _ expected: String) -> TextEncoderError {
        TextEncoderError("\(origin): '\(key)' is \(value.brief); expected \(expected)")
    }

    /// The whole file as UTF-8 text.
    static func readText(_ path: String) throws -> String {
        do { return try SmallFile.text(at: path, maxSize: 1 << 24) } catch {
            throw TextEncoderError(error.message + "; expected a config.json")
        }
    }
}
