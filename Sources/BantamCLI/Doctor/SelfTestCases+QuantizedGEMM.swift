import BantamCore
import BantamCUDA

/// Self-test rows of the quantized linears (CUDABackend.linearFP8 / linearNF4). The CPU side computes a
/// reference that repeats the device's quantization bit for bit — the same per-row activation scales and
/// e4m3 codes for W8A8, the same once-rounded dequantized weights for the weight-only paths — so the only
/// differences left are the summation order, the FP8 tensor cores' accumulation and the output rounding. On GPUs without FP8 tensor cores the W8A8 rows run an emulation (Bantam's quantization
/// kernel, dequantized activations, f32 GEMM), which still checks the quantization kernel.
extension SelfTestCases {
    static var quantizedLinears: [SelfTestCase] {
        var cases: [SelfTestCase] = []
        // (name, x dtype, rows, K, N, static input scale, bias)
        let w8a8: [(DType, Int, Int, Int, Float?, Bool)] = [
            (.bf16, 77, 256, 208, nil, true), (.bf16, 1, 64, 48, nil, false), (.f16, 33, 128, 80, nil, true),
            (.f32, 20, 96, 64, nil, true), (.bf16, 40, 64, 32, 0.004, true),
        ]
        for (dtype, rows, k, n, inputScale, hasBias) in w8a8 {
            let label = inputScale.map { "static scale \($0)" } ?? "per-token scales"
            cases.append(SelfTestCase("linearFP8 W8A8 \(dtype) [\(rows), \(k)]·[\(n), \(k)]ᵀ \(label)\(hasBias ? " + bias" : "")",
                                      op: .linear, dtype: .f8e4m3fn, tolerance: w8a8Tolerance,
                                      inputs: { try fp8Inputs(&$0, dtype: dtype, rows: rows, k: k, n: n, bias: hasBias) },
                                      run: { try runFP8($0, inputScale: inputScale, weightOnly: false) }))
        }
        // Rows longer than the register kernel holds (4096 vectors): the two-pass quantization kernel; with
        // precise accumulation, as fast accumulation over K = 16400 would exceed the budget by itself.
        cases.append(SelfTestCase("linearFP8 W8A8 f32 [2, 16400]·[16, 16400]ᵀ precise accumulation", op: .linear, dtype: .f8e4m3fn,
                                  tolerance: w8a8Tolerance,
                                  inputs: { try fp8Inputs(&$0, dtype: .f32, rows: 2, k: 16400, n: 16, bias: true) },
                                  run: { try runFP8($0, inputScale: nil, weightOnly: false, precise: true) }))
        // Rows 136 bytes apart (not 16-byte aligned): the scalar quantization loop.
        cases.append(SelfTestCase("linearFP8 W8A8 bf16 sliced x [5, 68][:, :64]·[32, 64]ᵀ", op: .linear, dtype: .f8e4m3fn,
                                  tolerance: w8a8Tolerance,
                                  inputs: { rng in
                                      var t = try fp8Inputs(&rng, dtype: .bf16, rows: 5, k: 64, n: 32, bias: true)
                                      t[0] = try rng.tensor([5, 68], dtype: .bf16)
                                      return t
                                  },
                                  run: { t in
                                      var t = t
                                      t[0] = try t[0].slice(axis: 1, 0..<64)
                                      return try runFP8(t, inputScale: nil, weightOnly: false)
                                  }))
        for (dtype, rows, k, n) in [(DType.bf16, 65, 64, 48), (.f16, 9, 40, 24), (.f32, 5, 24, 7)] {
            cases.append(SelfTestCase("linearFP8 weight-only \(dtype) [\(rows), \(k)]·[\(n), \(k)]ᵀ + bias", op: .linear, dtype: .f8e4m3fn,
                                      tolerance: gemmTolerance(dtype),
                                      inputs: { try fp8Inputs(&$0, dtype: dtype, rows: rows, k: k, n: n, bias: true) },
                                      run: { try runFP8($0, inputScale: nil, weightOnly: true) }))
        }
        // K = 40 is no multiple of 16: FP8 tensor cores refuse it and the device takes the weight-only path.
        cases.append(SelfTestCase("linearFP8 bf16 [21, 40]·[32, 40]ᵀ (K % 16 ≠ 0 → weight-only)", op: .linear, dtype: .f8e4m3fn,
                                  tolerance: gemmTolerance(.bf16),
                                  inputs: { try fp8Inputs(&$0, dtype: .bf16, rows: 21, k: 40, n: 32, bias: true) },
                                  run: { try runFP8($0, inputScale: nil, weightOnly: true) }))
        for (dtype, rows, k, n, block) in [(DType.bf16, 37, 128, 96, 64), (.f16, 8, 64, 33, 64), (.bf16, 3, 30, 7, 16)] {
            cases.append(SelfTestCase("linearNF4 \(dtype) [\(rows), \(k)]·[\(n), \(k)]ᵀ blocks of \(block) + bias", op: .linear, dtype: dtype,
                                      tolerance: gemmTolerance(dtype),
                                      inputs: { try nf4Inputs(&$0, dtype: dtype, rows: rows, k: k, n: n, blockSize: block) },
                                      run: { try runNF4($0, blockSize: block) }))
        }
        return cases
    }

