#if canImport(Glibc)
import Glibc
#endif
import BantamCore
import Dispatch

/// How host memory reaches the device.
public enum TransferMode: String, Sendable, CaseIterable {
    /// Through pinned staging buffers, double-buffered: the host copies chunk k+1 while the DMA engine
    /// moves chunk k (the default).
    case staged
    /// cuMemcpy straight from the pageable host memory (the driver stages it itself, more slowly).
    case pageable
}

/// How staged transfers are cut up: chunk size, number of pinned staging buffers in rotation, and host
/// threads for the memcpy into and out of them.
public struct StagingConfiguration: Sendable, Equatable {
    public var chunkBytes: Int
    public var buffers: Int
    public var threads: Int

    public init(chunkBytes: Int = 16 << 20, buffers: Int = 2, threads: Int = HostCopy.defaultThreads) {
        self.chunkBytes = max(1 << 20, chunkBytes)
        self.buffers = max(2, buffers)
        self.threads = max(1, threads)
    }
}

/// Host-device copies on the backend's copy stream, bracketed by events so they are ordered with the
/// compute stream: a transfer starts after the compute work queued before it (the destination may be a
/// reused block that a queued kernel still reads) and the compute work queued after it starts after it.
final class Transfers: @unchecked Sendable {
    let context: CUDAContext
    let compute: CUDAStream
    let copy: CUDAStream
    let pool: PinnedHostPool
    private let lock = Lock()
    private var ring: [PinnedHostBuffer] = []
    private var configuration: StagingConfiguration

    init(context: CUDAContext, compute: CUDAStream, copy: CUDAStream, pool: PinnedHostPool,
         configuration: StagingConfiguration = StagingConfiguration()) {
        self.context = context
        self.compute = compute
        self.copy = copy
        self.pool = pool
        self.configuration = configuration
    }

    var staging: StagingConfiguration {
        get { lock.withLock { configuration } }
        set {
            lock.withLock {
                configuration = newValue
                ring.forEach(pool.give)          // re-taken at the new size on next use
                ring = []
            }
        }
    }

    /// Staging buffer `index` (taken from the pool on first use and kept). Called with the lock held.
    private func stagingBuffer(_ index: Int) throws -> PinnedHostBuffer {
        while ring.count <= index { ring.append(try pool.take(bytes: configuration.chunkBytes)) }
        return ring[index]
    }

    /// Copies `count` bytes from `source` to device address `destination`. Returns once `source` has been
    /// read; the device copy may still be in flight (later compute-stream work waits for it).
    func upload(from source: UnsafeRawPointer, count: Int, to destination: CUdeviceptr, mode: TransferMode = .staged) throws {
        guard count > 0 else { return }
        let driver = context.driver
        try lock.withLock {
            try context.makeCurrent()
            try compute.join(into: copy)
            if mode == .pageable {
                try driver.check(driver.cuMemcpyHtoDAsync(destination, source, count, copy.handle), "cuMemcpyHtoDAsync")
            } else {
                let config = configuration
                var offset = 0, chunk = 0
                while offset < count {
                    let n = min(config.chunkBytes, count - offset)
                    let buffer = try stagingBuffer(chunk % config.buffers)
                    try buffer.waitUntilIdle()
                    HostCopy.parallel(to: buffer.base, from: source + offset, count: n, threads: config.threads)
                    try driver.check(driver.cuMemcpyHtoDAsync(destination + UInt64(offset), buffer.base, n, copy.handle),
                                     "cuMemcpyHtoDAsync(\(n) bytes)")
                    try buffer.markUsed(on: copy)
                    offset += n
                    chunk += 1
                }
            }
            try copy.join(into: compute)
        }
    }

    /// Copies `count` bytes from device address `source` into `destination` and waits until they are there
    /// (after all compute work queued before).
    func download(from source: CUdeviceptr, count: Int, into destination: UnsafeMutableRawPointer, mode: TransferMode = .staged) throws {
        guard count > 0 else { return }
        let driver = context.driver
        try lock.withLock {
            try context.makeCurrent()
            try compute.join(into: copy)
            if mode == .pageable {
                try driver.check(driver.cuMemcpyDtoHAsync(destination, source, count, copy.handle), "cuMemcpyDtoHAsync")
                try copy.synchronize()
                return
            }
            // Chunk k goes to staging buffer k % buffers; before a buffer is reused, the chunk it held is
            // waited for and copied out, while the DMA of the other buffers' chunks continues.
            let config = configuration
            var inFlight = [(offset: Int, count: Int)?](repeating: nil, count: config.buffers)
            func drain(_ slot: Int) throws {
                guard let pending = inFlight[slot] else { return }
                let buffer = try stagingBuffer(slot)
                try buffer.waitUntilIdle()
                HostCopy.parallel(to: destination + pending.offset, from: buffer.base, count: pending.count, threads: config.threads)
                inFlight[slot] = nil
            }
            var offset = 0, chunk = 0
            while offset < count {
                let n = min(config.chunkBytes, count - offset)
                let slot = chunk % config.buffers
                try drain(slot)
                let buffer = try stagingBuffer(slot)
                try driver.check(driver.cuMemcpyDtoHAsync(buffer.base, source + UInt64(offset), n, copy.handle),
                                 "cuMemcpyDtoHAsync(\(n) bytes)")
                try buffer.markUsed(on: copy)
                inFlight[slot] = (offset, n)
                offset += n
                chunk += 1
            }
            for k in 0..<config.buffers { try drain((chunk + k) % config.buffers) }   // oldest first
        }
    }
}

/// Host memcpy split across threads for large blocks (one core copies at about 10 GB/s, less than PCIe's
/// 50 GB/s).
public enum HostCopy {
    /// Parts smaller than this are not worth a thread.
    static let minimumPart = 1 << 20

    /// The online processors, at most 16.
    public static let defaultThreads: Int = min(16, max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    public static func parallel(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int,
                                threads: Int = defaultThreads) {
        let parts = min(threads, count / minimumPart)
        if parts <= 1 {
            destination.copyMemory(from: source, byteCount: count)
            return
        }
        // Parts of whole 4 KiB pages.
        let per = (count / parts + 4095) / 4096 * 4096
        let d = UInt(bitPattern: destination), s = UInt(bitPattern: source)
        DispatchQueue.concurrentPerform(iterations: parts) { i in
            let start = i * per
            let n = min(per, count - start)
            guard n > 0 else { return }
            UnsafeMutableRawPointer(bitPattern: d + UInt(start))!
                .copyMemory(from: UnsafeRawPointer(bitPattern: s + UInt(start))!, byteCount: n)
        }
    }
}
