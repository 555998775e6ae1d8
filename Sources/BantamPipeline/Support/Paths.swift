#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// File-system questions the pipeline asks about user-given paths (no Foundation).
enum Paths {
    enum Kind { case missing, file, directory, other }

    /// What `path` is, following symbolic links.
    static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    static func isFile(_ path: String) -> Bool { kind(of: path) == .file }
    static func isDirectory(_ path: String) -> Bool { kind(of: path) == .directory }

    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The folder part of `path` ("." for a bare name), without trailing slashes.
    static func directoryName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }

    /// The last component of `path`, without trailing slashes.
    static func baseName(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        return p.lastIndex(of: "/").map { String(p[p.index(after: $0)...]) } ?? String(p)
    }

    /// The base name without a checkpoint extension (".safetensors", ".sft", ".safetensors.index.json").
    static func stem(_ path: String) -> String {
        var name = baseName(path)
        for suffix in [".safetensors.index.json", ".safetensors", ".sft", ".json"] where name.hasSuffix(suffix) {
            name.removeLast(suffix.count)
            break
        }
        return name
    }
}
