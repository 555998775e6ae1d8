/// Memory holding tensor data. Each backend has its own kind (host memory, device memory); a backend
/// rejects storage it does not own.
public protocol TensorStorage: AnyObject, Sendable {
    var byteCount: Int { get }
}

/// Host memory: either allocated here (64-byte aligned, freed on deinit) or borrowed from an owner that
/// keeps it alive (a memory-mapped file). Borrowed read-only memory is never written: ops write only to
/// fresh outputs, and `mutableBytes` refuses it.
public final class HostBuffer: TensorStorage, @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int
    public let isWritable: Bool
    private let owner: AnyObject?
    private let ownsMemory: Bool

    /// Fresh, uninitialized, 64-byte aligned memory.
    public init(byteCount: Int) {
        self.base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        self.byteCount = byteCount
        self.isWritable = true
        self.owner = nil
        self.ownsMemory = true
    }

    /// Memory owned by `owner` (kept alive as long as this buffer lives).
    public init(borrowing base: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject?, writable: Bool) {
        self.base = base
        self.byteCount = byteCount
        self.isWritable = writable
        self.owner = owner
        self.ownsMemory = false
    }

    deinit {
        if ownsMemory { base.deallocate() }
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: byteCount) }

    public var mutableBytes: UnsafeMutableRawBufferPointer {
        precondition(isWritable, "HostBuffer: attempt to write read-only (memory-mapped) memory")
        return UnsafeMutableRawBufferPointer(start: base, count: byteCount)
    }
}
