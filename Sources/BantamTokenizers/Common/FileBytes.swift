import BantamJSON

/// Tokenizer files read whole through BantamJSON's `SmallFile`, with errors as `TokenizerError`.
enum FileBytes {
    static func bytes(at path: String) throws(TokenizerError) -> [UInt8] {
        do { return try SmallFile.bytes(at: path) } catch {
            throw TokenizerError(error.message + "; pass the tokenizer file (or its folder to load(directory:))")
        }
    }

    static func text(at path: String) throws(TokenizerError) -> String {
        do { return try SmallFile.text(at: path) } catch { throw TokenizerError(error.message) }
    }

    static func isFile(_ path: String) -> Bool { SmallFile.isFile(path) }
    static func isDirectory(_ path: String) -> Bool { SmallFile.isDirectory(path) }
    static func join(_ directory: String, _ name: String) -> String { SmallFile.join(directory, name) }
}
