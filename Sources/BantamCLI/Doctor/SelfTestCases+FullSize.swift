import BantamCore

/// Self-test rows at the sizes the models run (FLUX.1 at 1024²: 4608 tokens, hidden 3072, 24 heads of 128;
/// the VAE's 512-channel 128² maps), bf16. They take seconds on the CPU reference, so `SelfTestCases.all`
/// (doctor) runs them and the CPU-as-device unit test (`standard`) does not. Tolerances as in the family
/// files.
extension SelfTestCases {
    public static var fullSize: [SelfTestCase] {
        let bf16 = DType.bf16
        let (tokens, hidden, heads, head) = (4608, 3072, 24, 128)
        var cases: [SelfTestCase] = [
            SelfTestCase("layerNorm bf16 [4608, 3072] (FLUX)", op: .layerNorm, dtype: bf16,
                         tolerance: oneOutputULP(bf16, atol: 1e-5, rtol: 1e-5),
                         inputs: { [try $0.tensor([tokens, hidden], dtype: bf16, scale: 3)] },
                         run: { try layerNorm($0[0], eps: 1e-6) }),
            SelfTestCase("modulatedLayerNorm bf16 [1, 4608, 3072] (FLUX)", op: .layerNorm, dtype: bf16,
                         tolerance: modulatedTolerance(bf16),
                         inputs: { [try $0.tensor([1, tokens, hidden], dtype: bf16, scale: 2), try $0.tensor([1, 6 * hidden], dtype: bf16, scale: 0.5)] },
                         run: { x in
                             let parts = try x[1].chunk(6, axis: 1)
                             return try modulatedLayerNorm(x[0], shift: parts[0], scale: parts[1], eps: 1e-6)
                         }),
            SelfTestCase("gatedResidual bf16 [1, 4608, 3072] (FLUX)", op: .binary, dtype: bf16, tolerance: .exact,
                         inputs: { [try $0.tensor([1, tokens, hidden], dtype: bf16), try $0.tensor([1, 6 * hidden], dtype: bf16),
                                    try $0.tensor([1, tokens, hidden], dtype: bf16)] },
                         run: { try gatedResidual($0[0], gate: $0[1].chunk(6, axis: 1)[2], $0[2]) }),
            SelfTestCase("qkNormRope interleaved bf16 [1, 24, 4608, 128] from qkv (FLUX)", op: .rope, dtype: bf16,
                         tolerance: qkNormRopeTolerance(bf16),
                         inputs: { rng in
                             [try rng.tensor([1, tokens, 3 * hidden], dtype: bf16, scale: 2), try rng.tensor([head], dtype: bf16, scale: 0.3)]
                                 + (try angleTables(&rng, l: tokens, half: head / 2))
                         },
                         run: { x in
                             let q = try x[0].reshape([1, tokens, 3, heads, head]).permute(2, 0, 3, 1, 4).slice(axis: 0, 0..<1).squeeze(0)
                             return try qkNormRope(q, weight: x[1], cos: x[2], sin: x[3], eps: 1e-6, style: .interleaved)
                         }),
            SelfTestCase("add bias bf16 [4608, 3072] + [3072] (FLUX)", op: .binary, dtype: bf16, tolerance: .exact,
                         inputs: { [try $0.tensor([tokens, hidden], dtype: bf16), try $0.tensor([hidden], dtype: bf16)] },
                         run: { try $0[0] + $0[1] }),
            SelfTestCase("gelu bf16 [4608, 3072] (FLUX)", op: .unary, dtype: bf16, tolerance: oneOutputULP(bf16, atol: 2e-6, rtol: 1e-5),
                         inputs: { [try $0.tensor([tokens, hidden], dtype: bf16, scale: 3)] },
                         run: { try gelu($0[0]) }),
            SelfTestCase("mean bf16 [4608, 3072] over [1] (FLUX rows)", op: .reduce, dtype: bf16,
                         tolerance: oneOutputULP(bf16, atol: 1e-5, rtol: 1e-5),
                         inputs: { [try $0.tensor([tokens, hidden], dtype: bf16, scale: 3)] },
                         run: { try mean($0[0], axes: [1]) }),
            SelfTestCase("sum bf16 [1, 4608, 3072] over [1] (FLUX columns)", op: .reduce, dtype: bf16,
                         tolerance: oneOutputULP(bf16, atol: 1e-6 * Double(tokens) * 3, rtol: 1e-5),
                         inputs: { [try $0.tensor([1, tokens, hidden], dtype: bf16)] },
                         run: { try sum($0[0], axes: [1]) }),
            SelfTestCase("embedding bf16 [32128, 4096] ids [1, 512] (T5)", op: .embedding, dtype: bf16, tolerance: .exact,
                         inputs: { rng in
                             let tokens = (0..<512).map { _ in Int(rng.next() % 32128) }
                             return [try Tensor(ints: tokens, shape: [1, 512], dtype: .i64, on: SelfTest.reference),
                                     try rng.tensor([32128, 4096], dtype: bf16)]
                         },
                         run: { try embedding($0[0], table: $0[1]) }),
            SelfTestCase("groupNorm bf16 [1, 512, 128, 128] groups 32 (VAE)", op: .groupNorm, dtype: bf16,
                         tolerance: oneOutputULP(bf16, atol: 1e-5, rtol: 1e-5),
                         inputs: { [try $0.tensor([1, 512, 128, 128], dtype: bf16, scale: 3), try $0.tensor([512], dtype: bf16),
                                    try $0.tensor([512], dtype: bf16)] },
                         run: { try groupNorm($0[0], groups: 32, weight: $0[1], bias: $0[2], eps: 1e-6) }),
            SelfTestCase("upsampleNearest2d bf16 [1, 512, 128, 128] ×2 (VAE)", op: .upsampleNearest2d, dtype: bf16, tolerance: .exact,
                         inputs: { [try $0.tensor([1, 512, 128, 128], dtype: bf16)] },
                         run: { try upsampleNearest2d($0[0], factor: 2) }),
        ]
        // conv2d: the VAE's 3×3 at 64², and one whose column scratch (K·P·2 bytes) exceeds the 64 MiB band.
        for (label, xShape, wShape) in [("(VAE)", [1, 128, 64, 64], [128, 128, 3, 3]), ("(two bands)", [1, 512, 96, 96], [256, 512, 3, 3])] {
            let k = wShape[1] * wShape[2] * wShape[3]
            cases.append(SelfTestCase("conv2d 3×3 pad 1 bf16 \(xShape) * \(wShape) \(label)", op: .conv2d, dtype: bf16,
                                      tolerance: oneOutputULP(bf16, atol: 2e-2, rtol: 1e-4),
                                      inputs: { rng in
                                          [try rng.tensor(Shape(xShape), dtype: bf16),
                                           try rng.tensor(Shape(wShape), dtype: bf16, scale: 1 / Float(k).squareRoot()),
                                           try rng.tensor([wShape[0]], dtype: bf16)]
                                      },
                                      run: { try conv2d($0[0], weight: $0[1], bias: $0[2], params: Conv2dParams(padding: 1)) }))
        }
        return cases
    }
}
