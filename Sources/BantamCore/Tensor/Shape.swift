/// The extent of a tensor along each axis, outermost first (row-major, like PyTorch).
public struct Shape: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible, RandomAccessCollection {
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    public var rank: Int { dims.count }
    /// Number of elements (1 for a scalar of rank 0).
    public var count: Int { dims.reduce(1, *) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { dims.count }
    public subscript(position: Int) -> Int {
        get { dims[position] }
        set { dims[position] = newValue }
    }

    /// The axis with negative values counting from the end (-1 = last); throws when out of range.
    public func axis(_ axis: Int, op: String = "axis") throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < rank else {
            throw TensorError.invalidArgument("\(op): axis \(axis) is out of range for a tensor of shape \(self)")
        }
        return a
    }

    /// Row-major strides, in elements.
    public var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: rank)
        var running = 1
        for i in stride(from: rank - 1, through: 0, by: -1) {
            strides[i] = running
            running *= dims[i]
        }
        return strides
    }

    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }

    /// NumPy/PyTorch broadcasting of two shapes; throws naming both when they cannot broadcast.
    public static func broadcast(_ a: Shape, _ b: Shape, op: String) throws -> Shape {
        let rank = Swift.max(a.rank, b.rank)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.rank ? 1 : a.dims[i - (rank - a.rank)]
            let db = i < rank - b.rank ? 1 : b.dims[i - (rank - b.rank)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw TensorError.shapeMismatch(op: op, detail: "\(a) and \(b) do not broadcast")
            }
        }
        return Shape(out)
    }
}
