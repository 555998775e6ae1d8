import BantamJSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads small tokenizer files (a few MB at most) whole, with plain POSIX calls (no Foundation).
enum FileBytes {
    /// Files larger than this are not tokenizer files; refusing them keeps a wrong path from eating memory.
    static let maxSize = 256 << 20

    /// The whole content of the regular file at `path`.
    static func bytes(at path: String) throws(TokenizerError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw TokenizerError("cannot open \(path): \(errnoText()); check the path") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TokenizerError("cannot read the size of \(path): \(errnoText())") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw TokenizerError("\(path) is not a regular file; pass the tokenizer file (or its folder to load(directory:))")
        }
        let size = Int(info.st_size)
        guard size <= maxSize else { throw TokenizerError("\(path) is \(size) bytes, too large for a tokenizer file") }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TokenizerError("cannot read \(path): \(n < 0 ? errnoText() : "file shrank while reading")") }
            done += n
        }
        return bytes
    }

    /// The file's content as text; invalid UTF-8 is an error (tokenizer text files are UTF-8).
    static func text(at path: String) throws(TokenizerError) -> String {
        let data = try bytes(at: path)
        let invalid = data.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset($0) }
        if let invalid { throw TokenizerError("\(path) is not valid UTF-8 text (bad byte at offset \(invalid))") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether `path` names an existing regular file.
    static func isFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG
    }

    /// Whether `path` names an existing directory.
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// `directory/name`, without doubling a trailing slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func errnoText() -> String {
        guard let text = strerror(errno) else { return "error \(errno)" }
        return String(cString: text)
    }
}
