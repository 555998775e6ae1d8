#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory (`mmap` PROT_READ, MAP_PRIVATE), unmapped on deinit.
///
/// Nothing is read when the mapping is made: the kernel pages bytes in when they are first touched, so a
/// checkpoint's header costs a few pages and each tensor costs its own bytes only. The descriptor is closed
/// right after mapping (the mapping keeps the file alive). An empty file has no mapping (`bytes` is empty).
/// Opened with O_NONBLOCK so that a FIFO passed by mistake is rejected instead of blocking forever.
///
/// A file truncated by another process while mapped makes reads beyond its new end fault (SIGBUS); no
/// reader of memory-mapped files can prevent that, so checkpoints must not be rewritten in place while
/// loaded (the writer here replaces files by rename, which leaves existing mappings intact).
final class MappedFile: @unchecked Sendable {
    let path: String
    /// The mapped bytes (empty for an empty file). Valid as long as this object lives.
    let bytes: UnsafeRawBufferPointer
    private let mapping: UnsafeMutableRawPointer?

    /// Opens and maps `path`; throws `CheckpointError` naming the file and the reason it cannot be used.
    init(path: String) throws(CheckpointError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            throw CheckpointError(file: path, reason: "cannot open the file: \(FileSystem.errnoMessage(code))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError(file: path, reason: "cannot read the file's size: \(FileSystem.errnoMessage())")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR:
            throw CheckpointError(file: path, reason: "is a directory, not a .safetensors file (pass the file, or a folder to Checkpoint)")
        default:
            throw CheckpointError(file: path, reason: "is not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else {
            self.mapping = nil
            self.bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw CheckpointError(file: path, reason: "cannot memory-map \(size) bytes: \(FileSystem.errnoMessage())")
        }
        self.mapping = address
        self.bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    var count: Int { bytes.count }

    deinit {
        if let mapping { munmap(mapping, bytes.count) }
    }
}
