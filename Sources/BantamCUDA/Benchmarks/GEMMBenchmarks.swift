import BantamCore

/// Timings of the GEMM family on FLUX.1 shapes (4608 image+text tokens, hidden 3072) and 8192³, each next to
/// "cuBLASLt alone" — the same cuBLASLt plan launched with nothing of Bantam around it (no op-layer checks,
/// no output allocation, no plan lookup) — and the device's measured ceilings (performance.md: cuBLASLt
/// BF16 794, FP8 1512 TFLOP/s on the H100).
///
/// Method: random inputs (never zeros), several input sets rotated so that consecutive runs do not find
/// their operands in the 50 MB L2, a warm-up, then CUDA events around each run on the compute stream;
/// the median of `repeats` runs.
public enum GEMMBenchmarks {
    public static let bf16Ceiling = 794.0
    public static let fp8Ceiling = 1512.0
    static let bf16Source = "cuBLASLt BF16 8192³ measured 794 TFLOP/s (performance.md)"
    static let fp8Source = "cuBLASLt FP8 E4M3 8192³ measured 1512 TFLOP/s (performance.md)"

    /// (M tokens, K in, N out): FLUX's linears (qkv 3·3072, MLP 4·3072, single-block linear1 7·3072, the
    /// projections back from 3072, 12288 and 15360) and the square reference.
    public static let shapes: [(m: Int, k: Int, n: Int)] = [
        (4608, 3072, 3072), (4608, 3072, 9216), (4608, 3072, 12288), (4608, 3072, 21504),
        (4608, 12288, 3072), (4608, 15360, 3072), (8192, 8192, 8192),
    ]

    /// Every row for `shapes`: BF16 linear + bias through Bantam and cuBLASLt alone, the fused linearGELU on
    /// the MLP shape, and (on FP8 tensor cores) the W8A8 linear with per-token activation quantization,
    /// its GEMM through Bantam with pre-quantized activations, and that GEMM with cuBLASLt alone.
    /// A failing row (a cuBLASLt refusal, out of memory) is reported through `failure` and the others still run.
    public static func run(on backend: CUDABackend, shapes: [(m: Int, k: Int, n: Int)] = shapes, repeats: Int = 30,
                           progress: (OpBenchmark) -> Void = { _ in }, failure: (String) -> Void = { _ in }) throws -> [OpBenchmark] {
        var rows: [OpBenchmark] = []
        func add(_ row: OpBenchmark) { rows.append(row); progress(row) }
        let engine = try backend.gemmEngine()
        let l2 = max(backend.device.l2CacheBytes, 50 << 20)
        for (m, k, n) in shapes {
            let shape = "\(m)x\(k) · \(k)x\(n)"
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            // Enough input sets that three consecutive runs never share operands in L2.
            let setBytes = (m * k + n * k + m * n) * 2
            let sets = min(8, max(2, (3 * l2 + setBytes - 1) / setBytes))
            var state: UInt64 = UInt64(m * 31 + n * 17 + k)
            let xs = try (0..<sets).map { _ in try randomTensor(backend, [m, k], .bf16, scale: 1, state: &state) }
            let ws = try (0..<sets).map { _ in try randomTensor(backend, [n, k], .bf16, scale: 0.02, state: &state) }
            let bs = try (0..<sets).map { _ in try randomTensor(backend, [n], .bf16, scale: 0.1, state: &state) }
            let bf16Bytes = Double(setBytes)

            // BF16 linear + bias through the op layer, interleaved with the same plan launched by cuBLASLt alone
            // (outputs preallocated; the bias address stays the one the plan's last Bantam call set).
            let outs = try (0..<sets).map { _ in try backend.empty([m, n], dtype: .bf16) }
            let plan = try linearPlan(backend, engine, x: xs[0], weight: ws[0], bias: bs[0], out: outs[0], gelu: false)
            let addresses = try (0..<sets).map { (try backend.address(ws[$0]), try backend.address(xs[$0]), try backend.address(outs[$0])) }
            let (bantam, alone) = try timePair(backend, repeats: repeats, sets: sets,
                                               { i in _ = try linear(xs[i], weight: ws[i], bias: bs[i]) },
                                               { i in try engine.launchPrepared(plan, a: addresses[i].0, b: addresses[i].1, d: addresses[i].2) })
            add(OpBenchmark(op: "linear bf16 + bias (Bantam)", shape: shape, milliseconds: bantam, flops: flops, bytes: bf16Bytes,
                            bound: .compute, ceiling: bf16Ceiling, ceilingSource: bf16Source))
            add(OpBenchmark(op: "linear bf16 + bias (cuBLASLt alone)", shape: shape, milliseconds: alone, flops: flops, bytes: bf16Bytes,
                            bound: .compute, ceiling: bf16Ceiling, ceilingSource: bf16Source))
            if n == 4 * k {
                let fused = try time(backend, repeats: repeats, sets: sets) { i in _ = try linearGELU(xs[i], weight: ws[i], bias: bs[i]) }
                add(OpBenchmark(op: "linearGELU bf16 + bias, GELU in the epilogue (Bantam)", shape: shape, milliseconds: fused, flops: flops,
                                bytes: bf16Bytes, bound: .compute, ceiling: bf16Ceiling, ceilingSource: bf16Source))
            }

            guard backend.device.precision.fp8TensorCores else { continue }
            do {
                try fp8Rows(backend, engine, m: m, k: k, n: n, sets: sets, repeats: repeats, xs: xs, bs: bs, outs: outs, state: &state, add: add)
            } catch {
                failure("FP8 rows for \(shape): \(error)")
            }
        }
        return rows
    }

