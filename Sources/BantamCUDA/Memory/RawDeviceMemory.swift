/// Where the caching allocator gets device memory: the driver (`DriverMemory`), or a fake in tests, so the
/// block-reuse and budget logic runs and is tested on machines without a GPU.
public protocol RawDeviceMemory: AnyObject, Sendable {
    /// `bytes` fresh bytes of device memory, or nil when the device has no room (the allocator then
    /// releases its cached blocks and tries once more). Throws for any other failure.
    func allocate(bytes: Int) throws -> UInt64?
    /// Returns memory obtained from `allocate` (with the same size).
    func free(address: UInt64, bytes: Int)
}

/// Device memory straight from the driver: cuMemAlloc / cuMemFree in one context.
public final class DriverMemory: RawDeviceMemory, @unchecked Sendable {
    public let context: CUDAContext

    public init(context: CUDAContext) { self.context = context }

    public func allocate(bytes: Int) throws -> UInt64? {
        try context.makeCurrent()
        var address: CUdeviceptr = 0
        let status = context.driver.cuMemAlloc(&address, bytes)
        if status == CUDAStatus.outOfMemory { return nil }
        try context.driver.check(status, "cuMemAlloc(\(bytes) bytes)")
        return address
    }

    public func free(address: UInt64, bytes: Int) {
        // cuMemFree waits for work that may still use the memory; errors here (a context torn down at
        // exit) leave nothing to do.
        _ = context.driver.cuCtxSetCurrent(context.handle)
        _ = context.driver.cuMemFree(address)
    }
}
