/// Moving data between Swift arrays, host memory and backends.
extension Tensor {
    /// A tensor of `dtype` holding `values` (rounded as torch's cast would), on `backend`.
    public init(_ values: [Float], shape: Shape, dtype: DType = .f32, on backend: any Backend) throws {
        guard values.count == shape.count else {
            throw TensorError.shapeMismatch(op: "Tensor(values:)", detail: "\(values.count) values for shape \(shape)")
        }
        let host = HostBuffer(byteCount: try dtype.byteCount(elements: values.count))
        values.withUnsafeBufferPointer { src in
            ElementConversion.encode(dtype, from: src.baseAddress!, count: values.count, into: host.base)
        }
        self = try backend.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: shape)
    }

    /// A tensor of integers (token ids, indices) on `backend`.
    public init(ints values: [Int], shape: Shape, dtype: DType = .i32, on backend: any Backend) throws {
        guard values.count == shape.count else {
            throw TensorError.shapeMismatch(op: "Tensor(ints:)", detail: "\(values.count) values for shape \(shape)")
        }
        let host = HostBuffer(byteCount: try dtype.byteCount(elements: values.count))
        for (i, v) in values.enumerated() {
            switch dtype {
            case .i64: host.base.storeBytes(of: Int64(v), toByteOffset: 8 * i, as: Int64.self)
            case .i32: host.base.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: 4 * i, as: Int32.self)
            case .i16: host.base.storeBytes(of: Int16(truncatingIfNeeded: v), toByteOffset: 2 * i, as: Int16.self)
            case .i8, .u8: host.base.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
            case .bool: host.base.storeBytes(of: UInt8(v != 0 ? 1 : 0), toByteOffset: i, as: UInt8.self)
            default:
                throw TensorError.dtypeMismatch(op: "Tensor(ints:)", detail: "\(dtype) is not an integer dtype")
            }
        }
        self = try backend.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: shape)
    }

    /// A scalar-filled tensor.
    public static func full(_ value: Float, shape: Shape, dtype: DType = .f32, on backend: any Backend) throws -> Tensor {
        let out = try backend.empty(shape, dtype: dtype)
        try backend.fill(out, value: value)
        return out
    }

    public static func zeros(_ shape: Shape, dtype: DType = .f32, on backend: any Backend) throws -> Tensor {
        try full(0, shape: shape, dtype: dtype, on: backend)
    }

    /// The raw bytes of the elements in row-major order, in host memory.
    public func hostBuffer() throws -> HostBuffer {
        try backend.toHost(try contiguous())
    }

    /// The elements converted to f32, row-major.
    public func floats() throws -> [Float] {
        let host = try hostBuffer()
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            ElementConversion.decode(dtype, from: host.base, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// The elements of an integer tensor as Int, row-major.
    public func ints() throws -> [Int] {
        let host = try hostBuffer()
        let b = host.base
        switch dtype {
        case .i64: return (0..<count).map { Int(b.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .i32: return (0..<count).map { Int(b.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
        case .i16: return (0..<count).map { Int(b.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self)) }
        case .i8: return (0..<count).map { Int(b.load(fromByteOffset: $0, as: Int8.self)) }
        case .u8, .bool: return (0..<count).map { Int(b.load(fromByteOffset: $0, as: UInt8.self)) }
        case .u4: return (0..<count).map { i in let v = b.load(fromByteOffset: i >> 1, as: UInt8.self); return Int(i & 1 == 0 ? v >> 4 : v & 15) }
        default: throw TensorError.dtypeMismatch(op: "ints()", detail: "\(dtype) is not an integer dtype")
        }
    }

    /// The same tensor on another backend (a copy; the same tensor when it is already there). Host-memory
    /// backends may share the bytes instead of copying: tensors are never written in place.
    public func to(_ target: any Backend) throws -> Tensor {
        if target === backend { return self }
        let host = try hostBuffer()
        return try target.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: shape)
    }
}
