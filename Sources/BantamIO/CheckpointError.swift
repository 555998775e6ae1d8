import BantamJSON
/// Every checkpoint problem: a file that cannot be opened, a malformed header, a tensor whose bytes do not
/// match its shape, a sharded index that disagrees with its shards, a failed write.
///
/// `description` is one line, "<file>: tensor '<name>': <reason>", with the tensor part left out when the
/// problem is not about one tensor, so a user always learns which file (and which tensor) to look at.
public struct CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path of the file the problem is in (the index file for index problems).
    public let file: String
    /// The tensor the problem is about, if any.
    public let tensor: String?
    /// What is wrong and, where it helps, what to do.
    public let reason: String

    public init(file: String, tensor: String? = nil, reason: String) {
        self.file = file
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        if let tensor {
            return "\(file): tensor '\(Self.printable(tensor))': \(reason)"
        }
        return "\(file): \(reason)"
    }

    /// A name as it can be shown on one line: control characters (a newline in a hostile tensor name)
    /// are written as escapes, and a huge name is cut after 200 characters, so the message stays one line.
    static func printable(_ text: String, limit: Int = 200) -> String {
        PrintableText.make(text, limit: limit)
    }
}
