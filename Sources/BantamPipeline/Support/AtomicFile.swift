#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a whole file so that readers never see it half-written: the bytes go to a temporary file next
/// to the target, are flushed to disk, and the temporary file is renamed over the target.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Writes `bytes` to `path` atomically; on failure nothing is left behind.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = Paths.join(Paths.directoryName(path), ".\(Paths.baseName(path)).\(getpid()).partial")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw WriteError(description: "\(path): cannot create the file (\(message(errno))); check that the folder exists and is writable")
        }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { failure = n < 0 ? errno : EIO; return }
            }
        }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw WriteError(description: "\(path): cannot write the file (\(message(failure)))")
        }
    }

    private static func message(_ code: Int32) -> String { String(cString: strerror(code)) }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, buffer, count)
        #else
        return Darwin.write(fd, buffer, count)
        #endif
    }
}
