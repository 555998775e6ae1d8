import BantamCore

/// Device memory holding tensor data; returns its block to the allocator when the last tensor using it goes.
public final class DeviceBuffer: TensorStorage, @unchecked Sendable {
    /// Device address of the first byte (0 for an empty buffer).
    public let address: CUdeviceptr
    public let byteCount: Int
    let allocation: DeviceAllocation?
    let allocator: CachingAllocator?

    /// A block of at least `byteCount` bytes from `allocator` (none for 0 bytes).
    public init(byteCount: Int, allocator: CachingAllocator) throws {
        self.byteCount = byteCount
        if byteCount == 0 {
            self.allocation = nil
            self.allocator = nil
            self.address = 0
        } else {
            let allocation = try allocator.allocate(bytes: byteCount)
            self.allocation = allocation
            self.allocator = allocator
            self.address = allocation.address
        }
    }

    deinit {
        if let allocation, let allocator { allocator.free(allocation) }
    }
}
