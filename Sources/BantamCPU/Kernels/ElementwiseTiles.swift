import BantamCore

/// The traversal shared by the element-wise kernels (unary, binary, affine).
///
/// `RowLayout` merges the operands' axes into rows; a contiguous tensor becomes one long row. To spread
/// such a row across threads and keep scratch small, each row is cut into tiles of at most `tileLength`
/// elements, and the tiles (row-major) are what the threads share. Element-wise results do not depend on
/// the tiling, so any thread count gives identical output.
struct ElementwiseTiles {
    let layout: RowLayout
    let tileLength: Int
    let tilesPerRow: Int

    /// Tile size: 4096 f32 values (16 KiB) per operand stay in L1/L2 between decode, compute and encode.
    static let defaultTileLength = 4096
    /// Elements a thread should get at least, so tiny tensors stay single-threaded.
    static let elementsPerChunk = 32768

    init(_ layout: RowLayout, tileLength: Int = ElementwiseTiles.defaultTileLength) {
        self.layout = layout
        self.tileLength = Swift.min(tileLength, layout.rowLength)
        self.tilesPerRow = (layout.rowLength + self.tileLength - 1) / self.tileLength
    }

    var count: Int { layout.rowCount * tilesPerRow }

    /// Tiles per parallel chunk, at least `elementsPerChunk` elements' worth.
    var grain: Int { Swift.max(1, Self.elementsPerChunk / Swift.max(tileLength, 1)) }

    /// For tile `index`: its row, the position of its first element in the row, and its length.
    @inline(__always)
    func tile(_ index: Int) -> (row: Int, first: Int, length: Int) {
        let row = index / tilesPerRow
        let first = (index % tilesPerRow) * tileLength
        return (row, first, Swift.min(tileLength, layout.rowLength - first))
    }

    /// Element offset of the tile's first element for `operand` (relative to that operand's first element).
    @inline(__always)
    func start(row: Int, first: Int, operand: Int) -> Int {
        layout.rowStart(row, operand: operand) + first * layout.rowStride(operand)
    }
}

extension RowIO {
    /// `read`, plus the broadcast case: a stride of 0 decodes one element and repeats it.
    @inline(__always)
    static func readBroadcasting(_ base: UnsafeRawPointer, _ dtype: DType, start: Int, count: Int, stride: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        if stride == 0 && count > 1 {
            read(base, dtype, start: start, count: 1, stride: 1, into: out)
            out.update(repeating: out[0], count: count)
        } else {
            read(base, dtype, start: start, count: count, stride: stride, into: out)
        }
    }
}

extension CPUBackend {
    /// Throws unless `out` has `shape` (kernels are called with validated arguments; this guards direct calls).
    func requireOutput(_ op: String, _ out: Tensor, shape: Shape) throws {
        guard out.shape == shape else {
            throw TensorError.shapeMismatch(op: op, detail: "output has shape \(out.shape); expected \(shape)")
        }
    }

    /// Throws unless `out` is contiguous (kernels that write rows in place of a row-major output need it).
    func requireContiguousOutput(_ op: String, _ out: Tensor) throws {
        guard out.isContiguous else {
            throw TensorError.invalidArgument("\(op): output \(out.shape) must be contiguous; pass a fresh tensor from empty()")
        }
    }
}
