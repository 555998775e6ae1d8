import BantamCore

/// Self-test rows of reduce.cu: sum, mean and max over the last axis (row kernels) and over inner axes
/// (column kernels), with f32 intermediates for several axes, on odd and FLUX sizes.
///
/// Tolerances: both sides accumulate in f32 (the CPU pairwise, the GPU Kahan-compensated per thread, then a
/// tree), so sums agree to a few ulp of Σ|x| ≤ 1.5·R·scale: atol 1e-6·R·scale; max is exact; a 16-bit
/// output adds one ulp.
extension SelfTestCases {
    static var reductions: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        for dtype in computeTypes {
            for (shape, axes) in [([37, 4099], [1]), ([5, 300, 33], [1]), ([7, 9, 1000], [0]), ([129, 64], [1]),
                                  ([3, 17, 5, 11], [1, 3]), ([2, 5000], [0, 1])] {
                let r = axes.reduce(1) { $0 * shape[$1] }
                for op in ReduceOp.allCases {
                    let tolerance: SelfTestTolerance = op == .max ? .exact
                        : oneOutputULP(dtype, atol: 1e-6 * Double(op == .sum ? r : 1) * 3, rtol: 1e-5)
                    cases.append(SelfTestCase("\(op.rawValue) \(dtype) \(shape) over \(axes)", op: .reduce, dtype: dtype,
                                              tolerance: tolerance,
                                              inputs: { [try $0.tensor(Shape(shape), dtype: dtype, scale: 3)] },
                                              run: { try reduce(op, $0[0], axes: axes) }))
                }
            }
        }
        return cases
    }
}
