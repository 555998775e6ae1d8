import BantamCore

/// Page-locked host memory (cuMemHostAlloc): the DMA engines read and write it directly, so copies from
/// it run at full PCIe speed and can overlap kernels.
public final class PinnedHostBuffer: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    public let byteCount: Int
    /// The last asynchronous copy that uses this memory; it must finish before the host touches the
    /// memory again (`waitUntilIdle`).
    public var lastUse: CUDAEvent?

    init(base: UnsafeMutableRawPointer, byteCount: Int) {
        self.base = base
        self.byteCount = byteCount
    }

    /// Records the end of `stream`'s queued work as this buffer's last use.
    public func markUsed(on stream: CUDAStream) throws {
        let event = try lastUse ?? CUDAEvent(context: stream.context, timing: false)
        try event.record(on: stream)
        lastUse = event
    }

    /// Blocks until the last recorded copy using this memory has finished.
    public func waitUntilIdle() throws {
        try lastUse?.synchronize()
    }
}

/// A small pool of pinned host buffers. Sizes are rounded up to a power of two (at least 64 KiB); returned
/// buffers stay cached while the cache holds at most `cacheLimit` bytes, and are freed beyond that.
/// Pinning is slow (the kernel locks every page), which is why buffers are kept. Thread-safe.
public final class PinnedHostPool: @unchecked Sendable {
    public let context: CUDAContext
    public let cacheLimit: Int
    private let lock = Lock()
    private var cached: [Int: [PinnedHostBuffer]] = [:]
    private var cachedBytes = 0
    /// cuMemHostAlloc calls so far.
    public private(set) var hostAllocations = 0

    public init(context: CUDAContext, cacheLimit: Int = 256 << 20) {
        self.context = context
        self.cacheLimit = cacheLimit
    }

    deinit {
        for buffer in cached.values.joined() {
            try? buffer.waitUntilIdle()
            _ = context.driver.cuMemFreeHost(buffer.base)
        }
    }

    /// A pinned buffer of at least `bytes` bytes, idle (no copy still using it).
    public func take(bytes: Int) throws -> PinnedHostBuffer {
        var size = 64 << 10
        while size < bytes { size <<= 1 }
        let reused: PinnedHostBuffer? = lock.withLock {
            guard var list = cached[size], let buffer = list.popLast() else { return nil }
            cached[size] = list
            cachedBytes -= size
            return buffer
        }
        if let reused {
            try reused.waitUntilIdle()
            return reused
        }
        try context.makeCurrent()
        var pointer: UnsafeMutableRawPointer? = nil
        try context.driver.check(context.driver.cuMemHostAlloc(&pointer, size, 0), "cuMemHostAlloc(\(ByteFormat.bytes(size)))")
        guard let pointer else { throw TensorError.backendFailure(backend: "cuda", detail: "cuMemHostAlloc returned no memory") }
        lock.withLock { hostAllocations += 1 }
        return PinnedHostBuffer(base: pointer, byteCount: size)
    }

    /// Gives a buffer back: cached when there is room, otherwise freed (after its last copy finished).
    public func give(_ buffer: PinnedHostBuffer) {
        let keep: Bool = lock.withLock {
            guard cachedBytes + buffer.byteCount <= cacheLimit else { return false }
            cached[buffer.byteCount, default: []].append(buffer)
            cachedBytes += buffer.byteCount
            return true
        }
        if !keep {
            try? buffer.waitUntilIdle()
            _ = context.driver.cuCtxSetCurrent(context.handle)
            _ = context.driver.cuMemFreeHost(buffer.base)
        }
    }
}