    /// FP8 rows of one shape: e4m3 weights with per-row scales, per-token dynamic activation quantization,
    /// bf16 out; the GEMM with fast accumulation (the default) and with precise accumulation, each next to
    /// cuBLASLt alone; per-tensor scales for comparison; the quantization kernel alone.
    static func fp8Rows(_ backend: CUDABackend, _ engine: CuBLASLtEngine, m: Int, k: Int, n: Int, sets: Int, repeats: Int,
                        xs: [Tensor], bs: [Tensor], outs: [Tensor], state: inout UInt64, add: (OpBenchmark) -> Void) throws {
        let shape = "\(m)x\(k) · \(k)x\(n)"
        let flops = 2.0 * Double(m) * Double(n) * Double(k)
        let w8 = try (0..<sets).map { _ in try randomTensor(backend, [n, k], .f32, scale: 1, state: &state).cast(to: .f8e4m3fn) }
        let scales = try (0..<sets).map { _ in try randomTensor(backend, [n], .f32, scale: 0.01, state: &state, positive: true) }
        let gemmBytes = Double(m * k + n * k + m * n * 2)
        func row(_ op: String, _ ms: Double, bytes: Double = gemmBytes) -> OpBenchmark {
            OpBenchmark(op: op, shape: shape, milliseconds: ms, flops: flops, bytes: bytes, bound: .compute, ceiling: fp8Ceiling, ceilingSource: fp8Source)
        }
        let saved = engine.gemmSettings
        defer { engine.gemmSettings = saved }

        var fastSettings = saved
        fastSettings.fp8FastAccumulation = true
        engine.gemmSettings = fastSettings
        let w8a8 = try time(backend, repeats: repeats, sets: sets) { i in
            _ = try backend.linearFP8(x: xs[i], weight8: w8[i], rowScales: scales[i], bias: bs[i], inputScale: nil)
        }
        add(row("linearFP8 W8A8 + bias, fast accumulation, incl. per-token quantization (Bantam)", w8a8, bytes: Double(m * k * 2 + n * k + m * n * 2)))
        // The GEMM part: activations quantized once up front; Bantam's call and its plan alone, interleaved.
        let quantized = try xs.map { try backend.quantizeRowsE4M3($0, inputScale: nil) }
        for fast in [true, false] {
            var settings = saved
            settings.fp8FastAccumulation = fast
            engine.gemmSettings = settings
            let label = fast ? "fast accumulation" : "precise accumulation"
            func bantamCall(_ i: Int) throws {
                _ = try backend.linearFP8GEMM(quantized[i].values, tokenScales: quantized[i].scales, weight: w8[i], rowScales: scales[i],
                                              bias: bs[i], into: outs[i])
            }
            try bantamCall(0)                                    // builds the plan; sets set 0's scale and bias addresses
            guard let plan = try backend.linearFP8GEMMPlan(quantized[0].values, weight: w8[0], bias: bs[0], out: outs[0]) else {
                add(row("FP8 GEMM + scales + bias, \(label), epilogue-kernel fallback (Bantam)",
                        try time(backend, repeats: repeats, sets: sets, bantamCall)))
                continue
            }
            let addresses = try (0..<sets).map { (try backend.address(w8[$0]), try backend.address(quantized[$0].values), try backend.address(outs[$0])) }
            let (bantam, alone) = try timePair(backend, repeats: repeats, sets: sets, bantamCall) { i in
                // Scale and bias addresses stay set 0's (same sizes, the same work).
                try engine.launchPrepared(plan, a: addresses[i].0, b: addresses[i].1, d: addresses[i].2)
            }
            add(row("FP8 GEMM + scales + bias, \(label), pre-quantized x (Bantam)", bantam))
            add(row("FP8 GEMM + scales + bias, \(label) (cuBLASLt alone)", alone))
        }
        // For comparison: per-tensor (unit) scales, the layout of the measured 1512 TFLOP/s ceiling.
        var settings = saved
        settings.fp8FastAccumulation = true
        engine.gemmSettings = settings
        let qAlignment = GEMMLayout.alignment(address: try backend.address(quantized[0].values), batchStrideBytes: 0, batch: 1)
        let perTensor = try backend.fp8Key(rows: m, k: k, n: n, weight: w8[0], out: outs[0], qAlignment: qAlignment, bias: .bf16, outerVector: false)
        if try engine.run(perTensor, a: try backend.address(w8[0]), b: try backend.address(quantized[0].values), d: try backend.address(outs[0]),
                          bias: try backend.address(bs[0])), let plan = try engine.plan(for: perTensor) {
            let addresses = try (0..<sets).map { (try backend.address(w8[$0]), try backend.address(quantized[$0].values), try backend.address(outs[$0])) }
            let ms = try time(backend, repeats: repeats, sets: sets) { i in
                try engine.launchPrepared(plan, a: addresses[i].0, b: addresses[i].1, d: addresses[i].2)
            }
            add(row("FP8 GEMM + bias, per-tensor unit scales, fast accumulation (cuBLASLt alone)", ms))
        }
        let quantize = try time(backend, repeats: repeats, sets: sets) { i in _ = try backend.quantizeRowsE4M3(xs[i], inputScale: nil) }
        add(OpBenchmark(op: "per-token e4m3 quantization of x (Bantam kernel)", shape: "\(m)x\(k) bf16", milliseconds: quantize, flops: 0,
                        bytes: Double(m * k * 3 + m * 4), bound: .memory, ceiling: 3018, ceilingSource: "device copy 3018 GB/s (performance.md)"))
    }

