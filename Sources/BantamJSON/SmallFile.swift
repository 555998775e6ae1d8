#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem reading a small file; the message names the path and says what to check.
public struct SmallFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads small files (configs, tokenizer files: at most a few hundred MB) whole, with plain POSIX calls
/// (no Foundation). A size cap keeps a wrong path from reading gigabytes.
public enum SmallFile {
    public static let defaultMaxSize = 256 << 20

    /// The whole content of the regular file at `path`.
    public static func bytes(at path: String, maxSize: Int = defaultMaxSize) throws(SmallFileError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SmallFileError("cannot open \(path): \(errnoText()); check the path") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SmallFileError("cannot read the size of \(path): \(errnoText())") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SmallFileError("\(path) is not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= maxSize else { throw SmallFileError("\(path) is \(size) bytes; larger than expected (at most \(maxSize))") }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SmallFileError("cannot read \(path): \(n < 0 ? errnoText() : "file shrank while reading")") }
            done += n
        }
        return bytes
    }

    /// The file's content as UTF-8 text; invalid UTF-8 is an error.
    public static func text(at path: String, maxSize: Int = defaultMaxSize) throws(SmallFileError) -> String {
        let data = try bytes(at: path, maxSize: maxSize)
        let invalid = data.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset($0) }
        if let invalid { throw SmallFileError("\(path) is not valid UTF-8 text (bad byte at offset \(invalid))") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The file parsed as JSON (errors name the file and the position).
    public static func json(at path: String, maxSize: Int = 16 << 20) throws(SmallFileError) -> JSONValue {
        let data = try bytes(at: path, maxSize: maxSize)
        do {
            return try data.withUnsafeBytes { buffer throws(JSONParseError) in try JSONParser.parse(buffer) }
        } catch {
            throw SmallFileError("\(path): \(error)")
        }
    }

    /// Whether `path` names an existing regular file.
    public static func isFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Whether `path` names an existing directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `directory/name`, without doubling a trailing slash.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The folder part of a path ("." for a bare name, "/" for a file at the root).
    public static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
