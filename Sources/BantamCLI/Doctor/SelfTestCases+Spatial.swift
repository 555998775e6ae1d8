import BantamCore

/// Self-test rows of embedding.cu, upsample.cu and conv.cu.
///
/// Embedding and upsampling move elements without arithmetic: bit-exact. conv2d sums K = C/G·KH·KW products
/// in another order than the CPU's GEMM (f32 accumulation on both): with weights scaled by 1/√K the outputs
/// are O(1) and agree to about √K f32 ulp; 16-bit outputs add one ulp, and the cuBLASLt path adds the bias
/// to an already rounded result (a second rounding).
extension SelfTestCases {
    static var spatial: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        // Embedding: i32 and i64 ids, odd widths, a T5-sized row.
        for dtype in computeTypes {
            for (vocab, dim, ids, idType) in [(1000, 129, [3, 17], DType.i32), (517, 64, [77], .i64), (300, 4096, [2, 77], .i32)] {
                cases.append(SelfTestCase("embedding \(dtype) [\(vocab), \(dim)] ids \(ids) \(idType)", op: .embedding, dtype: dtype,
                                          tolerance: .exact,
                                          inputs: { rng in
                                              let count = ids.reduce(1, *)
                                              let tokens = (0..<count).map { _ in Int(rng.next() % UInt64(vocab)) }
                                              return [try Tensor(ints: tokens, shape: Shape(ids), dtype: idType, on: SelfTest.reference),
                                                      try rng.tensor([vocab, dim], dtype: dtype)]
                                          },
                                          run: { try embedding($0[0], table: $0[1]) }))
            }
        }
        // Nearest upsampling: vectorized rows (×2 of even widths), odd widths, ×3, integer dtypes.
        for (dtype, shape, factor) in [(DType.bf16, [1, 64, 32, 32], 2), (.f32, [2, 3, 17, 13], 2), (.f16, [1, 5, 7, 9], 3),
                                       (.f32, [1, 8, 16, 16], 2), (.u8, [1, 3, 9, 8], 2), (.i64, [2, 2, 5, 3], 2), (.bf16, [1, 2, 3, 5], 1)] {
            cases.append(SelfTestCase("upsampleNearest2d \(dtype) \(shape) ×\(factor)", op: .upsampleNearest2d, dtype: dtype, tolerance: .exact,
                                      inputs: { [try $0.tensor(Shape(shape), dtype: dtype, scale: 50)] },
                                      run: { try upsampleNearest2d($0[0], factor: factor) }))
        }
        // conv2d: padding, stride, dilation, groups, 1×1, no bias, and a column scratch larger than one band.
        let convs: [(String, [Int], [Int], Conv2dParams, Bool)] = [
            ("3×3 pad 1", [1, 8, 17, 19], [16, 8, 3, 3], Conv2dParams(padding: 1), true),
            ("3×3 stride 2 dilation 2 groups 2", [2, 6, 15, 12], [4, 3, 3, 3], Conv2dParams(stride: 2, padding: 2, dilation: 2, groups: 2), true),
            ("1×1", [2, 16, 9, 7], [8, 16, 1, 1], Conv2dParams(), true),
            ("4×3 no bias", [1, 3, 11, 10], [5, 3, 4, 3], Conv2dParams(stride: (1, 2), padding: (0, 1)), false),
            ("3×3 pad 1", [1, 32, 24, 20], [32, 32, 3, 3], Conv2dParams(padding: 1), true),
        ]
        for dtype in computeTypes {
            for (label, xShape, wShape, params, hasBias) in convs {
                let k = wShape[1] * wShape[2] * wShape[3]
                cases.append(SelfTestCase("conv2d \(label) \(dtype) \(xShape) * \(wShape)", op: .conv2d, dtype: dtype,
                                          tolerance: oneOutputULP(dtype, atol: 2e-2 * (dtype == .f32 ? 0.005 : 1), rtol: 1e-4),
                                          inputs: { rng in
                                              [try rng.tensor(Shape(xShape), dtype: dtype), try rng.tensor(Shape(wShape), dtype: dtype,
                                                                                                           scale: 1 / Float(k).squareRoot()),
                                               try rng.tensor([wShape[0]], dtype: dtype)]
                                          },
                                          run: { try conv2d($0[0], weight: $0[1], bias: hasBias ? $0[2] : nil, params: params) }))
            }
        }
        return cases
    }
}