    /// How far the FP8 paths land from the BF16 linear on one shape: ‖y − y_bf16‖ / ‖y_bf16‖ for W8A8 with fast
    /// and with precise accumulation, and for weight-only FP8. The weight (uniform, ±0.02) is quantized per
    /// output row with Bantam's own kernel (scale absmax/448), x is uniform in ±1; so this measures the
    /// quantization plus accumulation error on benign data, not on a real model's outliers.
    public static func fp8Accuracy(on backend: CUDABackend, m: Int, k: Int, n: Int) throws -> [(path: String, relativeError: Double)] {
        let engine = try backend.gemmEngine()
        let saved = engine.gemmSettings
        defer { engine.gemmSettings = saved }
        var state: UInt64 = 0x5EED
        let x = try randomTensor(backend, [m, k], .bf16, scale: 1, state: &state)
        let w = try randomTensor(backend, [n, k], .bf16, scale: 0.02, state: &state)
        let (w8, rowScales) = try backend.quantizeRowsE4M3(w, inputScale: nil)
        let reference = try linear(x, weight: w).floats()
        var results: [(String, Double)] = []
        for (label, fast, path) in [("W8A8, fast accumulation", true, FP8Path.auto), ("W8A8, precise accumulation", false, .auto),
                                    ("weight-only FP8 (dequantized to bf16)", true, .weightOnly)] {
            var settings = saved
            settings.fp8FastAccumulation = fast
            settings.fp8Path = path
            engine.gemmSettings = settings
            let y = try backend.linearFP8(x: x, weight8: w8, rowScales: rowScales, bias: nil, inputScale: nil).floats()
            var diff = 0.0, norm = 0.0
            for i in y.indices {
                let d = Double(y[i]) - Double(reference[i])
                diff += d * d
                norm += Double(reference[i]) * Double(reference[i])
            }
            results.append((label, (diff / max(norm, .leastNormalMagnitude)).squareRoot()))
        }
        return results
    }

