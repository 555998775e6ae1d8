#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written to `path + ".partial"` and renamed over `path` only when complete, so that no reader
/// ever sees a half-written file and an existing file (perhaps memory-mapped by a reader) is replaced, not
/// truncated. Errors are `CheckpointError`s naming the final path.
struct FileOutput {
    let path: String
    let partialPath: String
    private var descriptor: Int32

    init(path: String) throws(CheckpointError) {
        self.path = path
        self.partialPath = path + ".partial"
        let fd = open(partialPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CheckpointError(file: path, reason: "cannot create \(partialPath): \(FileSystem.errnoMessage())")
        }
        self.descriptor = fd
    }

    /// Writes all of `bytes` (retrying short writes and interruptions).
    func write(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw CheckpointError(file: path, reason: "write failed: \(FileSystem.errnoMessage())")
            }
            done += n
        }
    }

    /// Flushes to disk, closes and renames into place.
    mutating func commit() throws(CheckpointError) {
        guard fsync(descriptor) == 0 else {
            throw CheckpointError(file: path, reason: "fsync failed: \(FileSystem.errnoMessage())")
        }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw CheckpointError(file: path, reason: "close failed: \(FileSystem.errnoMessage())") }
        guard rename(partialPath, path) == 0 else {
            throw CheckpointError(file: path, reason: "cannot rename \(partialPath) into place: \(FileSystem.errnoMessage())")
        }
        // Make the rename itself durable (best effort: not every file system lets a directory be synced).
        let folder = open(FileSystem.directoryName(path), O_RDONLY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// Closes (if open) and removes the partial file after a failure.
    mutating func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(partialPath)
    }
}

/// `write(2)` under a name that does not collide with `FileOutput.write`.
@inline(__always)
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
