import BantamCore
import BantamCUDA

/// Attention rows: each GPU path against the CPU backend on fresh random q, k, v (values about ±1, sums of
/// three uniforms), odd lengths (tails of the 64-row and 64-key tiles), Lq ≠ Lk, broadcast and full biases,
/// causal masks and fully masked rows (a −inf bias row must give zeros).
///
/// Tolerances: the output is rounded to the dtype on both sides and the GPU also rounds the probabilities
/// to it before P·V, so bf16 (8-bit mantissa) allows 2e-2 absolute + 2e-2 relative, f16 4e-3 + 4e-3, f32
/// (generic kernel, expf) 2e-5 + 1e-4.
extension SelfTestCases {
    static var attention: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        // (path, dtype, b, h, lq, lk, d, dv, bias dims or nil, causal)
        typealias Row = (AttentionPath, DType, Int, Int, Int, Int, Int, Int, [Int]?, Bool)
        let rows: [Row] = [
            (.flash, .bf16, 1, 3, 333, 333, 128, 128, nil, false),
            (.flash, .bf16, 2, 2, 77, 77, 64, 64, nil, false),
            (.flash, .f16, 1, 2, 1, 77, 128, 128, nil, false),
            (.flash, .bf16, 1, 2, 77, 333, 128, 128, nil, false),
            (.flash, .f16, 1, 2, 200, 65, 64, 64, nil, false),
            (.flash, .bf16, 1, 1, 130, 4608, 64, 64, nil, false),
            (.flash, .bf16, 1, 1, 4608, 77, 128, 128, nil, false),
            (.flash, .bf16, 1, 2, 100, 150, 64, 64, nil, true),
            (.flash, .f16, 2, 2, 129, 129, 128, 128, nil, true),
            (.flash, .bf16, 1, 3, 77, 77, 128, 128, [1, 3, 77, 77], false),
            (.flash, .f16, 2, 2, 33, 40, 64, 64, [2, 2, 33, 40], true),
            (.flash, .bf16, 2, 2, 50, 70, 64, 64, [2, 1, 1, 70], false),
            (.automatic, .bf16, 1, 2, 512, 512, 128, 128, nil, false),
            (.automatic, .bf16, 2, 3, 333, 333, 64, 64, nil, false),
            (.automatic, .f16, 1, 2, 77, 4608, 128, 128, nil, false),
            (.generic, .f32, 1, 2, 50, 61, 80, 80, [1, 2, 50, 61], true),
            (.generic, .bf16, 2, 1, 33, 17, 80, 80, nil, false),
            (.generic, .f16, 1, 2, 19, 300, 64, 32, nil, false),
            (.automatic, .f32, 1, 2, 77, 77, 64, 64, nil, true),
        ]
        for (path, dtype, b, h, lq, lk, d, dv, biasDims, causal) in rows {
            var name = "attention \(path.rawValue) \(dtype) [\(b), \(h), \(lq)/\(lk), \(d)\(dv == d ? "" : "→\(dv)")]"
            if let biasDims { name += " bias \(biasDims)" }
            if causal { name += " causal" }
            cases.append(SelfTestCase(name, op: .attention, dtype: dtype, tolerance: tolerance(dtype),
                                      inputs: { rng in
                                          var tensors = [try rng.tensor([b, h, lq, d], dtype: dtype),
                                                         try rng.tensor([b, h, lk, d], dtype: dtype),
                                                         try rng.tensor([b, h, lk, dv], dtype: dtype)]
                                          if let biasDims { tensors.append(try rng.tensor(Shape(biasDims), dtype: dtype)) }
                                          return tensors
                                      },
                                      run: { try run($0, causal: causal, path: path) }))
        }
        // Fully masked rows: a bias of −inf over every key of some rows (padding) gives zeros there.
        for (path, dtype) in [(AttentionPath.flash, DType.bf16), (.generic, .f32)] {
            cases.append(SelfTestCase("attention \(path.rawValue) \(dtype) fully masked rows [1, 2, 40/70, 64]", op: .attention,
                                      dtype: dtype, tolerance: tolerance(dtype),
                                      inputs: { rng in
                                          var bias = rng.values(40 * 70)
                                          for row in [0, 7, 39] { for j in 0..<70 { bias[row * 70 + j] = -.infinity } }
                                          for j in 0..<70 where j % 3 == 0 { bias[5 * 70 + j] = -.infinity }
                                          return [try rng.tensor([1, 2, 40, 64], dtype: dtype), try rng.tensor([1, 2, 70, 64], dtype: dtype),
                                                  try rng.tensor([1, 2, 70, 64], dtype: dtype),
                                                  try Tensor(bias, shape: [1, 1, 40, 70], dtype: dtype, on: SelfTest.reference)]
                                      },
                                      run: { try run($0, causal: false, path: path) }))
        }
        return cases
    }

    static func tolerance(_ dtype: DType) -> SelfTestTolerance {
        switch dtype {
        case .bf16: return .close(atol: 2e-2, rtol: 2e-2)
        case .f16: return .close(atol: 4e-3, rtol: 4e-3)
        default: return .close(atol: 2e-5, rtol: 1e-4)
        }
    }

    /// Runs the op on either backend: on the GPU through `path`, on the CPU through the op layer.
    static func run(_ inputs: [Tensor], causal: Bool, path: AttentionPath) throws -> Tensor {
        let (q, k, v) = (inputs[0], inputs[1], inputs[2])
        let bias = inputs.count > 3 ? inputs[3] : nil
        guard let cuda = q.backend as? CUDABackend else { return try BantamCore.attention(q, k, v, bias: bias, causal: causal) }
        let (b, h, lq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let out = try cuda.empty([b, h, lq, v.shape[3]], dtype: q.dtype)
        try cuda.attention(q, k, v, bias: try bias?.expand(to: [b, h, lq, k.shape[2]]), causal: causal,
                           scale: 1 / Float(d).squareRoot(), into: out, path: path)
        return out
    }
}
