/// Exit statuses of `bantam` (also listed in README.md).
public enum BantamExitCode {
    /// The command did what was asked.
    public static let success: Int32 = 0
    /// The input or the work failed: a missing path, an unreadable or malformed checkpoint, a folder with no
    /// safetensors, an op that threw.
    public static let failure: Int32 = 1
    /// The command line is wrong: unknown subcommand or option, missing or invalid argument.
    public static let usage: Int32 = 2
    /// The feature is not in this build yet (a CPU kernel still pending, for example).
    public static let unavailable: Int32 = 3
}

/// An error a command reports as one line, "error: <message>", with its exit status.
public struct CLIError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let exitCode: Int32

    public init(_ message: String, exitCode: Int32 = BantamExitCode.failure) {
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }
}
