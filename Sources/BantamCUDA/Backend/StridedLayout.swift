import BantamCore

/// The loop structure of an element-wise op over views with any strides, after merging every pair of
/// neighbouring axes that all operands traverse as one (and dropping axes of size 1). A contiguous tensor
/// becomes one axis; a transposed matrix stays two. Kernels index at most `maxRank` axes.
public struct StridedLayout: Sendable, Equatable {
    public static let maxRank = 6

    /// Sizes of the merged axes, outermost first (at least one axis; [1] for a single element).
    public var sizes: [Int]
    /// Per operand, its strides (in elements) along the merged axes.
    public var strides: [[Int]]

    public init(sizes: [Int], strides: [[Int]]) {
        self.sizes = sizes
        self.strides = strides
    }

    /// Merges the axes of `shape` for operands with the given strides (each as long as `shape`).
    public static func collapse(shape: [Int], strides: [[Int]]) -> StridedLayout {
        var sizes: [Int] = []
        var merged: [[Int]] = strides.map { _ in [] }
        for axis in 0..<shape.count where shape[axis] != 1 {
            let size = shape[axis]
            if let last = sizes.indices.last,
               strides.indices.allSatisfy({ merged[$0][last] == strides[$0][axis] * size }) {
                // The previous (outer) axis steps exactly over this one for every operand: one axis.
                sizes[last] *= size
                for o in strides.indices { merged[o][last] = strides[o][axis] }
            } else {
                sizes.append(size)
                for o in strides.indices { merged[o].append(strides[o][axis]) }
            }
        }
        if sizes.isEmpty { return StridedLayout(sizes: [1], strides: strides.map { _ in [0] }) }
        return StridedLayout(sizes: sizes, strides: merged)
    }

    public var rank: Int { sizes.count }
    public var count: Int { sizes.reduce(1, *) }

    /// Whether every element offset and the element count fit in 31 bits (kernels then use 32-bit index
    /// arithmetic, which is several times cheaper than 64-bit division).
    public var fitsInt32: Bool {
        guard count <= Int(Int32.max) else { return false }
        for operand in strides {
            var extent = 0
            for (size, stride) in zip(sizes, operand) {
                guard stride >= 0 else { return false }
                let (product, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
                if overflow { return false }
                extent += product
                if extent > Int(Int32.max) { return false }
            }
        }
        return true
    }
}

extension DType {
    /// The dtype code kernels use (BT_* in common.cuh); nil for packed types.
    public var cudaCode: Int32? {
        switch self {
        case .f64: return 0
        case .f32: return 1
        case .f16: return 2
        case .bf16: return 3
        case .f8e4m3fn: return 4
        case .f8e5m2: return 5
        case .i64: return 6
        case .i32: return 7
        case .i16: return 8
        case .i8: return 9
        case .u8: return 10
        case .bool: return 11
        case .u4: return nil
        }
    }

    /// The float types with vectorized contiguous cast kernels (bantam_cast_<src>_<dst>).
    var hasContiguousCastKernel: Bool {
        switch self {
        case .f32, .f16, .bf16, .f8e4m3fn, .f8e5m2: return true
        default: return false
        }
    }
}
