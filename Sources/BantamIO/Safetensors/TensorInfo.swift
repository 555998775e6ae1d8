/// Where one tensor of a safetensors file is and what it holds (read from the header, validated).
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Dimensions, outermost first; `[]` is a scalar, a 0 anywhere means no elements.
    public let shape: [Int]
    /// Absolute byte range in the file (header included in the offsets).
    public let byteRange: Range<Int>

    public init(name: String, dtype: SafetensorsDType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    public var byteCount: Int { byteRange.count }
    /// Number of elements (1 for a scalar). Validated not to overflow when the header was read.
    public var elementCount: Int { shape.reduce(1, *) }

    /// "F32 [2, 3]" for messages and listings.
    public var summary: String { "\(dtype.rawValue) [" + shape.map(String.init).joined(separator: ", ") + "]" }
}
