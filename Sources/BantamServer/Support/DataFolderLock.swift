#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on the data folder (`flock` on `<data>/.lock`), held while the server runs, so two
/// servers never share one history: the second one stops at start with a message instead.
public final class DataFolderLock: Sendable {
    private let descriptor: Int32

    public init(folder: String) throws {
        let path = Files.join(folder, ".lock")
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw Files.Failure("\(path): cannot open (\(Files.message(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw Files.Failure("\(folder) is in use by another bantam serve; stop it, or give this one another --data folder")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
