import BantamCore

/// Self-test rows of the normalization kernels (norms.cu, softmax.cu): layerNorm (with and without affine
/// parameters), rmsNorm, the fused modulated LayerNorm, groupNorm and softmax, on odd sizes, FLUX sizes and
/// rows too long for registers.
///
/// Tolerances: statistics are tree sums on the GPU and pairwise sums on the CPU, so f32 outputs agree to a
/// few ulp; a 16-bit output may land one ulp apart. The modulated LayerNorm rounds three intermediates to
/// the dtype (as its composition does), so a one-ulp difference of LN(x) can carry through (1 + scale) and
/// + shift: two ulp of the largest intermediate (|(1 + scale)·LN(x)| ≲ 8 here).
extension SelfTestCases {
    static func modulatedTolerance(_ dtype: DType) -> SelfTestTolerance {
        switch dtype {
        case .bf16: return .close(atol: 2 * 0x1p-8 * 8, rtol: 0x1p-7)
        case .f16: return .close(atol: 2 * 0x1p-11 * 8, rtol: 0x1p-10)
        default: return .close(atol: 2e-5, rtol: 1e-5)
        }
    }

    static var norms: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        let tolerance = { (dtype: DType) in oneOutputULP(dtype, atol: 1e-5, rtol: 1e-5) }
        for dtype in computeTypes {
            // Row lengths: warp teams (17, 128, 129), block teams (3072, 4099), the `_big` kernels (40000).
            for shape in [[33, 17], [65, 128], [9, 129], [37, 3072], [3, 4099], [2, 40000]] {
                let d = shape[1]
                cases.append(SelfTestCase("layerNorm \(dtype) \(shape)", op: .layerNorm, dtype: dtype, tolerance: tolerance(dtype),
                                          inputs: { [try $0.tensor(Shape(shape), dtype: dtype, scale: 3)] },
                                          run: { try layerNorm(try $0[0] + 5, eps: 1e-6) }))
                cases.append(SelfTestCase("layerNorm affine \(dtype) \(shape)", op: .layerNorm, dtype: dtype, tolerance: tolerance(dtype),
                                          inputs: { [try $0.tensor(Shape(shape), dtype: dtype, scale: 3), try $0.tensor([d], dtype: dtype),
                                                     try $0.tensor([d], dtype: .f32)] },
                                          run: { try layerNorm($0[0], weight: $0[1], bias: $0[2].cast(to: dtype), eps: 1e-5) }))
                cases.append(SelfTestCase("rmsNorm \(dtype) \(shape)", op: .rmsNorm, dtype: dtype, tolerance: tolerance(dtype),
                                          inputs: { [try $0.tensor(Shape(shape), dtype: dtype, scale: 3), try $0.tensor([d], dtype: .f32)] },
                                          run: { try rmsNorm($0[0], weight: $0[1], eps: 1e-6) }))
                cases.append(SelfTestCase("softmax \(dtype) \(shape)", op: .softmax, dtype: dtype,
                                          tolerance: oneOutputULP(dtype, atol: 1e-7, rtol: 2e-5),
                                          inputs: { [try $0.tensor(Shape(shape), dtype: dtype, scale: 4)] },
                                          run: { try softmax($0[0]) }))
            }
            // A bf16 weight on an f32 input, a strided input (made contiguous by the op).
            cases.append(SelfTestCase("rmsNorm \(dtype) [24, 33, 128] of a permuted view", op: .rmsNorm, dtype: dtype, tolerance: tolerance(dtype),
                                      inputs: { [try $0.tensor([33, 24, 128], dtype: dtype), try $0.tensor([128], dtype: .bf16)] },
                                      run: { try rmsNorm(try $0[0].permute(1, 0, 2), weight: $0[1], eps: 1e-6) }))
            // Softmax edge cases: −inf entries (masked) next to finite ones, and a fully masked row (NaN).
            cases.append(SelfTestCase("softmax \(dtype) [17, 4608] with −inf", op: .softmax, dtype: dtype,
                                      tolerance: oneOutputULP(dtype, atol: 1e-7, rtol: 2e-5),
                                      inputs: { rng in
                                          let mask = (0..<(17 * 4608)).map { i -> Float in (i / 4608 == 3 || i % 7 == 2) ? -.infinity : 0 }
                                          return [try rng.tensor([17, 4608], dtype: dtype, scale: 4),
                                                  try Tensor(mask, shape: [17, 4608], dtype: dtype, on: SelfTest.reference)]
                                      },
                                      run: { try softmax(try $0[0] + $0[1]) }))
            // The fused modulated LayerNorm against (1 + scale) * layerNorm(x) + shift on the CPU.
            for (b, l, d) in [(2, 77, 3072), (3, 5, 17), (1, 9, 129)] {
                cases.append(SelfTestCase("modulatedLayerNorm \(dtype) [\(b), \(l), \(d)]", op: .layerNorm, dtype: dtype,
                                          tolerance: modulatedTolerance(dtype),
                                          inputs: { [try $0.tensor([b, l, d], dtype: dtype, scale: 2), try $0.tensor([b, 6 * d], dtype: dtype, scale: 0.5)] },
                                          run: { x in
                                              let parts = try x[1].chunk(6, axis: 1)
                                              return try modulatedLayerNorm(x[0], shift: parts[3], scale: parts[4], eps: 1e-6)
                                          }))
            }
            // GroupNorm: VAE-like (32 groups), odd spatial sizes, a group larger than one statistics chunk.
            for (shape, groups) in [([1, 64, 33, 31], 32), ([2, 6, 5, 7], 3), ([1, 32, 64, 64], 8), ([3, 4, 9], 2)] {
                let c = shape[1]
                cases.append(SelfTestCase("groupNorm \(dtype) \(shape) groups \(groups)", op: .groupNorm, dtype: dtype,
                                          tolerance: tolerance(dtype),
                                          inputs: { [try $0.tensor(Shape(shape), dtype: dtype, scale: 3), try $0.tensor([c], dtype: dtype),
                                                     try $0.tensor([c], dtype: dtype)] },
                                          run: { try groupNorm(try $0[0] + 2, groups: groups, weight: $0[1], bias: $0[2], eps: 1e-6) }))
            }
        }
        return cases
    }
}