    /// The cuBLASLt plan `linear` uses for these operands (the same key the op layer's call builds).
    static func linearPlan(_ backend: CUDABackend, _ engine: CuBLASLtEngine, x: Tensor, weight: Tensor, bias: Tensor?, out: Tensor,
                           gelu: Bool) throws -> GEMMPlan {
        try backend.linear(x, weight: weight, bias: bias, gelu: gelu, into: out)     // builds and caches the plan
        guard let plan = try engine.plan(for: try backend.linearPlanKey(x: x, weight: weight, out: out, epilogue: GEMMEpilogue(bias: bias != nil, gelu: gelu))) else {
            throw TensorError.unsupported(backend: backend.name, op: "linear", detail: "no cuBLASLt plan for the benchmark shape")
        }
        return plan
    }

    /// Median milliseconds of `first(i % sets)` and of `second(i % sets)`, run alternately (so clock and
    /// temperature drift affect both alike), each between two events, after two warm-up rounds.
    public static func timePair(_ backend: CUDABackend, repeats: Int, sets: Int, _ first: (Int) throws -> Void,
                                _ second: (Int) throws -> Void) throws -> (Double, Double) {
        for i in 0..<(2 * sets) { try first(i % sets); try second(i % sets) }
        let events = try (0...(2 * repeats)).map { _ in try CUDAEvent(context: backend.context) }
        try events[0].record(on: backend.computeStream)
        for i in 0..<repeats {
            try first(i % sets)
            try events[2 * i + 1].record(on: backend.computeStream)
            try second(i % sets)
            try events[2 * i + 2].record(on: backend.computeStream)
        }
        try events[2 * repeats].synchronize()
        var a: [Double] = [], b: [Double] = []
        for i in 0..<repeats {
            a.append(try events[2 * i + 1].elapsedMilliseconds(since: events[2 * i]))
            b.append(try events[2 * i + 2].elapsedMilliseconds(since: events[2 * i + 1]))
        }
        a.sort(); b.sort()
        return (a[repeats / 2], b[repeats / 2])
    }

    /// Median milliseconds of `body(i % sets)` over `repeats` event-timed runs after two warm-up rounds.
    public static func time(_ backend: CUDABackend, repeats: Int, sets: Int, _ body: (Int) throws -> Void) throws -> Double {
        for i in 0..<(2 * sets) { try body(i % sets) }
        let events = try (0...repeats).map { _ in try CUDAEvent(context: backend.context) }
        try events[0].record(on: backend.computeStream)
        for i in 0..<repeats {
            try body(i % sets)
            try events[i + 1].record(on: backend.computeStream)
        }
        try events[repeats].synchronize()
        let times = try (0..<repeats).map { try events[$0 + 1].elapsedMilliseconds(since: events[$0]) }.sorted()
        return times[times.count / 2]
    }

    /// Uniform random values in ±scale (never all zero), made on the host and uploaded.
    static func randomTensor(_ backend: CUDABackend, _ shape: Shape, _ dtype: DType, scale: Float, state: inout UInt64,
                             positive: Bool = false) throws -> Tensor {
        var values = [Float](repeating: 0, count: shape.count)
        for i in values.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(state >> 40) * 0x1p-24                                      // [0, 1)
            values[i] = positive ? scale * (0.1 + u) : scale * (2 * u - 1)
        }
        let host = HostBuffer(byteCount: 4 * values.count)
        for (i, v) in values.enumerated() { host.base.storeBytes(of: v, toByteOffset: 4 * i, as: Float.self) }
        let f32 = try backend.makeTensor(host: host, byteOffset: 0, dtype: .f32, shape: shape)
        return try f32.cast(to: dtype)
    }
}
