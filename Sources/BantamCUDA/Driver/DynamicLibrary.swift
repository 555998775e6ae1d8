import BantamCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shared library opened with `dlopen` and kept open for the life of the process.
///
/// Functions are looked up by name and cast to a `@convention(c)` function type; nothing about CUDA is
/// known at build time. Kernel and GEMM code that needs a symbol the runtime does not wrap (a cuBLASLt
/// function, say) calls `function(_:as:)` on the library it wants.
public final class DynamicLibrary: @unchecked Sendable {
    /// The file name or path that was passed to `dlopen` (e.g. "libcuda.so.1").
    public let requestedPath: String
    /// The file the dynamic loader actually opened (absolute path as the loader reports it).
    public let loadedPath: String
    /// `loadedPath` with every symbolic link resolved (libcuda.so.1 -> libcuda.so.580.95.05).
    public let resolvedPath: String
    let handle: UnsafeMutableRawPointer

    /// Opens `path` (a bare name searches the loader's default path; a path with '/' opens that file).
    /// Returns nil with the loader's message when the file is missing or cannot be loaded.
    public static func open(_ path: String) -> Result<DynamicLibrary, DynamicLibraryError> {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let message = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            return .failure(DynamicLibraryError(path: path, message: message))
        }
        return .success(DynamicLibrary(handle: handle, requestedPath: path))
    }

    private init(handle: UnsafeMutableRawPointer, requestedPath: String) {
        self.handle = handle
        self.requestedPath = requestedPath
        let loaded = Self.loaderPath(handle) ?? requestedPath
        self.loadedPath = loaded
        self.resolvedPath = Self.realPath(loaded) ?? loaded
    }

    /// The address of `name`, or nil when the library does not export it.
    public func address(of name: String) -> UnsafeMutableRawPointer? {
        dlsym(handle, name)
    }

    /// The function `name` as the C function type `type`; throws naming the symbol and library when absent.
    ///
    /// `type` must be a `@convention(c)` function type whose parameters match the C declaration exactly
    /// (pointer-sized handles as `OpaquePointer?` or `UnsafeMutableRawPointer?`, `int` as `Int32`,
    /// `size_t` as `Int`, `unsigned long long` as `UInt64`).
    public func function<T>(_ name: String, as type: T.Type) throws -> T {
        guard let pointer = dlsym(handle, name) else {
            throw TensorError.backendFailure(backend: "cuda",
                                             detail: "\(name) is missing from \(loadedPath); the library is too old or not the expected one")
        }
        return unsafeBitCast(pointer, to: T.self)
    }

    /// The function `name` as `type`, or nil when the library does not export it (for optional features).
    public func optionalFunction<T>(_ name: String, as type: T.Type) -> T? {
        dlsym(handle, name).map { unsafeBitCast($0, to: T.self) }
    }

    /// The path of the object behind `handle`, as the dynamic loader recorded it (glibc's `dlinfo` with
    /// RTLD_DI_LINKMAP; looked up at run time because Swift's Glibc module hides the GNU extensions).
    private static func loaderPath(_ handle: UnsafeMutableRawPointer) -> String? {
        #if canImport(Glibc)
        typealias DLInfo = @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafeMutableRawPointer?) -> Int32
        let rtldDiLinkmap: Int32 = 2
        guard let me = dlopen(nil, RTLD_NOW) else { return nil }
        defer { dlclose(me) }
        guard let symbol = dlsym(me, "dlinfo") else { return nil }
        let dlinfo = unsafeBitCast(symbol, to: DLInfo.self)
        var map: UnsafeMutablePointer<link_map>? = nil
        guard dlinfo(handle, rtldDiLinkmap, &map) == 0, let map, let name = map.pointee.l_name else { return nil }
        let path = String(cString: name)
        return path.isEmpty ? nil : path
        #else
        return nil
        #endif
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Why a library could not be opened: the path and the loader's own message.
public struct DynamicLibraryError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}
