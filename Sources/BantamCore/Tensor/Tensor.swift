/// An n-dimensional array on a backend: a view (shape, strides, offset) into shared storage.
///
/// Tensors are values; views made by `reshape`, `permute`, `slice`, `expand`, ... share the storage and
/// copy nothing. Strides and offset are counted in elements. Storage is freed when the last view goes.
public struct Tensor: Sendable {
    public let backend: any Backend
    public let storage: any TensorStorage
    public let dtype: DType
    public let shape: Shape
    public let strides: [Int]
    public let offset: Int

    /// A view; callers are backends and the view functions, which keep it inside the storage.
    public init(backend: any Backend, storage: any TensorStorage, dtype: DType, shape: Shape,
                strides: [Int]? = nil, offset: Int = 0) {
        precondition(strides == nil || strides!.count == shape.rank, "Tensor: strides do not match the rank")
        self.backend = backend
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides ?? shape.contiguousStrides
        self.offset = offset
    }

    public var rank: Int { shape.rank }
    /// Number of elements.
    public var count: Int { shape.count }
    /// Bytes the elements take when contiguous.
    public var byteCount: Int { (try? dtype.byteCount(elements: count)) ?? 0 }

    /// Byte position of element `offset` in the storage (packed dtypes: offset must fill whole bytes).
    public var byteOffset: Int { offset / dtype.elementsPerBlock * dtype.bytesPerBlock }

    /// Row-major and dense: element i is at offset + i.
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: rank - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Whether both tensors live on the same backend instance.
    public func isOnSameBackend(as other: Tensor) -> Bool { backend === other.backend }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(dtype), \(shape), \(backend.name))" }
}
