import BantamCore

/// Self-test rows of the element-wise kernels (elementwise.cu): every unary op, affine, every binary op on
/// dense, row-broadcast and strided views, and the fused gated residual, for f32, f16 and bf16.
extension SelfTestCases {
    static let computeTypes: [DType] = [.f32, .f16, .bf16]

    /// Tolerance of an op whose f32 result agrees to a few ulp (`f32`), widened to one ulp of a 16-bit
    /// output (a value the CPU and GPU compute a hair apart can round to neighbouring 16-bit numbers).
    static func oneOutputULP(_ dtype: DType, atol: Double, rtol: Double) -> SelfTestTolerance {
        switch dtype {
        case .bf16: return .close(atol: max(atol, 1e-6), rtol: max(rtol, 0x1p-7))
        case .f16: return .close(atol: max(atol, 1e-7), rtol: max(rtol, 0x1p-10))
        default: return .close(atol: atol, rtol: rtol)
        }
    }

    static var elementwise: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        // Ops that are one IEEE operation per element (or exact) match bit for bit; the transcendental ones
        // use CUDA's expf/tanhf/erff (2 ulp) against libm (1 ulp): a few f32 ulp, plus absolute slack where
        // GELU's 1 + tanh cancels for x ≲ −3.
        let exactOps: Set<UnaryOp> = [.relu, .sqrt, .rsqrt, .square, .neg, .abs]
        for dtype in computeTypes {
            for op in UnaryOp.allCases {
                let tolerance: SelfTestTolerance = exactOps.contains(op) ? .exact : oneOutputULP(dtype, atol: 2e-6, rtol: 1e-5)
                let scale: Float = op == .exp ? 3 : 4
                let positive = op == .sqrt || op == .rsqrt
                cases.append(SelfTestCase("\(op.rawValue) \(dtype) [4099]", op: .unary, dtype: dtype, tolerance: tolerance,
                                          inputs: { rng in [try rng.tensor([4099], dtype: dtype, scale: scale)] },
                                          run: { x in try unary(op, positive ? try unary(.abs, x[0]) : x[0]) }))
            }
            cases.append(SelfTestCase("gelu \(dtype) permuted [33, 17, 9]", op: .unary, dtype: dtype,
                                      tolerance: oneOutputULP(dtype, atol: 2e-6, rtol: 1e-5),
                                      inputs: { [try $0.tensor([33, 17, 9], dtype: dtype, scale: 3)] },
                                      run: { try gelu(try $0[0].permute(2, 0, 1)) }))
            cases.append(SelfTestCase("affine x·1.7−0.3 \(dtype) [4101]", op: .affine, dtype: dtype, tolerance: .exact,
                                      inputs: { [try $0.tensor([4101], dtype: dtype, scale: 10)] },
                                      run: { try $0[0] * 1.7 - 0.3 }))
            cases.append(SelfTestCase("affine 1 + x \(dtype) strided [7, 3072] of [7, 18432]", op: .affine, dtype: dtype,
                                      tolerance: .exact,
                                      inputs: { [try $0.tensor([7, 18432], dtype: dtype)] },
                                      run: { try 1 + $0[0].slice(axis: 1, 3072..<6144) }))
        }
        for dtype in computeTypes {
            for op in BinaryOp.allCases {
                cases.append(SelfTestCase("\(op.rawValue) \(dtype) [4103]", op: .binary, dtype: dtype, tolerance: .exact,
                                          inputs: { [try $0.tensor([4103], dtype: dtype), try $0.tensor([4103], dtype: dtype)] },
                                          run: { try binary(op, $0[0], $0[1]) }))
            }
            // Row broadcasts: a bias over the last axis (both sides), FLUX's per-sample modulation, odd widths.
            for (a, b) in [([129, 3072], [3072]), ([3072], [65, 3072]), ([2, 77, 3072], [2, 1, 3072]), ([5, 17], [17]),
                           ([3, 11, 9], [3, 1, 9])] {
                for op in [BinaryOp.sub, .mul] {
                    cases.append(SelfTestCase("\(op.rawValue) \(dtype) \(a) ∘ \(b)", op: .binary, dtype: dtype, tolerance: .exact,
                                              inputs: { [try $0.tensor(Shape(a), dtype: dtype), try $0.tensor(Shape(b), dtype: dtype)] },
                                              run: { try binary(op, $0[0], $0[1]) }))
                }
            }
            // The modulation as FLUX has it: a chunk of a [B, 6·D] vector, unsqueezed.
            cases.append(SelfTestCase("mul \(dtype) [2, 77, 3072] ∘ chunk of [2, 18432]", op: .binary, dtype: dtype, tolerance: .exact,
                                      inputs: { [try $0.tensor([2, 77, 3072], dtype: dtype), try $0.tensor([2, 18432], dtype: dtype)] },
                                      run: { try $0[0] * $0[1].chunk(6, axis: 1)[4].unsqueeze(1) }))
            // Strided operands: a transpose, a per-row scalar, mixed.
            cases.append(SelfTestCase("div \(dtype) [33, 65]ᵀ ∘ [65, 33]", op: .binary, dtype: dtype, tolerance: .exact,
                                      inputs: { [try $0.tensor([33, 65], dtype: dtype), try $0.tensor([65, 33], dtype: dtype)] },
                                      run: { try $0[0].T / $0[1] }))
            cases.append(SelfTestCase("add \(dtype) [129, 7] + [129, 1]", op: .binary, dtype: dtype, tolerance: .exact,
                                      inputs: { [try $0.tensor([129, 7], dtype: dtype), try $0.tensor([129, 1], dtype: dtype)] },
                                      run: { try $0[0] + $0[1] }))
            // The fused gated residual against the CPU's composition x + gate * y.
            for (b, l, d) in [(2, 33, 3072), (3, 7, 17)] {
                cases.append(SelfTestCase("gatedResidual \(dtype) [\(b), \(l), \(d)]", op: .binary, dtype: dtype, tolerance: .exact,
                                          inputs: { [try $0.tensor([b, l, d], dtype: dtype), try $0.tensor([b, 3 * d], dtype: dtype),
                                                     try $0.tensor([b, l, d], dtype: dtype)] },
                                          run: { try gatedResidual($0[0], gate: $0[1].chunk(3, axis: 1)[2], $0[2]) }))
            }
        }
        return cases
    }
}
