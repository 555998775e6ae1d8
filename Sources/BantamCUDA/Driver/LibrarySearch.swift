#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the file system for the library search; tests replace it with a fake layout.
public protocol FileSystemProbe: Sendable {
    /// Names of the entries of `directory` (no "." or ".."), or nil when it cannot be listed.
    func entries(of directory: String) -> [String]?
    /// Whether a file (or a link to one) exists at `path`.
    func fileExists(_ path: String) -> Bool
}

/// The real file system, through opendir/readdir and access.
public struct RealFileSystem: FileSystemProbe {
    public init() {}

    public func entries(of directory: String) -> [String]? {
        guard let dir = opendir(directory) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
}

/// What the library search looks at: environment variables, the home folder and the file system.
public struct SearchEnvironment: Sendable {
    public var variables: [String: String]
    public var fileSystem: any FileSystemProbe

    public init(variables: [String: String], fileSystem: any FileSystemProbe) {
        self.variables = variables
        self.fileSystem = fileSystem
    }

    /// This process's environment and the real file system.
    public static var current: SearchEnvironment {
        SearchEnvironment(variables: ProcessEnvironment.all(), fileSystem: RealFileSystem())
    }
}

/// A library the CUDA backend loads: its file names in order of preference and where pip puts it.
public struct LibrarySpec: Sendable, Hashable {
    /// Human name for messages: "NVIDIA driver", "NVRTC", "cuBLASLt".
    public let title: String
    /// File names, preferred first (libnvrtc.so.13 before libnvrtc.so.12 before libnvrtc.so).
    public let fileNames: [String]
    /// Whether CUDA toolkit folders (/usr/local/cuda*) may hold it (not the driver: only stubs live there).
    public let inToolkit: Bool
    /// Sub-folders of `site-packages/nvidia/` whose `lib/` may hold it (pip wheels).
    public let pipPackages: [String]
    /// What to tell a user who does not have it.
    public let installHint: String

    public static let driver = LibrarySpec(
        title: "NVIDIA driver", fileNames: ["libcuda.so.1", "libcuda.so"], inToolkit: false, pipPackages: [],
        installHint: "install the NVIDIA driver, or point BANTAM_CUDA_LIBS at the folder holding libcuda.so.1")
    public static let nvrtc = LibrarySpec(
        title: "NVRTC", fileNames: ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"], inToolkit: true,
        pipPackages: ["cu13", "cu12", "cuda_nvrtc"],
        installHint: "install the CUDA toolkit or `pip install nvidia-cuda-nvrtc`, or point BANTAM_CUDA_LIBS at the folder holding libnvrtc.so")
    public static let cublasLt = LibrarySpec(
        title: "cuBLASLt", fileNames: ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"], inToolkit: true,
        pipPackages: ["cu13", "cu12", "cublas"],
        installHint: "install the CUDA toolkit or `pip install nvidia-cublas`, or point BANTAM_CUDA_LIBS at the folder holding libcublasLt.so")
}

/// Where to look for a library, in order, and a description of the places for messages.
public struct LibraryCandidates: Sendable, Equatable {
    /// Paths to try with dlopen, in order. Bare file names ask the loader's default search
    /// (LD_LIBRARY_PATH, the ld.so cache, the system folders); paths name existing files.
    public var paths: [String]
    /// The places looked at, for the "not found (searched ...)" message.
    public var searched: [String]
}

/// The ordered library search of the CUDA backend:
/// 1. every folder in `BANTAM_CUDA_LIBS` (colon-separated), in order;
/// 2. the dynamic loader's default search (LD_LIBRARY_PATH, ld.so.cache);
/// 3. CUDA toolkits: /usr/local/cuda/lib64, /usr/local/cuda/targets/x86_64-linux/lib, then every
///    /usr/local/cuda-X.Y (newest version first) in the same two places;
/// 4. pip wheels: `nvidia/<package>/lib` inside the site-packages folders of $VIRTUAL_ENV, $CONDA_PREFIX,
///    /opt/*/.venv, /opt/*/venv, /opt/* (conda), ~/.local, /usr/local/lib and /usr/lib (newest Python first);
/// 5. /usr/lib/x86_64-linux-gnu, /usr/lib64 and /usr/lib/wsl/lib (the driver on WSL).
/// Toolkit and pip folders are searched only for NVRTC and cuBLASLt (they hold a stub libcuda at most).
/// Inside each folder the spec's file names are tried in order (newest major version first).
public enum LibrarySearch {
    public static func candidates(for spec: LibrarySpec, in environment: SearchEnvironment) -> LibraryCandidates {
        let fs = environment.fileSystem
        var result = LibraryCandidates(paths: [], searched: [])

        func folder(_ dir: String, label: String? = nil) {
            result.searched.append(label ?? dir)
            for name in spec.fileNames {
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                if fs.fileExists(path) && !result.paths.contains(path) { result.paths.append(path) }
            }
        }

        // 1. Explicit folders.
        if let list = environment.variables["BANTAM_CUDA_LIBS"] {
            for dir in list.split(separator: ":").map(String.init) where !dir.isEmpty {
                folder(dir, label: "BANTAM_CUDA_LIBS=\(dir)")
            }
        }
        // 2. The loader's own search.
        result.searched.append("the loader's default path")
        result.paths.append(contentsOf: spec.fileNames)

        // 3. CUDA toolkits.
        if spec.inToolkit {
            for dir in toolkitFolders(fs) where fs.entries(of: dir) != nil { folder(dir) }
        }
        // 4. pip wheels.
        for site in sitePackages(environment) {
            for package in spec.pipPackages {
                let dir = site + "/nvidia/" + package + "/lib"
                if fs.entries(of: dir) != nil { folder(dir) }
            }
        }
        // 5. System folders.
        for dir in ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib"] where fs.entries(of: dir) != nil {
            folder(dir)
        }
        return result
    }

