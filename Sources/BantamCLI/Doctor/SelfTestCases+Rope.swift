import BantamCore
#if canImport(Glibc)
import Glibc
#endif

/// Self-test rows of rope.cu: rotary embeddings in both pairings (the row kernel, and the pair kernel for
/// head sizes it cannot take), and the fused QK norm + RoPE on q and k split from a fused qkv projection,
/// as FLUX's blocks call it.
///
/// Tolerances: rope is the same two products and a sum on both sides: bit-exact. qkNormRope rounds the
/// normalized x to the dtype before rotating (as its composition does); where the GPU's RMS statistic
/// differs by an f32 ulp that rounding can land one ulp apart, which the rotation carries: up to
/// (|cos| + |sin|)·ulp(|n| ≤ 4) in the output, plus the output's own rounding.
extension SelfTestCases {
    static func qkNormRopeTolerance(_ dtype: DType) -> SelfTestTolerance {
        switch dtype {
        case .bf16: return .close(atol: 1.5 * 0x1p-6, rtol: 0x1p-7)
        case .f16: return .close(atol: 1.5 * 0x1p-9, rtol: 0x1p-10)
        default: return .close(atol: 1e-5, rtol: 1e-5)
        }
    }

    /// cos and sin [l, half] of random angles, as `dtype`.
    static func angleTables(_ rng: inout SelfTestRandom, l: Int, half: Int, dtype: DType = .f32) throws -> [Tensor] {
        let angles = (0..<(l * half)).map { _ in rng.uniform(-40, 40) }
        return [try Tensor(angles.map { Float(Glibc.cos(Double($0))) }, shape: [l, half], dtype: dtype, on: SelfTest.reference),
                try Tensor(angles.map { Float(Glibc.sin(Double($0))) }, shape: [l, half], dtype: dtype, on: SelfTest.reference)]
    }

    static var ropeRows: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        for dtype in computeTypes {
            for style in [RopeStyle.interleaved, .halves] {
                // D = 128 (vectors), 12 (2-element vectors), 6 and 10 (the pair kernel), 2048 (a block per row).
                for (shape, tableType) in [([2, 3, 33, 128], DType.f32), ([1, 5, 7, 12], .f32), ([2, 2, 9, 6], .bf16),
                                           ([1, 3, 5, 10], .f16), ([1, 2, 3, 2048], .f32)] {
                    cases.append(SelfTestCase("rope \(style.rawValue) \(dtype) \(shape) \(tableType) tables", op: .rope, dtype: dtype,
                                              tolerance: .exact,
                                              inputs: { rng in
                                                  [try rng.tensor(Shape(shape), dtype: dtype, scale: 2)]
                                                      + (try angleTables(&rng, l: shape[2], half: shape[3] / 2, dtype: tableType))
                                              },
                                              run: { try rope($0[0], cos: $0[1], sin: $0[2], style: style) }))
                }
                // q of a fused qkv [B, L, 3·H·D] (a strided view), normalized and rotated in one pass.
                for (b, l, h, d) in [(2, 33, 3, 128), (1, 17, 2, 64), (1, 5, 3, 6), (1, 3, 2, 2048)] {
                    cases.append(SelfTestCase("qkNormRope \(style.rawValue) \(dtype) [\(b), \(h), \(l), \(d)] from qkv", op: .rope,
                                              dtype: dtype, tolerance: qkNormRopeTolerance(dtype),
                                              inputs: { rng in
                                                  [try rng.tensor([b, l, 3 * h * d], dtype: dtype, scale: 2),
                                                   try rng.tensor([d], dtype: dtype, scale: 0.3)]
                                                      + (try angleTables(&rng, l: l, half: d / 2))
                                              },
                                              run: { x in
                                                  let q = try x[0].reshape([b, l, 3, h, d]).permute(2, 0, 3, 1, 4)
                                                      .slice(axis: 0, 1..<2).squeeze(0)                 // k: [B, H, L, D]
                                                  return try qkNormRope(q, weight: x[1], cos: x[2], sin: x[3], eps: 1e-6, style: style)
                                              }))
                }
            }
        }
        return cases
    }
}