    /// W8A8 outputs (|y| up to about 15 here): Hopper's FP8 tensor cores keep partial sums with less than
    /// f32 precision (about 2⁻¹³ of the sum of |terms| measured: 0.0056 on 3.93 with K = 96; more with fast
    /// accumulation, Bantam's default), so even f32 outputs get the bf16 budget. A wrong scale or code is
    /// off by a whole e4m3 step (6%) or more and still fails.
    static let w8a8Tolerance = SelfTestTolerance.close(atol: 3e-2, rtol: 1.6e-2)

    /// [x, weight e4m3 [N, K], rowScales f32 [N], bias?]
    static func fp8Inputs(_ rng: inout SelfTestRandom, dtype: DType, rows: Int, k: Int, n: Int, bias: Bool) throws -> [Tensor] {
        let cpu = SelfTest.reference
        var inputs = [try rng.tensor([rows, k], dtype: dtype),
                      try rng.tensor([n, k], dtype: .f8e4m3fn, scale: 100),
                      try Tensor((0..<n).map { _ in rng.uniform(0.001, 0.01) }, shape: [n], dtype: .f32, on: cpu)]
        if bias { inputs.append(try rng.tensor([n], dtype: dtype)) }
        return inputs
    }

    /// Device: the CUDA FP8 linear (W8A8 forced to its path, or weight-only forced). CPU: the reference.
    static func runFP8(_ t: [Tensor], inputScale: Float?, weightOnly: Bool, precise: Bool = false) throws -> Tensor {
        let (x, w, scales, bias) = (t[0], t[1], t[2], t.count > 3 ? t[3] : nil)
        if let cuda = x.backend as? CUDABackend {
            let engine = try cuda.gemmEngine()
            let saved = engine.gemmSettings
            defer { engine.gemmSettings = saved }
            engine.gemmSettings.fp8Path = weightOnly ? .weightOnly : .auto
            if precise { engine.gemmSettings.fp8FastAccumulation = false }
            if !weightOnly && !cuda.device.precision.fp8TensorCores {
                // Emulated W8A8: Bantam's quantization kernel, then an f32 GEMM of the dequantized operands.
                let (q, s) = try cuda.quantizeRowsE4M3(x, inputScale: inputScale)
                let xq = try cuda.dequantizeRowsE4M3(values: q, scales: s)
                let wq = try cuda.dequantizeFP8(w, rowScales: scales, to: .f32)
                return try linear(xq, weight: wq, bias: bias?.cast(to: .f32)).cast(to: x.dtype)
            }
            return try cuda.linearFP8(x: x, weight8: w, rowScales: scales, bias: bias, inputScale: inputScale)
        }
        let rows = x.shape[0], k = x.shape[1], n = w.shape[0]
        let rowScales = try scales.floats()
        let weights = try w.floats()
        var xValues = try x.floats()
        var wValues = [Float](repeating: 0, count: n * k)
        for j in 0..<n { for p in 0..<k { wValues[j * k + p] = weights[j * k + p] * rowScales[j] } }
        if weightOnly {
            // The device rounds the scaled weight once to x's dtype.
            wValues = try Tensor(wValues, shape: [n, k], dtype: x.dtype, on: x.backend).floats()
        } else {
            // Per-row scale absmax/448 (or the static one), codes e4m3(x / scale), values code·scale.
            var quotients = [Float](repeating: 0, count: rows * k)
            var rowScale = [Float](repeating: 1, count: rows)
            for r in 0..<rows {
                let row = xValues[(r * k)..<((r + 1) * k)]
                let absmax = row.reduce(Float(0)) { max($0, abs($1)) }
                rowScale[r] = inputScale ?? (absmax == 0 ? 1 : absmax / 448)
                for p in 0..<k { quotients[r * k + p] = xValues[r * k + p] / rowScale[r] }
            }
            let codes = try Tensor(quotients, shape: [rows, k], dtype: .f8e4m3fn, on: x.backend).floats()
            for r in 0..<rows { for p in 0..<k { xValues[r * k + p] = codes[r * k + p] * rowScale[r] } }
        }
        let x32 = try Tensor(xValues, shape: [rows, k], dtype: .f32, on: x.backend)
        let w32 = try Tensor(wValues, shape: [n, k], dtype: .f32, on: x.backend)
        return try linear(x32, weight: w32, bias: bias?.cast(to: .f32)).cast(to: x.dtype)
    }

