import BantamCore

/// Host memory management for the CPU backend.
extension CPUBackend {
    public func empty(_ shape: Shape, dtype: DType) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        return Tensor(backend: self, storage: HostBuffer(byteCount: bytes), dtype: dtype, shape: shape)
    }

    /// Wraps host memory without copying when the data is aligned for its dtype; otherwise copies it into
    /// fresh aligned memory (safetensors files from other writers may start tensors at odd offsets).
    public func makeTensor(host: HostBuffer, byteOffset: Int, dtype: DType, shape: Shape) throws -> Tensor {
        let bytes = try dtype.byteCount(elements: shape.count)
        guard byteOffset >= 0, byteOffset + bytes <= host.byteCount else {
            throw TensorError.invalidArgument("makeTensor: bytes \(byteOffset)..<\(byteOffset + bytes) are outside a buffer of \(host.byteCount)")
        }
        let alignment = dtype.byteWidth ?? 1
        let address = UInt(bitPattern: host.base + byteOffset)
        if address % UInt(alignment) == 0 {
            let elementOffset = byteOffset / dtype.bytesPerBlock * dtype.elementsPerBlock
            if byteOffset % dtype.bytesPerBlock == 0 {
                return Tensor(backend: self, storage: host, dtype: dtype, shape: shape,
                              strides: shape.contiguousStrides, offset: elementOffset)
            }
        }
        let copy = HostBuffer(byteCount: bytes)
        copy.base.copyMemory(from: host.base + byteOffset, byteCount: bytes)
        return Tensor(backend: self, storage: copy, dtype: dtype, shape: shape)
    }

    public func toHost(_ tensor: Tensor) throws -> HostBuffer {
        let buffer = try hostStorage(tensor)
        let bytes = try tensor.dtype.byteCount(elements: tensor.count)
        guard tensor.isContiguous else {
            throw TensorError.invalidArgument("toHost: tensor \(tensor.shape) is not contiguous")
        }
        if tensor.byteOffset == 0 && bytes == buffer.byteCount { return buffer }
        return HostBuffer(borrowing: buffer.base + tensor.byteOffset, byteCount: bytes, owner: buffer, writable: false)
    }

    /// The host buffer behind a tensor of this backend.
    func hostStorage(_ tensor: Tensor) throws -> HostBuffer {
        guard tensor.backend === self, let buffer = tensor.storage as? HostBuffer else {
            throw TensorError.backendMismatch(op: "cpu", detail: "tensor \(tensor.shape) lives on \(tensor.backend.name)")
        }
        return buffer
    }

    /// Address of the tensor's first element (element `offset`).
    func basePointer(_ tensor: Tensor) throws -> UnsafeMutableRawPointer {
        try hostStorage(tensor).base + tensor.byteOffset
    }

    /// Address of a writable output's first element.
    func outputPointer(_ tensor: Tensor) throws -> UnsafeMutableRawPointer {
        let buffer = try hostStorage(tensor)
        guard buffer.isWritable else {
            throw TensorError.invalidArgument("cpu: output \(tensor.shape) is read-only (memory-mapped) memory")
        }
        return buffer.base + tensor.byteOffset
    }
}
