/// A problem with an autoencoder checkpoint, its config or its inputs that is not a per-tensor weight
/// mismatch (those are `WeightMapError`s): one line that says what is wrong and what to do.
public struct AutoencoderError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
