/// A generation request or input file that cannot be used; `description` is one line saying what is
/// wrong and what to do.
public struct PipelineError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
