import BantamJSON
import BantamTestSupport
import BantamTokenizers
import Foundation

/// Paths and parsed goldens shared by the tokenizer tests.
enum TokenizerFixtures {
    /// Tests/BantamTokenizersTests/Fixtures (read by path; excluded from the target's sources).
    static let local: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/Fixtures"
    }()

    static func text(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TokenizerError("cannot read \(path)") }
        return [UInt8](data)
    }

    static func json(_ path: String) throws -> JSONObject {
        guard let object = try JSONParser.parse(text(path)).objectValue else { throw TokenizerError("\(path): not an object") }
        return object
    }

    /// A list of id lists (`null` entries become nil).
    static func idLists(_ object: JSONObject, _ key: String) throws -> [[Int]?] {
        guard let rows = object[key]?.arrayValue else { throw TokenizerError("no \(key)") }
        return rows.map { row in row.arrayValue.map { $0.compactMap(\.integerValue) } }
    }

    static func strings(_ object: JSONObject, _ key: String) throws -> [String] {
        guard let rows = object[key]?.arrayValue else { throw TokenizerError("no \(key)") }
        return rows.map { $0.stringValue ?? "" }
    }

    // Tokenizers built from the fixture files (each load is also a test of that loader).
    static func clipTiny() throws -> CLIPTokenizer {
        try CLIPTokenizer(vocabJSON: text(Fixtures.fluxTiny("tokenizers/clip/vocab.json")),
                          merges: text(Fixtures.fluxTiny("tokenizers/clip/merges.txt")))
    }

    static func clipTinyJSON() throws -> CLIPTokenizer {
        try CLIPTokenizer(tokenizerJSON: text(Fixtures.fluxTiny("diffusers/tokenizer/tokenizer.json")))
    }

    static func clipFull() throws -> CLIPTokenizer {
        try CLIPTokenizer(merges: text(Fixtures.fluxTiny("tokenizers/clip-full/merges.txt")))
    }

    static func t5Model() throws -> [UInt8] { try bytes(Fixtures.fluxTiny("tokenizers/t5/spiece.model")) }

    /// The FLUX.1 tokenizer_2 layout of the tiny T5 model: the committed template with the precompiled
    /// charsmap of spiece.model put back in (base64), as tokenizer_goldens.py took it out.
    static func t5FluxFormatJSON() throws -> String {
        let template = try text(local + "/t5-flux-format/tokenizer.json.template")
        let charsmap = try SentencePieceModel(bytes: t5Model()).precompiledCharsmap
        return template.replacingOccurrences(of: "@PRECOMPILED_CHARSMAP@", with: Data(charsmap).base64EncodedString())
    }

    /// Expected `encode` output: the unpadded ids padded with `pad` to `length`.
    static func padded(_ ids: [Int], to length: Int, with pad: Int) -> [Int] {
        ids + Array(repeating: pad, count: max(0, length - ids.count))
    }

    /// A prompt as Python would print it, for failure messages.
    static func show(_ prompt: String) -> String {
        var out = "\""
        for scalar in prompt.unicodeScalars {
            switch scalar.value {
            case 0x20..<0x7F where scalar != "\"" && scalar != "\\": out.unicodeScalars.append(scalar)
            case 0xA0... where !scalar.properties.isWhitespace && scalar.properties.generalCategory != .format:
                out.unicodeScalars.append(scalar)
            default: out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return String(out.prefix(160)) + (prompt.count > 150 ? "…\"" : "\"")
    }
}
