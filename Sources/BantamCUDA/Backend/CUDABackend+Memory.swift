import BantamCore

/// Device memory and host transfers.
extension CUDABackend {
    public func empty(_ shape: Shape, dtype: DType) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        let buffer = try DeviceBuffer(byteCount: bytes, allocator: allocator)
        if poisonNewMemory && bytes > 0 {
            try context.makeCurrent()
            try context.driver.check(context.driver.cuMemsetD8Async(buffer.address, 0xFF, bytes, computeStream.handle),
                                     "cuMemsetD8Async (poison)")
        }
        return Tensor(backend: self, storage: buffer, dtype: dtype, shape: shape)
    }

    /// Uploads `host.bytes[byteOffset...]`. Returns once the host bytes have been read (copied to pinned
    /// staging memory); the device copy finishes on the copy stream before later kernels run.
    public func makeTensor(host: HostBuffer, byteOffset: Int, dtype: DType, shape: Shape) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        guard byteOffset >= 0, byteOffset + bytes <= host.byteCount else {
            throw TensorError.invalidArgument("makeTensor: bytes \(byteOffset)..<\(byteOffset + bytes) are outside a buffer of \(host.byteCount)")
        }
        let buffer = try DeviceBuffer(byteCount: bytes, allocator: allocator)
        try withExtendedLifetime(host) {
            try transfers.upload(from: host.base + byteOffset, count: bytes, to: buffer.address, mode: transferMode)
        }
        return Tensor(backend: self, storage: buffer, dtype: dtype, shape: shape)
    }

    /// Downloads a contiguous tensor after all queued work (a synchronizing call).
    public func toHost(_ tensor: Tensor) throws -> HostBuffer {
        let host = HostBuffer(byteCount: try tensor.dtype.byteCount(elements: tensor.count))
        try download(tensor, into: host.mutableBytes)
        return host
    }

    /// Downloads a contiguous tensor into memory the caller owns (and may reuse: fresh host memory costs a
    /// page fault per 4 KiB on first touch, which can dominate large downloads). Synchronizing.
    public func download(_ tensor: Tensor, into destination: UnsafeMutableRawBufferPointer) throws {
        guard tensor.isContiguous else {
            throw TensorError.invalidArgument("toHost: tensor \(tensor.shape) is not contiguous")
        }
        let bytes = try tensor.dtype.byteCount(elements: tensor.count)
        guard destination.count >= bytes else {
            throw TensorError.invalidArgument("download: \(bytes) bytes do not fit a buffer of \(destination.count)")
        }
        guard bytes > 0 else { return }
        try transfers.download(from: try address(tensor), count: bytes, into: destination.baseAddress!, mode: transferMode)
    }
}
