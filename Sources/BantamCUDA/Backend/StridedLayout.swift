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

    /// For a same-dtype copy whose last axis is contiguous in every operand: the same layout counted in
    /// units of 16, 8, 4 or 2 bytes (the largest that divides the row length, every outer stride and every
    /// operand's address), so each kernel step moves a whole unit. Nil when no unit wider than an element fits.
    public func widened(elementBytes width: Int, addresses: [UInt64]) -> (layout: StridedLayout, unitBytes: Int)? {
        let last = rank - 1
        guard strides.allSatisfy({ $0[last] == 1 }) else { return nil }
        for unit in [16, 8, 4, 2] where unit > width && unit % width == 0 {
            let fits = (sizes[last] * width) % unit == 0
                && strides.allSatisfy { $0.dropLast().allSatisfy { ($0 * width) % unit == 0 } }
                && addresses.allSatisfy { $0 % UInt64(unit) == 0 }
            guard fits else { continue }
            var result = self
            result.sizes[last] = sizes[last] * width / unit
            result.strides = strides.map { operand in operand.dropLast().map { $0 * width / unit } + [1] }
            return (result, unit)
        }
        return nil
    }

    /// For a copy (operand 0 the source, 1 the destination) whose destination is contiguous along the last
    /// axis while the source is contiguous along another axis: that axis, for the tiled transpose kernel.
    /// Nil when the layout is not such a transpose, or too small or too large for it to pay.
    public var transposeRowAxis: Int? {
        let last = rank - 1
        guard rank >= 2, strides.count == 2, strides[1][last] == 1, strides[0][last] != 1 else { return nil }
        guard let axis = (0..<last).first(where: { strides[0][$0] == 1 }) else { return nil }
        guard sizes[axis] >= 8, sizes[last] >= 8, (sizes[axis] + 31) / 32 <= 65535 else { return nil }
        return axis
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
