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

/// Host-device copies on the backend's copy stream, bracketed by events so they are ordered with the
/// compute stream: a transfer starts after the compute work queued before it (the destination may be a
/// reused block that a queued kernel still reads) and the compute work queued after it starts after it.
final class Transfers: @unchecked Sendable {
    let context: CUDAContext
    let compute: CUDAStream
    let copy: CUDAStream
    let pool: PinnedHostPool
    /// Bytes per staging chunk.
    let chunkBytes: Int
    private let lock = Lock()
    private var ring: [PinnedHostBuffer] = []

    init(context: CUDAContext, compute: CUDAStream, copy: CUDAStream, pool: PinnedHostPool, chunkBytes: Int = 16 << 20) {
        self.context = context
        self.compute = compute
        self.copy = copy
        self.pool = pool
        self.chunkBytes = chunkBytes
    }

    /// The two staging buffers (taken from the pool on first use and kept).
    private func staging(_ index: Int) throws -> PinnedHostBuffer {
        while ring.count <= index { ring.append(try pool.take(bytes: chunkBytes)) }
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
                var offset = 0, chunk = 0
                while offset < count {
                    let n = min(chunkBytes, count - offset)
                    let buffer = try staging(chunk % 2)
                    try buffer.waitUntilIdle()
                    HostCopy.parallel(to: buffer.base, from: source + offset, count: n)
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
            // Chunk k goes to staging buffer k % 2; before reusing a buffer, the chunk it held is waited for
            // and copied out, while the DMA of the other buffer's chunk continues.
            var inFlight: [(buffer: PinnedHostBuffer, offset: Int, count: Int)?] = [nil, nil]
            func drain(_ slot: Int) throws {
                guard let pending = inFlight[slot] else { return }
                try pending.buffer.waitUntilIdle()
                HostCopy.parallel(to: destination + pending.offset, from: pending.buffer.base, count: pending.count)
                inFlight[slot] = nil
            }
            var offset = 0, chunk = 0
            while offset < count {
                let n = min(chunkBytes, count - offset)
                let slot = chunk % 2
                try drain(slot)
                let buffer = try staging(slot)
                try buffer.waitUntilIdle()
                try driver.check(driver.cuMemcpyDtoHAsync(buffer.base, source + UInt64(offset), n, copy.handle),
                                 "cuMemcpyDtoHAsync(\(n) bytes)")
                try buffer.markUsed(on: copy)
                inFlight[slot] = (buffer, offset, n)
                offset += n
                chunk += 1
            }
            try drain(chunk % 2)
            try drain((chunk + 1) % 2)
        }
    }
}

/// Host memcpy split across threads for large blocks (a single core copies at about 10 GB/s, less than
/// PCIe's 50 GB/s).
enum HostCopy {
    static let partBytes = 2 << 20

    static func parallel(to destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
        let parts = min(8, count / partBytes)
        if parts <= 1 {
            destination.copyMemory(from: source, byteCount: count)
            return
        }
        let per = (count + parts - 1) / parts
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