    /// /usr/local/cuda first, then /usr/local/cuda-X.Y newest first, each with lib64 and targets/.../lib.
    static func toolkitFolders(_ fs: any FileSystemProbe) -> [String] {
        let versions = (fs.entries(of: "/usr/local") ?? [])
            .filter { $0.hasPrefix("cuda-") }
            .sorted { isNewer(versionKey($0), than: versionKey($1)) }
        return (["cuda"] + versions).flatMap { name in
            ["/usr/local/\(name)/lib64", "/usr/local/\(name)/targets/x86_64-linux/lib"]
        }
    }

    /// Folders that may hold pip's `nvidia/` packages, in search order.
    static func sitePackages(_ environment: SearchEnvironment) -> [String] {
        let fs = environment.fileSystem
        var roots: [String] = []   // prefixes whose lib/python3*/{site,dist}-packages are searched
        if let venv = environment.variables["VIRTUAL_ENV"], !venv.isEmpty { roots.append(venv) }
        if let conda = environment.variables["CONDA_PREFIX"], !conda.isEmpty { roots.append(conda) }
        for name in (fs.entries(of: "/opt") ?? []).sorted() {
            roots.append("/opt/\(name)/.venv")
            roots.append("/opt/\(name)/venv")
            roots.append("/opt/\(name)")
        }
        if let home = environment.variables["HOME"], !home.isEmpty { roots.append(home + "/.local") }
        roots.append("/usr/local")
        roots.append("/usr")

        var folders: [String] = []
        for root in roots {
            let lib = root + "/lib"
            let pythons = (fs.entries(of: lib) ?? [])
                .filter { $0.hasPrefix("python3") }
                .sorted { isNewer(versionKey($0), than: versionKey($1)) }
            for python in pythons {
                for kind in ["site-packages", "dist-packages"] {
                    let dir = "\(lib)/\(python)/\(kind)"
                    if fs.entries(of: dir) != nil && !folders.contains(dir) { folders.append(dir) }
                }
            }
        }
        return folders
    }

    /// Lexicographic comparison of version numbers ([12, 10] newer than [12, 4] newer than [12]).
    public static func isNewer(_ lhs: [Int], than rhs: [Int]) -> Bool {
        for (a, b) in zip(lhs, rhs) where a != b { return a > b }
        return lhs.count > rhs.count
    }

    /// The numbers in a name ("cuda-12.10" -> [12, 10], "python3.12" -> [3, 12]) for newest-first sorting.
    public static func versionKey(_ name: String) -> [Int] {
        var parts: [Int] = []
        var current: Int? = nil
        for c in name.unicodeScalars {
            if let digit = Int(String(c)), c.properties.numericType != nil {
                current = (current ?? 0) * 10 + digit
            } else if let value = current {
                parts.append(value)
                current = nil
            }
        }
        if let current { parts.append(current) }
        return parts
    }
}


/// The process environment as a dictionary (Glibc's `environ`, no Foundation).
public enum ProcessEnvironment {
    public static func all() -> [String: String] {
        var result: [String: String] = [:]
        #if canImport(Glibc)
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                result[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            cursor += 1
        }
        #endif
        return result
    }

    /// One variable, or nil when unset.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
