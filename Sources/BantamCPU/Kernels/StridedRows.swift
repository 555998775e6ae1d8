import BantamCore

/// Reading and writing tensors of any strides as rows of f32.
///
/// A set of same-shaped operands is walked as "rows" along the innermost axis: axes that are contiguous
/// for every operand are merged first, so a contiguous tensor is one long row and a broadcast bias is a
/// row with stride 0. Kernels decode a row into an f32 scratch buffer, compute, and encode the result.
struct RowLayout {
    /// Shape of the merged iteration space; the last axis is the row.
    let dims: [Int]
    /// Per operand, its strides (in elements) over `dims`.
    let strides: [[Int]]

    init(shape: Shape, strides operandStrides: [[Int]]) {
        var dims: [Int] = []
        var strides: [[Int]] = operandStrides.map { _ in [] }
        for axis in 0..<shape.rank where shape[axis] != 1 {
            let canMerge = !dims.isEmpty && operandStrides.indices.allSatisfy { op in
                strides[op].last! == operandStrides[op][axis] * shape[axis]
            }
            if canMerge {
                dims[dims.count - 1] *= shape[axis]
                for op in operandStrides.indices { strides[op][strides[op].count - 1] = operandStrides[op][axis] }
            } else {
                dims.append(shape[axis])
                for op in operandStrides.indices { strides[op].append(operandStrides[op][axis]) }
            }
        }
        if dims.isEmpty {   // a scalar or all-ones shape: one row of one element
            dims = [1]
            strides = operandStrides.map { _ in [1] }
        }
        self.dims = dims
        self.strides = strides
    }

    var rowLength: Int { dims[dims.count - 1] }
    var rowCount: Int { dims.dropLast().reduce(1, *) }
    func rowStride(_ operand: Int) -> Int { strides[operand][dims.count - 1] }

    /// Element offset (relative to the operand's first element) of the start of row `row`.
    func rowStart(_ row: Int, operand: Int) -> Int {
        var rest = row, offset = 0
        for axis in stride(from: dims.count - 2, through: 0, by: -1) {
            let i = rest % dims[axis]
            rest /= dims[axis]
            offset += i * strides[operand][axis]
        }
        return offset
    }
}

/// Element access by dtype for one row at a time.
enum RowIO {
    /// Decodes `count` elements starting at element `start` with element stride `stride` into `out`.
    @inline(__always)
    static func read(_ base: UnsafeRawPointer, _ dtype: DType, start: Int, count: Int, stride: Int,
                     into out: UnsafeMutablePointer<Float>) {
        let width = dtype.byteWidth ?? 1
        if stride == 1 {
            ElementConversion.decode(dtype, from: base + start * width, count: count, into: out)
            return
        }
        switch dtype {
        case .f32:
            for i in 0..<count { out[i] = base.loadUnaligned(fromByteOffset: (start + i * stride) * 4, as: Float.self) }
        case .bf16:
            for i in 0..<count {
                out[i] = FloatBits.float(fromBF16: base.loadUnaligned(fromByteOffset: (start + i * stride) * 2, as: UInt16.self))
            }
        case .f16:
            for i in 0..<count {
                out[i] = FloatBits.float(fromF16: base.loadUnaligned(fromByteOffset: (start + i * stride) * 2, as: UInt16.self))
            }
        default:
            for i in 0..<count {
                ElementConversion.decode(dtype, from: base + (start + i * stride) * width, count: 1, into: out + i)
            }
        }
    }

    /// Encodes `count` f32 values to elements starting at `start` with element stride `stride`.
    @inline(__always)
    static func write(_ base: UnsafeMutableRawPointer, _ dtype: DType, start: Int, count: Int, stride: Int,
                      from values: UnsafePointer<Float>) {
        let width = dtype.byteWidth ?? 1
        if stride == 1 {
            ElementConversion.encode(dtype, from: values, count: count, into: base + start * width)
            return
        }
        for i in 0..<count {
            ElementConversion.encode(dtype, from: values + i, count: 1, into: base + (start + i * stride) * width)
        }
    }
}

/// Per-thread scratch space for f32 rows.
struct ScratchRows {
    let buffer: UnsafeMutablePointer<Float>
    let length: Int

    init(rows: Int, length: Int) {
        self.length = length
        buffer = .allocate(capacity: max(1, rows * length))
    }

    func row(_ i: Int) -> UnsafeMutablePointer<Float> { buffer + i * length }
    func free() { buffer.deallocate() }
}
