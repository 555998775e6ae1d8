#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BantamJSON

/// Small text files (configs) read whole, and the few values the pipeline takes from diffusers
/// `config.json` files itself.
enum TextFile {
    /// The file's bytes as UTF-8 text; refuses files over `limit` bytes (a wrong path should not read GBs).
    static func read(_ path: String, limit: Int = 1 << 22) throws -> String {
        guard let file = fopen(path, "rb") else {
            throw ModelFilesError.message("\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n == 0 { break }
            bytes += chunk[..<n]
            if bytes.count > limit { throw ModelFilesError.message("\(path): larger than \(limit) bytes; not a config file") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// An array of integers from a JSON object file (e.g. `axes_dims_rope` of a FLUX transformer config);
    /// nil when the key is absent or null.
    static func integers(_ key: String, inJSONFile path: String) throws -> [Int]? {
        let root: JSONValue
        do { root = try JSONParser.parse(try read(path)) } catch let error as ModelFilesError { throw error } catch {
            throw ModelFilesError.message("\(path): not valid JSON (\(error))")
        }
        guard let value = root.objectValue?[key], value != .null else { return nil }
        guard let items = value.arrayValue, items.allSatisfy({ $0.integerValue != nil }) else {
            throw ModelFilesError.message("\(path): \"\(key)\" is \(value.brief); expected a list of integers")
        }
        return items.compactMap(\.integerValue)
    }
}
