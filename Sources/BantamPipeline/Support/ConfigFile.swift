import BantamJSON

/// The few values the pipeline takes from diffusers `config.json` files itself.
enum ConfigFile {
    /// An array of integers from a JSON object file (e.g. `axes_dims_rope` of a FLUX transformer config);
    /// nil when the key is absent or null.
    static func integers(_ key: String, inJSONFile path: String) throws -> [Int]? {
        let root: JSONValue
        do { root = try SmallFile.json(at: path) } catch { throw PipelineError(error.description) }
        guard let value = root.objectValue?[key], value != .null else { return nil }
        guard let items = value.arrayValue, items.allSatisfy({ $0.integerValue != nil }) else {
            throw PipelineError("\(path): \"\(key)\" is \(value.brief); expected a list of integers")
        }
        return items.compactMap(\.integerValue)
    }
}
