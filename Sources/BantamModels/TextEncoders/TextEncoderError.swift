/// A problem with a text encoder's configuration or input that is not a weight-map problem (those are
/// `WeightMapError`s): an unreadable or inconsistent config.json, an unsupported variant, bad token ids.
/// The description is one line that says what is wrong and what to do.
public struct TextEncoderError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
