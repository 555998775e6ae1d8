import BantamCore

/// Float64 references for reductions and embedding.
extension Reference {
    /// Reduces `axis` of a row-major x of `shape`; the result has that axis removed (row-major).
    /// max propagates NaN.
    public static func reduce(_ op: ReduceOp, _ x: [Double], _ shape: Shape, axis: Int) -> [Double] {
        let outer = shape.dims[..<axis].reduce(1, *), length = shape[axis]
        let inner = shape.dims[(axis + 1)...].reduce(1, *)
        var out = [Double](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let values = (0..<length).map { x[(o * length + $0) * inner + i] }
                switch op {
                case .sum: out[o * inner + i] = values.reduce(0, +)
                case .mean: out[o * inner + i] = values.reduce(0, +) / Double(length)
                case .max: out[o * inner + i] = values.contains(where: \.isNaN) ? .nan : values.max() ?? -.infinity
                }
            }
        }
        return out
    }

    /// Rows of `table` [vocab, dim] picked by `ids`, concatenated.
    public static func embedding(_ ids: [Int], table: [Double], dim: Int) -> [Double] {
        ids.flatMap { table[($0 * dim)..<(($0 + 1) * dim)] }
    }
}
