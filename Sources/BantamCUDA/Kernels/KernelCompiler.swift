#if canImport(Glibc)
import Glibc
#endif
import BantamCore

/// What NVRTC produces for a device.
public enum KernelTarget: Sendable, Hashable, CustomStringConvertible {
    /// Machine code for exactly this architecture (`--gpu-architecture=sm_XX`): loads without JIT.
    case cubin(arch: Int)
    /// PTX for a virtual architecture (`compute_XX`), compiled by the driver at load time; used when this
    /// NVRTC is older than the GPU.
    case ptx(arch: Int)

    public var option: String {
        switch self {
        case .cubin(let arch): return "--gpu-architecture=sm_\(arch)"
        case .ptx(let arch): return "--gpu-architecture=compute_\(arch)"
        }
    }

    public var description: String {
        switch self {
        case .cubin(let arch): return "sm_\(arch) CUBIN"
        case .ptx(let arch): return "compute_\(arch) PTX"
        }
    }

    /// Short tag for cache file names: "sm_90.cubin" / "compute_89.ptx".
    var fileTag: String {
        switch self {
        case .cubin(let arch): return "sm_\(arch).cubin"
        case .ptx(let arch): return "compute_\(arch).ptx"
        }
    }

    /// The best target for a GPU of `capability` given the architectures this NVRTC supports (nil when it
    /// cannot tell): CUBIN for the exact architecture when supported, else PTX for the newest supported
    /// architecture below it (the driver JIT-compiles it), else nil (the GPU is too old for this NVRTC).
    public static func best(for capability: ComputeCapability, supported: [Int]?) -> KernelTarget? {
        let arch = capability.number
        guard let supported, !supported.isEmpty else { return .cubin(arch: arch) }
        if supported.contains(arch) { return .cubin(arch: arch) }
        if let below = supported.filter({ $0 < arch }).max() { return .ptx(arch: below) }
        return nil
    }
}

/// A compiled module image (CUBIN or PTX bytes; PTX is NUL-terminated as cuModuleLoadData wants).
public struct CompiledKernels: Sendable {
    public let family: String
    public let target: KernelTarget
    public let image: [UInt8]
    /// NVRTC's log (warnings), possibly empty.
    public let log: String
}

/// NVRTC failed to compile a family: `log` holds the full compiler output, `description` its first errors.
public struct KernelCompileError: Error, Sendable, CustomStringConvertible {
    public let family: String
    public let target: KernelTarget
    public let log: String

    public var description: String {
        let errors = log.split(separator: "\n").filter { $0.contains("error") }.prefix(3).map(String.init)
        let summary = errors.isEmpty ? String(log.split(separator: "\n").first ?? "no log") : errors.joined(separator: "; ")
        return "NVRTC could not compile \(family).cu for \(target): \(summary)"
    }
}

/// Compiles kernel families with NVRTC.
public struct KernelCompiler: Sendable {
    public let nvrtc: NVRTCAPI

    public init(nvrtc: NVRTCAPI) { self.nvrtc = nvrtc }

    /// The options every family is compiled with (besides the architecture).
    public static let baseOptions = ["--std=c++17", "-DBANTAM_KERNELS=1"]

    /// "13.0".
    public var versionString: String {
        let v = nvrtc.version
        return "\(v.major).\(v.minor)"
    }

    /// Compiles `family` (common header + family.cu) for `target`.
    public func compile(family: String, target: KernelTarget) throws -> CompiledKernels {
        guard let program = KernelSources.program(family: family) else {
            throw TensorError.invalidArgument("no kernel family '\(family)' (known: \(KernelSources.families.joined(separator: ", ")))")
        }
        return try compile(source: program, name: family, target: target)
    }

    /// Compiles a whole program text (for tests and tools).
    public func compile(source: String, name: String, target: KernelTarget) throws -> CompiledKernels {
        var program: NVRTCProgram? = nil
        let created = nvrtc.nvrtcCreateProgram(&program, source, name + ".cu", 0, nil, nil)
        guard created == 0, let program else {
            throw TensorError.backendFailure(backend: "cuda", detail: "nvrtcCreateProgram(\(name)) failed: \(nvrtc.describe(created))")
        }
        defer {
            var p: NVRTCProgram? = program
            _ = nvrtc.nvrtcDestroyProgram(&p)
        }
        let options = [target.option] + Self.baseOptions
        let status = withCStrings(options) { pointers in
            nvrtc.nvrtcCompileProgram(program, Int32(pointers.count), pointers.baseAddress)
        }
        let log = programLog(program)
        guard status == 0 else { throw KernelCompileError(family: name, target: target, log: log) }

        var image: [UInt8]
        switch target {
        case .cubin:
            guard let getSize = nvrtc.nvrtcGetCUBINSize, let get = nvrtc.nvrtcGetCUBIN else {
                throw TensorError.backendFailure(backend: "cuda", detail: "NVRTC \(versionString) cannot output CUBIN")
            }
            var size = 0
            guard getSize(program, &size) == 0, size > 0 else {
                throw TensorError.backendFailure(backend: "cuda", detail: "nvrtcGetCUBINSize(\(name)) failed")
            }
            image = [UInt8](repeating: 0, count: size)
            let ok = image.withUnsafeMutableBytes { get(program, $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            guard ok == 0 else { throw TensorError.backendFailure(backend: "cuda", detail: "nvrtcGetCUBIN(\(name)) failed") }
        case .ptx:
            var size = 0
            guard nvrtc.nvrtcGetPTXSize(program, &size) == 0, size > 0 else {
                throw TensorError.backendFailure(backend: "cuda", detail: "nvrtcGetPTXSize(\(name)) failed")
            }
            image = [UInt8](repeating: 0, count: size)     // includes the terminating NUL
            let ok = image.withUnsafeMutableBytes { nvrtc.nvrtcGetPTX(program, $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            guard ok == 0 else { throw TensorError.backendFailure(backend: "cuda", detail: "nvrtcGetPTX(\(name)) failed") }
        }
        return CompiledKernels(family: name, target: target, image: image, log: log)
    }

    private func programLog(_ program: NVRTCProgram) -> String {
        var size = 0
        guard nvrtc.nvrtcGetProgramLogSize(program, &size) == 0, size > 1 else { return "" }
        var bytes = [CChar](repeating: 0, count: size)
        guard nvrtc.nvrtcGetProgramLog(program, &bytes) == 0 else { return "" }
        return bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            .trimmingTrailingWhitespace
    }
}

extension String {
    var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let last = s.last, last == " " || last == "\n" || last == "\r" || last == "\t" || last == "\0" { s.removeLast() }
        return String(s)
    }
}

/// Calls `body` with a C array of C strings for `strings` (valid only inside `body`).
func withCStrings<R>(_ strings: [String], _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer(body)
}