    /// [x, codes as u8 [N·K/2], absmax f32 [blocks], quantMap f32 [16], bias]
    static func nf4Inputs(_ rng: inout SelfTestRandom, dtype: DType, rows: Int, k: Int, n: Int, blockSize: Int) throws -> [Tensor] {
        let cpu = SelfTest.reference
        let bytes = (n * k + 1) / 2
        let blocks = (n * k + blockSize - 1) / blockSize
        // The NF4 code book (bitsandbytes' values to 4 digits; any 16 numbers test the kernel equally).
        let map: [Float] = [-1, -0.6962, -0.5251, -0.3949, -0.2844, -0.1848, -0.0911, 0,
                            0.0796, 0.1609, 0.2461, 0.3379, 0.4407, 0.5626, 0.7230, 1]
        return [try rng.tensor([rows, k], dtype: dtype),
                try Tensor((0..<bytes).map { _ in Float(rng.next() & 255) }, shape: [bytes], dtype: .u8, on: cpu),
                try Tensor((0..<blocks).map { _ in rng.uniform(0.01, 0.2) }, shape: [blocks], dtype: .f32, on: cpu),
                try Tensor(map, shape: [16], dtype: .f32, on: cpu),
                try rng.tensor([n], dtype: dtype)]
    }

    /// Device: the CUDA NF4 linear on a u4 view of the code bytes. CPU: dequantized weights rounded once to
    /// x's dtype (as the device's scratch holds them), then a linear.
    static func runNF4(_ t: [Tensor], blockSize: Int) throws -> Tensor {
        let (x, codeBytes, absmax, quantMap, bias) = (t[0], t[1], t[2], t[3], t[4])
        let n = bias.shape[0], k = x.shape[1]
        let codes = Tensor(backend: codeBytes.backend, storage: codeBytes.storage, dtype: .u4, shape: [n, k])
        if let cuda = x.backend as? CUDABackend {
            return try cuda.linearNF4(x: x, codes: codes, absmax: absmax, blockSize: blockSize, quantMap: quantMap, bias: bias)
        }
        let code = try codes.ints(), scale = try absmax.floats(), map = try quantMap.floats()
        let values = (0..<(n * k)).map { e in map[code[e]] * scale[e / blockSize] }
        let weight = try Tensor(values, shape: [n, k], dtype: x.dtype, on: x.backend)
        return try linear(x, weight: weight, bias: bias)
    }
}
