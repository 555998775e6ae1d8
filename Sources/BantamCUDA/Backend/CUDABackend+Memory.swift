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
        guard tensor.isContiguous else {
            throw TensorError.invalidArgument("toHost: tensor \(tensor.shape) is not contiguous")
        }
        let bytes = try tensor.dtype.byteCount(elements: tensor.count)
        let source = try address(tensor)
        let host = HostBuffer(byteCount: bytes)
        try transfers.download(from: source, count: bytes, into: host.base, mode: transferMode)
        return host
    }
}
