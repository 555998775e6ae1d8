import BantamQuant
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 of a file, read in 4 MiB pieces (a 24 GB checkpoint never sits in memory).
enum FileHash {
    static func sha256(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CLIError("cannot open \(path) to hash it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let size = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        var hasher = SHA256()
        while true {
            let n = read(fd, buffer, size)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw CLIError("reading \(path) failed: \(String(cString: strerror(errno)))")
            }
            hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
        }
        return hasher.finalizeHex()
    }
}
