import ArgumentParser
import BantamCore
import BantamIO

/// Runs `bantam` with the given arguments: parses, runs the subcommand, and turns every error into one
/// line on the error sink and an exit status — never a stack trace. The `bantam` executable calls this
/// with the process's arguments; tests call it with their own arguments and captured sinks.
public enum BantamMain {
    /// Parses and runs `arguments` (without the program name); returns the exit status.
    public static func run(_ arguments: [String], output: any TextOutput = StandardOutput(),
                           errors: any TextOutput = StandardError()) async -> Int32 {
        await Console.$output.withValue(output) {
            await Console.$errors.withValue(errors) {
                do {
                    var command = try BantamCommand.parseAsRoot(arguments)
                    if var asyncCommand = command as? AsyncParsableCommand {
                        try await asyncCommand.run()
                    } else {
                        try command.run()
                    }
                    return BantamExitCode.success
                } catch {
                    return report(error, output: output, errors: errors)
                }
            }
        }
    }

    /// Writes the error's one-line description and returns its exit status. Help and `--version` come
    /// through here too, as ArgumentParser's "clean exits", and go to the output sink.
    static func report(_ error: any Error, output: any TextOutput, errors: any TextOutput) -> Int32 {
        let message: String
        let code: Int32
        switch error {
        case let e as CLIError:
            (message, code) = (e.message, e.exitCode)
        case let e as CheckpointError:
            (message, code) = (e.description, BantamExitCode.failure)
        case let e as TensorError:
            (message, code) = (e.description, isPending(e) ? BantamExitCode.unavailable : BantamExitCode.failure)
        case let e as ExitCode:
            return e.rawValue
        default:
            let parserCode = BantamCommand.exitCode(for: error)
            if parserCode == .success {
                output.line(BantamCommand.fullMessage(for: error))
                return BantamExitCode.success
            }
            if parserCode == .validationFailure {
                // ArgumentParser's own message, cut to its first line, plus where to look.
                var text = BantamCommand.message(for: error)
                if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
                let first = text.split(separator: "\n").first.map(String.init) ?? text
                (message, code) = ("\(first) (see 'bantam help')", BantamExitCode.usage)
            } else {
                (message, code) = (String(describing: error), parserCode.rawValue == 0 ? BantamExitCode.failure : parserCode.rawValue)
            }
        }
        errors.line("error: " + oneLine(message))
        return code
    }

    /// A kernel that exists in the op surface but not yet in the CPU backend.
    static func isPending(_ error: TensorError) -> Bool {
        if case .unsupported(_, _, let detail) = error { return detail.contains("not implemented yet") }
        return false
    }

    /// Newlines (from a wrapped library message) become "; " so the error stays one line.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingSpaces }.filter { !$0.isEmpty }
            .joined(separator: "; ")
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
