import BantamCore

/// The primary context of one device, retained for as long as this object lives.
///
/// Driver contexts are current per thread, and Swift code may run on any thread, so every entry point
/// that talks to the device calls `makeCurrent()` first (one cheap driver call).
public final class CUDAContext: @unchecked Sendable {
    public let runtime: CUDARuntime
    public let ordinal: Int
    public let device: CUdevice
    public let handle: CUcontext
    public var driver: DriverAPI { runtime.driver }

    public init(runtime: CUDARuntime, ordinal: Int) throws {
        guard ordinal >= 0 && ordinal < runtime.deviceCount else {
            throw TensorError.invalidArgument("cuda: there is no device \(ordinal); the driver sees \(runtime.deviceCount) (use 0..<\(runtime.deviceCount))")
        }
        let driver = runtime.driver
        var device: CUdevice = 0
        try driver.check(driver.cuDeviceGet(&device, Int32(ordinal)), "cuDeviceGet(\(ordinal))")
        var context: CUcontext? = nil
        try driver.check(driver.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain(\(ordinal))")
        guard let context else {
            throw TensorError.backendFailure(backend: "cuda", detail: "cuDevicePrimaryCtxRetain returned no context")
        }
        self.runtime = runtime
        self.ordinal = ordinal
        self.device = device
        self.handle = context
        try makeCurrent()
    }

    deinit {
        _ = runtime.driver.cuDevicePrimaryCtxRelease(device)
    }

    /// Makes this context current on the calling thread.
    @inline(__always)
    public func makeCurrent() throws {
        try driver.check(driver.cuCtxSetCurrent(handle), "cuCtxSetCurrent")
    }

    /// (free, total) device memory in bytes as the driver sees it now (all processes counted).
    public func memoryInfo() throws -> (free: Int, total: Int) {
        try makeCurrent()
        var free = 0, total = 0
        try driver.check(driver.cuMemGetInfo(&free, &total), "cuMemGetInfo")
        return (free, total)
    }

    /// Waits for all work of this context (every stream).
    public func synchronize() throws {
        try makeCurrent()
        try driver.check(driver.cuCtxSynchronize(), "cuCtxSynchronize")
    }
}
