#if canImport(Glibc)
import Glibc
#endif

/// Compiled kernel images on disk, so a process does not run NVRTC again for kernels an earlier one built.
///
/// Folder: `BANTAM_KERNEL_CACHE` if set ("off" disables the cache), else `$XDG_CACHE_HOME/bantam/kernels`,
/// else `~/.cache/bantam/kernels`. File name: `<family>-<source hash>-<target>-nvrtc<version>`, e.g.
/// `copy-3f2a...-sm_90.cubin-nvrtc13.0`; the hash covers the whole program text and the options, so an
/// edited kernel never meets a stale image. Files are written to a temporary name and renamed (atomic), and
/// any read or write problem only means compiling again.
public struct KernelDiskCache: Sendable {
    /// The folder, or nil when disabled or no home folder is known.
    public let directory: String?

    public init(directory: String?) { self.directory = directory }

    /// The folder chosen from the environment variables.
    public static func fromEnvironment(_ variables: [String: String]) -> KernelDiskCache {
        if let explicit = variables["BANTAM_KERNEL_CACHE"], !explicit.isEmpty {
            return KernelDiskCache(directory: explicit == "off" ? nil : explicit)
        }
        if let xdg = variables["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return KernelDiskCache(directory: xdg + "/bantam/kernels") }
        if let home = variables["HOME"], !home.isEmpty { return KernelDiskCache(directory: home + "/.cache/bantam/kernels") }
        return KernelDiskCache(directory: nil)
    }

    /// The file name for a compiled family.
    public static func fileName(family: String, programHash: UInt64, target: KernelTarget, nvrtcVersion: String) -> String {
        "\(family)-\(KernelSources.hex(programHash))-\(target.fileTag)-nvrtc\(nvrtcVersion)"
    }

    /// The cached image, or nil.
    public func load(_ name: String) -> [UInt8]? {
        guard let directory else { return nil }
        let fd = open(directory + "/" + name, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0, info.st_size < 256 << 20 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { return nil }
            done += n
        }
        return bytes
    }

    /// Stores an image (best effort: returns false on any failure).
    @discardableResult
    public func store(_ name: String, _ bytes: [UInt8]) -> Bool {
        guard let directory, Self.makeDirectories(directory) else { return false }
        let temporary = "\(directory)/.\(name).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return false }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { break }
            done += n
        }
        close(fd)
        guard done == bytes.count, rename(temporary, directory + "/" + name) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return false }
        }
        return true
    }
}
