import BantamCore

/// An NVRTC program handle (C: `nvrtcProgram`).
public typealias NVRTCProgram = OpaquePointer
/// An NVRTC status (C: `nvrtcResult`); 0 is success.
public typealias NVRTCResult = Int32

/// The entry points of `libnvrtc.so` that Bantam uses, looked up once by name.
public struct NVRTCAPI: @unchecked Sendable {
    public typealias Version = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> NVRTCResult
    public typealias CreateProgram = @convention(c) (
        UnsafeMutablePointer<NVRTCProgram?>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, Int32,
        UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> NVRTCResult
    public typealias CompileProgram = @convention(c) (NVRTCProgram?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> NVRTCResult
    public typealias GetSize = @convention(c) (NVRTCProgram?, UnsafeMutablePointer<Int>?) -> NVRTCResult
    public typealias GetBytes = @convention(c) (NVRTCProgram?, UnsafeMutablePointer<CChar>?) -> NVRTCResult
    public typealias DestroyProgram = @convention(c) (UnsafeMutablePointer<NVRTCProgram?>?) -> NVRTCResult
    public typealias GetErrorString = @convention(c) (NVRTCResult) -> UnsafePointer<CChar>?
    public typealias GetNumSupportedArchs = @convention(c) (UnsafeMutablePointer<Int32>?) -> NVRTCResult
    public typealias GetSupportedArchs = @convention(c) (UnsafeMutablePointer<Int32>?) -> NVRTCResult

    public let library: DynamicLibrary
    public let nvrtcVersion: Version
    public let nvrtcCreateProgram: CreateProgram
    public let nvrtcCompileProgram: CompileProgram
    public let nvrtcGetPTXSize: GetSize
    public let nvrtcGetPTX: GetBytes
    /// CUBIN output (NVRTC 11.1 and later); nil on older libraries, which then produce PTX only.
    public let nvrtcGetCUBINSize: GetSize?
    public let nvrtcGetCUBIN: GetBytes?
    public let nvrtcGetProgramLogSize: GetSize
    public let nvrtcGetProgramLog: GetBytes
    public let nvrtcDestroyProgram: DestroyProgram
    public let nvrtcGetErrorString: GetErrorString
    public let nvrtcGetNumSupportedArchs: GetNumSupportedArchs?
    public let nvrtcGetSupportedArchs: GetSupportedArchs?

    public init(library: DynamicLibrary) throws {
        self.library = library
        nvrtcVersion = try library.function("nvrtcVersion", as: Version.self)
        nvrtcCreateProgram = try library.function("nvrtcCreateProgram", as: CreateProgram.self)
        nvrtcCompileProgram = try library.function("nvrtcCompileProgram", as: CompileProgram.self)
        nvrtcGetPTXSize = try library.function("nvrtcGetPTXSize", as: GetSize.self)
        nvrtcGetPTX = try library.function("nvrtcGetPTX", as: GetBytes.self)
        nvrtcGetCUBINSize = library.optionalFunction("nvrtcGetCUBINSize", as: GetSize.self)
        nvrtcGetCUBIN = library.optionalFunction("nvrtcGetCUBIN", as: GetBytes.self)
        nvrtcGetProgramLogSize = try library.function("nvrtcGetProgramLogSize", as: GetSize.self)
        nvrtcGetProgramLog = try library.function("nvrtcGetProgramLog", as: GetBytes.self)
        nvrtcDestroyProgram = try library.function("nvrtcDestroyProgram", as: DestroyProgram.self)
        nvrtcGetErrorString = try library.function("nvrtcGetErrorString", as: GetErrorString.self)
        nvrtcGetNumSupportedArchs = library.optionalFunction("nvrtcGetNumSupportedArchs", as: GetNumSupportedArchs.self)
        nvrtcGetSupportedArchs = library.optionalFunction("nvrtcGetSupportedArchs", as: GetSupportedArchs.self)
    }

    /// Searches for NVRTC and opens it (no driver or GPU needed: NVRTC is only a compiler).
    public static func load(environment: SearchEnvironment) -> Result<NVRTCAPI, CUDAUnavailable> {
        LibraryLoader.open(.nvrtc, in: environment).flatMap { library in
            do { return .success(try NVRTCAPI(library: library)) } catch {
                return .failure(CUDAUnavailable("NVRTC \(library.loadedPath) is unusable: \(error)"))
            }
        }
    }

    /// (major, minor), e.g. (13, 0).
    public var version: (major: Int, minor: Int) {
        var major: Int32 = 0, minor: Int32 = 0
        _ = nvrtcVersion(&major, &minor)
        return (Int(major), Int(minor))
    }

    /// The real architectures this NVRTC can compile for (75, 80, 86, 89, 90, ...), or nil when it cannot say.
    public var supportedArchitectures: [Int]? {
        guard let count = nvrtcGetNumSupportedArchs, let list = nvrtcGetSupportedArchs else { return nil }
        var n: Int32 = 0
        guard count(&n) == 0, n > 0 else { return nil }
        var archs = [Int32](repeating: 0, count: Int(n))
        guard list(&archs) == 0 else { return nil }
        return archs.map(Int.init)
    }

    public func describe(_ status: NVRTCResult) -> String {
        nvrtcGetErrorString(status).map { String(cString: $0) } ?? "NVRTC error \(status)"
    }
}
