#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BantamCore

/// Why the CUDA backend cannot run here, as one line ("no NVIDIA driver: libcuda.so.1 not found (...)").
public struct CUDAUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The CUDA libraries of this process, loaded at run time with dlopen: the driver (required), NVRTC (needed
/// to compile kernels) and cuBLASLt (for GEMMs). Nothing is linked at build time, so a machine without an
/// NVIDIA driver runs Bantam on the CPU and gets a one-line reason instead of a crash.
///
/// `CUDARuntime.shared` loads once per process; `load(environment:)` searches afresh (tests, doctor).
public final class CUDARuntime: @unchecked Sendable {
    public let driver: DriverAPI
    /// The CUDA version the driver supports, e.g. 13000 for 13.0 (cuDriverGetVersion).
    public let driverAPIVersion: Int
    /// The driver release ("580.95.05") from the library's file name or /proc, when it can be found.
    public let driverRelease: String?
    /// Number of CUDA devices the driver sees.
    public let deviceCount: Int
    /// NVRTC, or why it is missing (kernels cannot be compiled without it).
    public let nvrtc: Result<NVRTCAPI, CUDAUnavailable>
    /// cuBLASLt (opened, not initialized; the GEMM code looks its functions up), or why it is missing.
    public let cublasLt: Result<DynamicLibrary, CUDAUnavailable>

    /// The process-wide runtime, loaded on first use.
    public static let shared: Result<CUDARuntime, CUDAUnavailable> = load(environment: .current)

    private init(driver: DriverAPI, driverAPIVersion: Int, driverRelease: String?, deviceCount: Int,
                 nvrtc: Result<NVRTCAPI, CUDAUnavailable>, cublasLt: Result<DynamicLibrary, CUDAUnavailable>) {
        self.driver = driver
        self.driverAPIVersion = driverAPIVersion
        self.driverRelease = driverRelease
        self.deviceCount = deviceCount
        self.nvrtc = nvrtc
        self.cublasLt = cublasLt
    }

    /// Finds and opens the libraries, initializes the driver and counts the devices. Fails with one line
    /// when there is no driver, the driver cannot initialize, or it sees no GPU; NVRTC and cuBLASLt are
    /// optional here (their absence is recorded, and reported when a kernel or GEMM needs them).
    public static func load(environment: SearchEnvironment) -> Result<CUDARuntime, CUDAUnavailable> {
        let library: DynamicLibrary
        switch LibraryLoader.open(.driver, in: environment) {
        case .success(let lib): library = lib
        case .failure(let error): return .failure(error)
        }
        let driver: DriverAPI
        do { driver = try DriverAPI(library: library) } catch {
            return .failure(CUDAUnavailable("NVIDIA driver \(library.loadedPath) is unusable: \(error); update the driver"))
        }
        let status = driver.cuInit(0)
        guard status == CUDAStatus.success else {
            let why = status == CUDAStatus.stubLibrary
                ? "it is the toolkit's stub library, not a driver; remove its folder from the library path"
                : driver.describe(status)
            return .failure(CUDAUnavailable("NVIDIA driver \(library.loadedPath) loaded but cuInit failed: \(why)"))
        }
        var version: Int32 = 0
        _ = driver.cuDriverGetVersion(&version)
        var count: Int32 = 0
        let countStatus = driver.cuDeviceGetCount(&count)
        guard countStatus == CUDAStatus.success, count > 0 else {
            return .failure(CUDAUnavailable("no CUDA GPU: the NVIDIA driver (\(library.loadedPath)) sees no device"))
        }
        let nvrtc = NVRTCAPI.load(environment: environment)
        let cublasLt = LibraryLoader.open(.cublasLt, in: environment)
        return .success(CUDARuntime(driver: driver, driverAPIVersion: Int(version),
                                    driverRelease: driverRelease(library), deviceCount: Int(count),
                                    nvrtc: nvrtc, cublasLt: cublasLt))
    }

    /// "13.0" for 13000.
    public var driverAPIVersionString: String { "\(driverAPIVersion / 1000).\(driverAPIVersion % 1000 / 10)" }

    /// cuBLASLt's version ("13.1.0") from cublasLtGetVersion, when it is loaded.
    public var cublasLtVersion: String? {
        guard case .success(let lib) = cublasLt,
              let getVersion = lib.optionalFunction("cublasLtGetVersion", as: (@convention(c) () -> Int).self) else { return nil }
        let v = getVersion()
        return "\(v / 10000).\(v % 10000 / 100).\(v % 100)"
    }

    /// The release number from the resolved file name (libcuda.so.580.95.05) or /proc/driver/nvidia/version.
    static func driverRelease(_ library: DynamicLibrary) -> String? {
        let file = library.resolvedPath.split(separator: "/").last.map(String.init) ?? ""
        let parts = file.split(separator: ".", omittingEmptySubsequences: false)
        if let so = parts.firstIndex(of: "so"), parts.count - so - 1 >= 2 {
            return parts[(so + 1)...].joined(separator: ".")
        }
        guard let text = TextFile.read("/proc/driver/nvidia/version", limit: 4096) else { return nil }
        // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue ..."
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .first { $0.split(separator: ".").count == 3 && $0.allSatisfy { $0.isNumber || $0 == "." } }
            .map(String.init)
    }
}

/// Opens the first loadable candidate of a library search.
public enum LibraryLoader {
    /// Searches `environment` for `spec` and opens it with dlopen.
    public static func open(_ spec: LibrarySpec, in environment: SearchEnvironment) -> Result<DynamicLibrary, CUDAUnavailable> {
        open(spec, candidates: LibrarySearch.candidates(for: spec, in: environment), opener: DynamicLibrary.open)
    }

    /// Tries `candidates.paths` in order with `opener` and returns the first that opens. The failure is one
    /// line: "no NVIDIA driver: libcuda.so.1 not found (searched ...)", or, when a file was found but would
    /// not load, the loader's message for it. Generic over the opened type so tests can use a fake opener.
    public static func open<Library>(_ spec: LibrarySpec, candidates: LibraryCandidates,
                                     opener: (String) -> Result<Library, DynamicLibraryError>) -> Result<Library, CUDAUnavailable> {
        var brokenFiles: [DynamicLibraryError] = []
        for path in candidates.paths {
            switch opener(path) {
            case .success(let library): return .success(library)
            case .failure(let error):
                // A bare name that the loader cannot find is simply absent; a file that exists but does not
                // load (wrong architecture, missing dependency) is worth reporting.
                if path.contains("/") || !error.message.contains("No such file") { brokenFiles.append(error) }
            }
        }
        let names = spec.fileNames.count == 1 ? spec.fileNames[0]
            : spec.fileNames.dropLast().joined(separator: ", ") + " or " + spec.fileNames.last!
        let searched = "(searched " + candidates.searched.joined(separator: ", ") + ")"
        let head = spec == .driver ? "no NVIDIA driver: \(spec.fileNames[0]) not found" : "\(spec.title) not found: no \(names)"
        if let broken = brokenFiles.first {
            return .failure(CUDAUnavailable("\(spec.title): found but could not load \(broken.path): \(broken.message); \(spec.installHint)"))
        }
        let hint = spec == .driver ? "" : "; \(spec.installHint)"
        return .failure(CUDAUnavailable("\(head) \(searched)\(hint)"))
    }
}

/// Small text files through Glibc (no Foundation).
enum TextFile {
    /// Up to `limit` bytes of the file as text, or nil when it cannot be read.
    static func read(_ path: String, limit: Int) -> String? {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: limit)
        let n = Glibc.read(fd, &bytes, limit)
        guard n >= 0 else { return nil }
        return String(decoding: bytes[0..<n], as: UTF8.self)
    }
}
