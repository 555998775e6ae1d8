import BantamCore

/// Handles of the CUDA driver API, as opaque pointers (C: `struct CUctx_st *` and friends).
public typealias CUcontext = OpaquePointer
public typealias CUstream = OpaquePointer
public typealias CUevent = OpaquePointer
public typealias CUmodule = OpaquePointer
public typealias CUfunction = OpaquePointer
/// A device address (C: `CUdeviceptr`, an unsigned 64-bit integer).
public typealias CUdeviceptr = UInt64
/// A device ordinal handle (C: `CUdevice`, an int).
public typealias CUdevice = Int32
/// A driver API status (C: `CUresult`, an enum); 0 is success.
public typealias CUresult = Int32

/// The entry points of `libcuda.so.1` that Bantam uses, looked up once by name.
///
/// C signatures are transcribed by hand from the driver API documentation: `unsigned int` -> UInt32,
/// `int` -> Int32, `size_t` -> Int, `CUdeviceptr` -> UInt64, handles -> OpaquePointer. Versioned symbols
/// (`_v2`) are the ones the CUDA 12/13 headers map the plain names to.
public struct DriverAPI: @unchecked Sendable {
    public typealias Init = @convention(c) (UInt32) -> CUresult
    public typealias DriverGetVersion = @convention(c) (UnsafeMutablePointer<Int32>?) -> CUresult
    public typealias DeviceGet = @convention(c) (UnsafeMutablePointer<CUdevice>?, Int32) -> CUresult
    public typealias DeviceGetCount = @convention(c) (UnsafeMutablePointer<Int32>?) -> CUresult
    public typealias DeviceGetName = @convention(c) (UnsafeMutablePointer<CChar>?, Int32, CUdevice) -> CUresult
    public typealias DeviceGetAttribute = @convention(c) (UnsafeMutablePointer<Int32>?, Int32, CUdevice) -> CUresult
    public typealias DeviceTotalMem = @convention(c) (UnsafeMutablePointer<Int>?, CUdevice) -> CUresult
    public typealias PrimaryCtxRetain = @convention(c) (UnsafeMutablePointer<CUcontext?>?, CUdevice) -> CUresult
    public typealias PrimaryCtxRelease = @convention(c) (CUdevice) -> CUresult
    public typealias CtxSetCurrent = @convention(c) (CUcontext?) -> CUresult
    public typealias CtxSynchronize = @convention(c) () -> CUresult
    public typealias MemAlloc = @convention(c) (UnsafeMutablePointer<CUdeviceptr>?, Int) -> CUresult
    public typealias MemFree = @convention(c) (CUdeviceptr) -> CUresult
    public typealias MemGetInfo = @convention(c) (UnsafeMutablePointer<Int>?, UnsafeMutablePointer<Int>?) -> CUresult
    public typealias MemcpyHtoD = @convention(c) (CUdeviceptr, UnsafeRawPointer?, Int) -> CUresult
    public typealias MemcpyDtoH = @convention(c) (UnsafeMutableRawPointer?, CUdeviceptr, Int) -> CUresult
    public typealias MemcpyHtoDAsync = @convention(c) (CUdeviceptr, UnsafeRawPointer?, Int, CUstream?) -> CUresult
    public typealias MemcpyDtoHAsync = @convention(c) (UnsafeMutableRawPointer?, CUdeviceptr, Int, CUstream?) -> CUresult
    public typealias MemcpyDtoDAsync = @convention(c) (CUdeviceptr, CUdeviceptr, Int, CUstream?) -> CUresult
    public typealias MemsetD8Async = @convention(c) (CUdeviceptr, UInt8, Int, CUstream?) -> CUresult
    public typealias MemsetD16Async = @convention(c) (CUdeviceptr, UInt16, Int, CUstream?) -> CUresult
    public typealias MemsetD32Async = @convention(c) (CUdeviceptr, UInt32, Int, CUstream?) -> CUresult
    public typealias MemHostAlloc = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>?, Int, UInt32) -> CUresult
    public typealias MemFreeHost = @convention(c) (UnsafeMutableRawPointer?) -> CUresult
    public typealias StreamCreate = @convention(c) (UnsafeMutablePointer<CUstream?>?, UInt32) -> CUresult
    public typealias StreamHandle = @convention(c) (CUstream?) -> CUresult
    public typealias StreamWaitEvent = @convention(c) (CUstream?, CUevent?, UInt32) -> CUresult
    public typealias EventCreate = @convention(c) (UnsafeMutablePointer<CUevent?>?, UInt32) -> CUresult
    public typealias EventRecord = @convention(c) (CUevent?, CUstream?) -> CUresult
    public typealias EventHandle = @convention(c) (CUevent?) -> CUresult
    public typealias EventElapsedTime = @convention(c) (UnsafeMutablePointer<Float>?, CUevent?, CUevent?) -> CUresult
    public typealias ModuleLoadData = @convention(c) (UnsafeMutablePointer<CUmodule?>?, UnsafeRawPointer?) -> CUresult
    public typealias ModuleGetFunction = @convention(c) (UnsafeMutablePointer<CUfunction?>?, CUmodule?, UnsafePointer<CChar>?) -> CUresult
    public typealias ModuleUnload = @convention(c) (CUmodule?) -> CUresult
    public typealias FuncSetAttribute = @convention(c) (CUfunction?, Int32, Int32) -> CUresult
    public typealias FuncGetAttribute = @convention(c) (UnsafeMutablePointer<Int32>?, Int32, CUfunction?) -> CUresult
    public typealias LaunchKernel = @convention(c) (
        CUfunction?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, CUstream?,
        UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> CUresult
    public typealias GetErrorText = @convention(c) (CUresult, UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> CUresult

    public let library: DynamicLibrary
    public let cuInit: Init
    public let cuDriverGetVersion: DriverGetVersion
    public let cuDeviceGet: DeviceGet
    public let cuDeviceGetCount: DeviceGetCount
    public let cuDeviceGetName: DeviceGetName
    public let cuDeviceGetAttribute: DeviceGetAttribute
    public let cuDeviceTotalMem: DeviceTotalMem
    public let cuDevicePrimaryCtxRetain: PrimaryCtxRetain
    public let cuDevicePrimaryCtxRelease: PrimaryCtxRelease
    public let cuCtxSetCurrent: CtxSetCurrent
    public let cuCtxSynchronize: CtxSynchronize
    public let cuMemAlloc: MemAlloc
    public let cuMemFree: MemFree
    public let cuMemGetInfo: MemGetInfo
    public let cuMemcpyHtoD: MemcpyHtoD
    public let cuMemcpyDtoH: MemcpyDtoH
    public let cuMemcpyHtoDAsync: MemcpyHtoDAsync
    public let cuMemcpyDtoHAsync: MemcpyDtoHAsync
    public let cuMemcpyDtoDAsync: MemcpyDtoDAsync
    public let cuMemsetD8Async: MemsetD8Async
    public let cuMemsetD16Async: MemsetD16Async
    public let cuMemsetD32Async: MemsetD32Async
    public let cuMemHostAlloc: MemHostAlloc
    public let cuMemFreeHost: MemFreeHost
    public let cuStreamCreate: StreamCreate
    public let cuStreamSynchronize: StreamHandle
    public let cuStreamQuery: StreamHandle
    public let cuStreamDestroy: StreamHandle
    public let cuStreamWaitEvent: StreamWaitEvent
    public let cuEventCreate: EventCreate
    public let cuEventRecord: EventRecord
    public let cuEventSynchronize: EventHandle
    public let cuEventQuery: EventHandle
    public let cuEventElapsedTime: EventElapsedTime
    public let cuEventDestroy: EventHandle
    public let cuModuleLoadData: ModuleLoadData
    public let cuModuleGetFunction: ModuleGetFunction
    public let cuModuleUnload: ModuleUnload
    public let cuFuncSetAttribute: FuncSetAttribute
    public let cuFuncGetAttribute: FuncGetAttribute
    public let cuLaunchKernel: LaunchKernel
    public let cuGetErrorName: GetErrorText
    public let cuGetErrorString: GetErrorText

    /// Looks every entry point up; throws naming the first one missing (a driver too old for Bantam).
    public init(library: DynamicLibrary) throws {
        self.library = library
        cuInit = try library.function("cuInit", as: Init.self)
        cuDriverGetVersion = try library.function("cuDriverGetVersion", as: DriverGetVersion.self)
        cuDeviceGet = try library.function("cuDeviceGet", as: DeviceGet.self)
        cuDeviceGetCount = try library.function("cuDeviceGetCount", as: DeviceGetCount.self)
        cuDeviceGetName = try library.function("cuDeviceGetName", as: DeviceGetName.self)
        cuDeviceGetAttribute = try library.function("cuDeviceGetAttribute", as: DeviceGetAttribute.self)
        cuDeviceTotalMem = try library.function("cuDeviceTotalMem_v2", as: DeviceTotalMem.self)
        cuDevicePrimaryCtxRetain = try library.function("cuDevicePrimaryCtxRetain", as: PrimaryCtxRetain.self)
        cuDevicePrimaryCtxRelease = try library.function("cuDevicePrimaryCtxRelease_v2", as: PrimaryCtxRelease.self)
        cuCtxSetCurrent = try library.function("cuCtxSetCurrent", as: CtxSetCurrent.self)
        cuCtxSynchronize = try library.function("cuCtxSynchronize", as: CtxSynchronize.self)
        cuMemAlloc = try library.function("cuMemAlloc_v2", as: MemAlloc.self)
        cuMemFree = try library.function("cuMemFree_v2", as: MemFree.self)
        cuMemGetInfo = try library.function("cuMemGetInfo_v2", as: MemGetInfo.self)
        cuMemcpyHtoD = try library.function("cuMemcpyHtoD_v2", as: MemcpyHtoD.self)
        cuMemcpyDtoH = try library.function("cuMemcpyDtoH_v2", as: MemcpyDtoH.self)
        cuMemcpyHtoDAsync = try library.function("cuMemcpyHtoDAsync_v2", as: MemcpyHtoDAsync.self)
        cuMemcpyDtoHAsync = try library.function("cuMemcpyDtoHAsync_v2", as: MemcpyDtoHAsync.self)
        cuMemcpyDtoDAsync = try library.function("cuMemcpyDtoDAsync_v2", as: MemcpyDtoDAsync.self)
        cuMemsetD8Async = try library.function("cuMemsetD8Async", as: MemsetD8Async.self)
        cuMemsetD16Async = try library.function("cuMemsetD16Async", as: MemsetD16Async.self)
        cuMemsetD32Async = try library.function("cuMemsetD32Async", as: MemsetD32Async.self)
        cuMemHostAlloc = try library.function("cuMemHostAlloc", as: MemHostAlloc.self)
        cuMemFreeHost = try library.function("cuMemFreeHost", as: MemFreeHost.self)
        cuStreamCreate = try library.function("cuStreamCreate", as: StreamCreate.self)
        cuStreamSynchronize = try library.function("cuStreamSynchronize", as: StreamHandle.self)
        cuStreamQuery = try library.function("cuStreamQuery", as: StreamHandle.self)
        cuStreamDestroy = try library.function("cuStreamDestroy_v2", as: StreamHandle.self)
        cuStreamWaitEvent = try library.function("cuStreamWaitEvent", as: StreamWaitEvent.self)
        cuEventCreate = try library.function("cuEventCreate", as: EventCreate.self)
        cuEventRecord = try library.function("cuEventRecord", as: EventRecord.self)
        cuEventSynchronize = try library.function("cuEventSynchronize", as: EventHandle.self)
        cuEventQuery = try library.function("cuEventQuery", as: EventHandle.self)
        cuEventElapsedTime = try library.function("cuEventElapsedTime", as: EventElapsedTime.self)
        cuEventDestroy = try library.function("cuEventDestroy_v2", as: EventHandle.self)
        cuModuleLoadData = try library.function("cuModuleLoadData", as: ModuleLoadData.self)
        cuModuleGetFunction = try library.function("cuModuleGetFunction", as: ModuleGetFunction.self)
        cuModuleUnload = try library.function("cuModuleUnload", as: ModuleUnload.self)
        cuFuncSetAttribute = try library.function("cuFuncSetAttribute", as: FuncSetAttribute.self)
        cuFuncGetAttribute = try library.function("cuFuncGetAttribute", as: FuncGetAttribute.self)
        cuLaunchKernel = try library.function("cuLaunchKernel", as: LaunchKernel.self)
        cuGetErrorName = try library.function("cuGetErrorName", as: GetErrorText.self)
        cuGetErrorString = try library.function("cuGetErrorString", as: GetErrorText.self)
    }

    /// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)" for a status code.
    public func describe(_ status: CUresult) -> String {
        var name: UnsafePointer<CChar>? = nil
        var text: UnsafePointer<CChar>? = nil
        _ = cuGetErrorName(status, &name)
        _ = cuGetErrorString(status, &text)
        let n = name.map { String(cString: $0) } ?? "CUDA error \(status)"
        if let text { return "\(n) (\(String(cString: text)))" }
        return n
    }

    /// Throws `TensorError.backendFailure` naming `call` and the driver's error when `status` is not success.
    @inline(__always)
    public func check(_ status: CUresult, _ call: @autoclosure () -> String) throws {
        if status != CUDAStatus.success {
            throw TensorError.backendFailure(backend: "cuda", detail: "\(call()) failed: \(describe(status))")
        }
    }
}

/// Driver API status codes Bantam reacts to.
public enum CUDAStatus {
    public static let success: CUresult = 0
    public static let outOfMemory: CUresult = 2
    public static let notInitialized: CUresult = 3
    public static let stubLibrary: CUresult = 34
    public static let insufficientDriver: CUresult = 35
    public static let noDevice: CUresult = 100
    public static let notReady: CUresult = 600
}

/// `CUdevice_attribute` values used here (from the driver API's enum; stable since CUDA 5-9).
public enum CUDADeviceAttribute: Int32 {
    case maxThreadsPerBlock = 1
    case maxSharedMemoryPerBlock = 8
    case warpSize = 10
    case multiprocessorCount = 16
    case integrated = 18
    case pciBusID = 33
    case memoryClockRate = 36
    case globalMemoryBusWidth = 37
    case l2CacheSize = 38
    case maxThreadsPerMultiprocessor = 39
    case asyncEngineCount = 40
    case computeCapabilityMajor = 75
    case computeCapabilityMinor = 76
    case maxSharedMemoryPerMultiprocessor = 81
    case maxSharedMemoryPerBlockOptin = 97
}

/// `CUfunction_attribute` values used here.
public enum CUDAFunctionAttribute: Int32 {
    case maxThreadsPerBlock = 0
    case sharedSizeBytes = 1
    case localSizeBytes = 3
    case numRegisters = 4
    case maxDynamicSharedSizeBytes = 8
}
