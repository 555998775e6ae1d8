/// Why a tokenizer could not be loaded: one line that names the file or field and says what to do.
///
/// Tokenizing itself never fails (every string has token ids); only reading the vocabulary files can.
public struct TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
