import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command writes text. Commands never print directly: they write to `Console.output` and
/// `Console.errors`, which tests replace with a `CapturedOutput` to read what a command said.
public protocol TextOutput: Sendable {
    func write(_ text: String)
}

extension TextOutput {
    /// Writes `line` and a newline.
    public func line(_ line: String = "") { write(line + "\n") }
}

/// The process's standard output. Unbuffered (one write(2) per call), so it interleaves with stderr in order.
public struct StandardOutput: TextOutput {
    public init() {}
    public func write(_ text: String) { FileDescriptorOutput.write(text, to: 1) }
}

/// The process's standard error.
public struct StandardError: TextOutput {
    public init() {}
    public func write(_ text: String) { FileDescriptorOutput.write(text, to: 2) }
}

enum FileDescriptorOutput {
    /// Writes all of `text` to `fd`, retrying short writes; gives up quietly on a closed pipe.
    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                #if canImport(Glibc)
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                #else
                let n = Darwin.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                #endif
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
            }
        }
    }
}

/// Collects everything written, for tests (thread-safe: kernels may report from worker threads).
public final class CapturedOutput: TextOutput, @unchecked Sendable {
    private let queue = DispatchQueue(label: "bantam.captured-output")
    private var buffer = ""

    public init() {}

    public func write(_ text: String) { queue.sync { buffer += text } }

    /// Everything written so far.
    public var text: String { queue.sync { buffer } }
}

/// The output sinks of the running command (task-local, so concurrent in-process runs stay apart).
public enum Console {
    @TaskLocal public static var output: any TextOutput = StandardOutput()
    @TaskLocal public static var errors: any TextOutput = StandardError()
}
