import BantamCore
import BantamCUDA

/// Self-test rows of the GEMM family (cuBLASLt): matmul and linear in f32/f16/bf16 with odd sizes,
/// transposed, strided and broadcast operands, bias and GELU epilogues, and the quantized linears (FP8 W8A8
/// and weight-only, NF4) against CPU references that reproduce the device's quantization exactly.
///
/// Tolerances: f32 runs in true f32 (no TF32), so only the summation order differs; f16/bf16 outputs are
/// rounded once from f32 sums, so the CPU and the GPU can differ by about one unit in the last place (plus a
/// rounding of the GELU input on the CPU's unfused path).
extension SelfTestCases {
    static var gemm: [SelfTestCase] { matmuls + linears + quantizedLinears }

    static func gemmTolerance(_ dtype: DType) -> SelfTestTolerance {
        switch dtype {
        case .f32: return .close(atol: 1e-4, rtol: 1e-4)
        case .f16: return .close(atol: 4e-3, rtol: 4e-3)
        default: return .close(atol: 2e-2, rtol: 1.6e-2)
        }
    }

    /// Batched matmuls through the op layer (`matmul`): every operand layout the mapping distinguishes.
    static var matmuls: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        for dtype in [DType.f32, .f16, .bf16] {
            let tol = gemmTolerance(dtype)
            cases.append(SelfTestCase("matmul \(dtype) [33, 17] · [17, 29]", op: .matmul, dtype: dtype, tolerance: tol,
                                      inputs: { [try $0.tensor([33, 17], dtype: dtype, scale: 0.5), try $0.tensor([17, 29], dtype: dtype, scale: 0.5)] },
                                      run: { try matmul($0[0], $0[1]) }))
            cases.append(SelfTestCase("matmul \(dtype) batched [3, 65, 129] · [3, 129, 31]", op: .matmul, dtype: dtype, tolerance: tol,
                                      inputs: { [try $0.tensor([3, 65, 129], dtype: dtype, scale: 0.5), try $0.tensor([3, 129, 31], dtype: dtype, scale: 0.5)] },
                                      run: { try matmul($0[0], $0[1]) }))
            cases.append(SelfTestCase("matmul \(dtype) aᵀ · bᵀ [40, 7]ᵀ · [9, 40]ᵀ", op: .matmul, dtype: dtype, tolerance: tol,
                                      inputs: { [try $0.tensor([40, 7], dtype: dtype, scale: 0.5), try $0.tensor([9, 40], dtype: dtype, scale: 0.5)] },
                                      run: { try matmul($0[0].T, $0[1].T) }))
        }
        let bf16 = gemmTolerance(.bf16), f32 = gemmTolerance(.f32)
        cases += [
            SelfTestCase("matmul bf16 a · bᵀ batched [2, 33, 64] · [2, 48, 64]ᵀ", op: .matmul, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([2, 33, 64], dtype: .bf16, scale: 0.5), try $0.tensor([2, 48, 64], dtype: .bf16, scale: 0.5)] },
                         run: { try matmul($0[0], $0[1].permute(0, 2, 1)) }),
            // Shared right operand: the batch folds into the rows (one GEMM).
            SelfTestCase("matmul bf16 [4, 33, 17] · broadcast [17, 29]", op: .matmul, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([4, 33, 17], dtype: .bf16, scale: 0.5), try $0.tensor([17, 29], dtype: .bf16, scale: 0.5)] },
                         run: { try matmul($0[0], $0[1]) }),
            // Shared left operand: batch stride 0 in cuBLASLt.
            SelfTestCase("matmul f32 broadcast [33, 17] · [4, 17, 29]", op: .matmul, dtype: .f32, tolerance: f32,
                         inputs: { [try $0.tensor([33, 17], dtype: .f32, scale: 0.5), try $0.tensor([4, 17, 29], dtype: .f32, scale: 0.5)] },
                         run: { try matmul($0[0], $0[1]) }),
            // Batch axis inside the rows (permuted view): batch stride 17, row stride 68.
            SelfTestCase("matmul bf16 permuted [33, 4, 17] → [4, 33, 17] · [4, 17, 9]", op: .matmul, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([33, 4, 17], dtype: .bf16, scale: 0.5), try $0.tensor([4, 17, 9], dtype: .bf16, scale: 0.5)] },
                         run: { try matmul($0[0].permute(1, 0, 2), $0[1]) }),
            // Two non-unit strides: copied before the GEMM.
            SelfTestCase("matmul f16 strided [17, 33, 2][..., 0] · [33, 5]", op: .matmul, dtype: .f16, tolerance: gemmTolerance(.f16),
                         inputs: { [try $0.tensor([17, 33, 2], dtype: .f16, scale: 0.5), try $0.tensor([33, 5], dtype: .f16, scale: 0.5)] },
                         run: { try matmul($0[0].slice(axis: 2, 0..<1).squeeze(2), $0[1]) }),
            SelfTestCase("matmul bf16 row vector [1, 1, 300] · [1, 300, 1]", op: .matmul, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([1, 1, 300], dtype: .bf16, scale: 0.5), try $0.tensor([1, 300, 1], dtype: .bf16, scale: 0.5)] },
                         run: { try matmul($0[0], $0[1]) }),
            SelfTestCase("matmul bf16 4-D broadcast [2, 1, 9, 16] · [3, 16, 8]", op: .matmul, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([2, 1, 9, 16], dtype: .bf16, scale: 0.5), try $0.tensor([3, 16, 8], dtype: .bf16, scale: 0.5)] },
                         run: { try matmul($0[0], $0[1]) }),
        ]
        return cases
    }

    /// Linear and linearGELU: bias epilogues, odd and FLUX-like sizes, strided inputs, mixed dtypes.
    static var linears: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        for dtype in [DType.f32, .f16, .bf16] {
            let tol = gemmTolerance(dtype)
            cases.append(SelfTestCase("linear \(dtype) [129, 96] · [200, 96]ᵀ + bias", op: .linear, dtype: dtype, tolerance: tol,
                                      inputs: { [try $0.tensor([129, 96], dtype: dtype, scale: 0.5), try $0.tensor([200, 96], dtype: dtype, scale: 0.5),
                                                 try $0.tensor([200], dtype: dtype)] },
                                      run: { try linear($0[0], weight: $0[1], bias: $0[2]) }))
            cases.append(SelfTestCase("linear \(dtype) [7, 33] · [17, 33]ᵀ, no bias", op: .linear, dtype: dtype, tolerance: tol,
                                      inputs: { [try $0.tensor([7, 33], dtype: dtype, scale: 0.5), try $0.tensor([17, 33], dtype: dtype, scale: 0.5)] },
                                      run: { try linear($0[0], weight: $0[1]) }))
            cases.append(SelfTestCase("linearGELU \(dtype) [2, 65, 64] · [96, 64]ᵀ + bias", op: .linear, dtype: dtype, tolerance: tol,
                                      inputs: { [try $0.tensor([2, 65, 64], dtype: dtype, scale: 0.5), try $0.tensor([96, 64], dtype: dtype, scale: 0.5),
                                                 try $0.tensor([96], dtype: dtype)] },
                                      run: { try linearGELU($0[0], weight: $0[1], bias: $0[2]) }))
        }
        let bf16 = gemmTolerance(.bf16)
        cases += [
            SelfTestCase("linearGELU bf16 [33, 48] · [40, 48]ᵀ, no bias", op: .linear, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([33, 48], dtype: .bf16, scale: 0.5), try $0.tensor([40, 48], dtype: .bf16, scale: 0.5)] },
                         run: { try linearGELU($0[0], weight: $0[1]) }),
            // x rows 80 apart (a column slice): cuBLASLt's leading dimension, no copy.
            SelfTestCase("linear bf16 sliced x [31, 80][:, :64] · [24, 64]ᵀ", op: .linear, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([31, 80], dtype: .bf16, scale: 0.5), try $0.tensor([24, 64], dtype: .bf16, scale: 0.5),
                                    try $0.tensor([24], dtype: .bf16)] },
                         run: { try linear($0[0].slice(axis: 1, 0..<64), weight: $0[1], bias: $0[2]) }),
            // A weight row slice (FLUX's single-block MLP part of linear1).
            SelfTestCase("linearGELU bf16 weight rows [96..<224] of [256, 64]", op: .linear, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([19, 64], dtype: .bf16, scale: 0.5), try $0.tensor([256, 64], dtype: .bf16, scale: 0.5),
                                    try $0.tensor([256], dtype: .bf16)] },
                         run: { try linearGELU($0[0], weight: $0[1].slice(axis: 0, 96..<224), bias: $0[2].slice(axis: 0, 96..<224)) }),
            SelfTestCase("linear bf16 x, f32 weight and bias [9, 40] · [11, 40]ᵀ", op: .linear, dtype: .f32, tolerance: bf16,
                         inputs: { [try $0.tensor([9, 40], dtype: .bf16, scale: 0.5), try $0.tensor([11, 40], dtype: .f32, scale: 0.5),
                                    try $0.tensor([11], dtype: .f32)] },
                         run: { try linear($0[0], weight: $0[1], bias: $0[2]) }),
            SelfTestCase("linear bf16 x, f32 bias [9, 40] · [11, 40]ᵀ", op: .linear, dtype: .bf16, tolerance: bf16,
                         inputs: { [try $0.tensor([9, 40], dtype: .bf16, scale: 0.5), try $0.tensor([11, 40], dtype: .bf16, scale: 0.5),
                                    try $0.tensor([11], dtype: .f32)] },
                         run: { try linear($0[0], weight: $0[1], bias: $0[2]) }),
            // Plain FP8 weights (no scales) through `linear`: dequantized exactly to bf16.
            SelfTestCase("linear bf16 x, f8e4m3fn weight [65, 64] · [48, 64]ᵀ", op: .linear, dtype: .f8e4m3fn, tolerance: bf16,
                         inputs: { [try $0.tensor([65, 64], dtype: .bf16, scale: 0.5), try $0.tensor([48, 64], dtype: .f8e4m3fn, scale: 0.5),
                                    try $0.tensor([48], dtype: .bf16)] },
                         run: { try linear($0[0], weight: $0[1], bias: $0[2]) }),
            SelfTestCase("linear f16 x, f8e5m2 weight [17, 32] · [24, 32]ᵀ", op: .linear, dtype: .f8e5m2, tolerance: gemmTolerance(.f16),
                         inputs: { [try $0.tensor([17, 32], dtype: .f16, scale: 0.5), try $0.tensor([24, 32], dtype: .f8e5m2, scale: 0.5)] },
                         run: { try linear($0[0], weight: $0[1]) }),
        ]
        return cases
    }
}
