import BantamCore

/// `bantam bench` rows of the memory-bound kernels (element-wise, norms, rope, softmax, reduce, embedding,
/// upsample) on FLUX.1 shapes (4608 tokens = 4096 image + 512 text at 1024², hidden 3072, 24 heads of 128,
/// bf16) and the VAE's, plus conv2d (compute-bound) on the VAE's largest 3×3 convolution.
///
/// Method: kernel methods called directly on preallocated outputs (the op layer's allocation is not timed),
/// random inputs (never zeros), a warm-up, then the median over `repeats` samples; each sample is timed with
/// CUDA events around one run on each of `sets` input/output sets, rotated so that repeated runs do not hit
/// the 50 MB L2 (sets × bytes ≥ 150 MB), and starts behind a 256 MiB device copy so the host has queued the
/// runs before the GPU reaches them (launch overhead stays out of the numbers). Bytes = every input read once
/// + the output written once; the ceiling is the measured device-to-device copy rate.
public enum MemoryBoundBenchmarks {
    public static let ceiling = 3018.0
    public static let ceilingSource = "device-to-device copy 3018 GB/s (performance.md)"
    public static let computeCeiling = 794.0
    public static let computeCeilingSource = "cuBLASLt BF16 GEMM 8192³ 794 TFLOP/s (performance.md)"

    /// One benchmark: a name, its shape in words, bytes and flops of one run, and a builder that allocates
    /// one input/output set and returns the run.
    struct Case {
        let op: String
        let shape: String
        let bytes: Double
        var flops: Double = 0
        let make: (CUDABackend, inout BenchmarkRandom) throws -> () throws -> Void
    }

    /// Runs every case whose name contains `filter` (all when nil).
    public static func run(on backend: CUDABackend, repeats: Int = 30, filter: String? = nil) throws -> [OpBenchmark] {
        var rng = BenchmarkRandom(seed: 0x5EED_BA27_A11C_0DE5)
        let timer = try BenchmarkTimer(backend: backend)
        var rows: [OpBenchmark] = []
        for c in cases(backend) where filter.map({ c.op.contains($0) || c.shape.contains($0) }) ?? true {
            let sets = c.flops > 0 ? 1 : max(1, min(8, Int((150e6 / c.bytes).rounded(.up))))
            let runs = try (0..<sets).map { _ in try c.make(backend, &rng) }
            let ms = try timer.median(repeats: repeats, runs)
            rows.append(OpBenchmark(op: c.op, shape: c.shape, milliseconds: ms, flops: c.flops, bytes: c.bytes,
                                    bound: c.flops > 0 ? .compute : .memory,
                                    ceiling: c.flops > 0 ? computeCeiling : ceiling,
                                    ceilingSource: c.flops > 0 ? computeCeilingSource : ceilingSource))
        }
        return rows
    }

    static func cases(_ backend: CUDABackend) -> [Case] {
        let (tokens, hidden, heads, head, mlp) = (4608, 3072, 24, 128, 12288)
        let bf16 = DType.bf16
        let n = Double(tokens * hidden)
        let qk = Double(heads * tokens * head)
        let tableBytes = Double(tokens * head / 2 * 4 * 2)     // cos + sin [4608, 64] f32
        var list: [Case] = []

        list.append(Case(op: "add bf16", shape: "[4608, 3072] + [4608, 3072]", bytes: 3 * 2 * n) { b, rng in
            let (x, y, out) = (try rng.tensor([tokens, hidden], bf16, on: b), try rng.tensor([tokens, hidden], bf16, on: b),
                               try b.empty([tokens, hidden], dtype: bf16))
            return { try b.binary(.add, x, y, into: out) }
        })
        list.append(Case(op: "add bias (row broadcast) bf16", shape: "[4608, 3072] + [3072]", bytes: 2 * 2 * n + 2 * Double(hidden)) { b, rng in
            let (x, bias, out) = (try rng.tensor([tokens, hidden], bf16, on: b), try rng.tensor([hidden], bf16, on: b),
                                  try b.empty([tokens, hidden], dtype: bf16))
            let expanded = try bias.expand(to: [tokens, hidden])
            return { try b.binary(.add, x, expanded, into: out) }
        })
        list.append(Case(op: "mul strided (transposed) bf16", shape: "[3072, 4608]ᵀ · [4608, 3072]", bytes: 3 * 2 * n) { b, rng in
            let (x, y, out) = (try rng.tensor([hidden, tokens], bf16, on: b), try rng.tensor([tokens, hidden], bf16, on: b),
                               try b.empty([tokens, hidden], dtype: bf16))
            let t = try x.T
            return { try b.binary(.mul, t, y, into: out) }
        })
        list.append(Case(op: "gelu (tanh) bf16", shape: "[4608, 12288]", bytes: 2 * 2 * Double(tokens * mlp)) { b, rng in
            let (x, out) = (try rng.tensor([tokens, mlp], bf16, on: b), try b.empty([tokens, mlp], dtype: bf16))
            return { try b.unary(.geluTanh, x, into: out) }
        })
        list.append(Case(op: "affine x·s + t bf16", shape: "[4608, 3072]", bytes: 2 * 2 * n) { b, rng in
            let (x, out) = (try rng.tensor([tokens, hidden], bf16, on: b), try b.empty([tokens, hidden], dtype: bf16))
            return { try b.affine(x, scale: 1.5, shift: 0.25, into: out) }
        })
        list.append(Case(op: "layerNorm bf16", shape: "[4608, 3072]", bytes: 2 * 2 * n) { b, rng in
            let (x, out) = (try rng.tensor([tokens, hidden], bf16, on: b), try b.empty([tokens, hidden], dtype: bf16))
            return { try b.layerNorm(x, weight: nil, bias: nil, eps: 1e-6, into: out) }
        })
        list.append(Case(op: "modulatedLayerNorm bf16", shape: "[1, 4608, 3072], shift/scale [1, 1, 3072]",
                         bytes: 2 * 2 * n + 2 * 2 * Double(hidden)) { b, rng in
            let (x, mod, out) = (try rng.tensor([1, tokens, hidden], bf16, on: b), try rng.tensor([1, 6 * hidden], bf16, on: b),
                                 try b.empty([1, tokens, hidden], dtype: bf16))
            let parts = try mod.chunk(6, axis: 1)
            let (shift, scale) = (try parts[0].unsqueeze(1), try parts[1].unsqueeze(1))
            return { try b.modulatedLayerNorm(x, shift: shift, scale: scale, eps: 1e-6, into: out) }
        })
        list.append(Case(op: "rmsNorm bf16 (weight)", shape: "[1, 24, 4608, 128]", bytes: 2 * 2 * qk) { b, rng in
            let (x, w, out) = (try rng.tensor([1, heads, tokens, head], bf16, on: b), try rng.tensor([head], bf16, on: b),
                               try b.empty([1, heads, tokens, head], dtype: bf16))
            return { try b.rmsNorm(x, weight: w, eps: 1e-6, into: out) }
        })
        list.append(Case(op: "rope interleaved bf16", shape: "[1, 24, 4608, 128], f32 tables [4608, 64]",
                         bytes: 2 * 2 * qk + tableBytes) { b, rng in
            let (x, c, s, out) = (try rng.tensor([1, heads, tokens, head], bf16, on: b), try rng.tensor([tokens, head / 2], .f32, on: b),
                                  try rng.tensor([tokens, head / 2], .f32, on: b), try b.empty([1, heads, tokens, head], dtype: bf16))
            return { try b.rope(x, cos: c, sin: s, style: .interleaved, into: out) }
        })
        list.append(Case(op: "qkNormRope bf16 (k of qkv, strided)", shape: "[1, 24, 4608, 128] of [1, 4608, 9216]",
                         bytes: 2 * 2 * qk + tableBytes) { b, rng in
            let (qkv, w, c, s) = (try rng.tensor([1, tokens, 3 * hidden], bf16, on: b), try rng.tensor([head], bf16, on: b),
                                  try rng.tensor([tokens, head / 2], .f32, on: b), try rng.tensor([tokens, head / 2], .f32, on: b))
            let k = try qkv.reshape([1, tokens, 3, heads, head]).permute(2, 0, 3, 1, 4).slice(axis: 0, 1..<2).squeeze(0)
            let out = try b.empty([1, heads, tokens, head], dtype: bf16)
            return { try b.qkNormRope(k, weight: w, cos: c, sin: s, eps: 1e-6, style: .interleaved, into: out) }
        })
        list.append(Case(op: "gatedResidual bf16", shape: "[1, 4608, 3072] + gate [1, 1, 3072] · y", bytes: 3 * 2 * n + 2 * Double(hidden)) { b, rng in
            let (x, y, mod, out) = (try rng.tensor([1, tokens, hidden], bf16, on: b), try rng.tensor([1, tokens, hidden], bf16, on: b),
                                    try rng.tensor([1, 6 * hidden], bf16, on: b), try b.empty([1, tokens, hidden], dtype: bf16))
            let gate = try mod.chunk(6, axis: 1)[2].unsqueeze(1)
            return { try b.gatedResidual(x, gate: gate, y, into: out) }
        })
        list.append(Case(op: "softmax bf16", shape: "[12288, 4608]", bytes: 2 * 2 * Double(12288 * 4608)) { b, rng in
            let (x, out) = (try rng.tensor([12288, 4608], bf16, on: b), try b.empty([12288, 4608], dtype: bf16))
            return { try b.softmax(x, into: out) }
        })
        list.append(Case(op: "sum rows bf16 → f32", shape: "[4608, 3072] over the last axis", bytes: 2 * n + 4 * Double(tokens)) { b, rng in
            let (x, out) = (try rng.tensor([tokens, hidden], bf16, on: b), try b.empty([tokens, 1], dtype: .f32))
            return { try b.reduce(.sum, x, axis: 1, into: out) }
        })
        list.append(Case(op: "mean columns bf16", shape: "[1, 4608, 3072] over tokens", bytes: 2 * n + 2 * Double(hidden)) { b, rng in
            let (x, out) = (try rng.tensor([1, tokens, hidden], bf16, on: b), try b.empty([1, 1, hidden], dtype: bf16))
            return { try b.reduce(.mean, x, axis: 1, into: out) }
        })
        for (c, s) in [(512, 128), (256, 256)] {
            let count = Double(c * s * s)
            list.append(Case(op: "groupNorm bf16 (VAE, 32 groups)", shape: "[1, \(c), \(s), \(s)]", bytes: 2 * 2 * count + 4 * Double(c)) { b, rng in
                let (x, w, bias, out) = (try rng.tensor([1, c, s, s], bf16, on: b), try rng.tensor([c], bf16, on: b),
                                         try rng.tensor([c], bf16, on: b), try b.empty([1, c, s * s], dtype: bf16))
                let x3 = try x.reshape([1, c, s * s])
                return { try b.groupNorm(x3, groups: 32, weight: w, bias: bias, eps: 1e-6, into: out) }
            })
        }
        list.append(Case(op: "upsampleNearest2d ×2 bf16 (VAE)", shape: "[1, 512, 128, 128] → [1, 512, 256, 256]",
                         bytes: 2 * Double(512 * 128 * 128) * 5) { b, rng in
            let (x, out) = (try rng.tensor([1, 512, 128, 128], bf16, on: b), try b.empty([1, 512, 256, 256], dtype: bf16))
            return { try b.upsampleNearest2d(x, factor: 2, into: out) }
        })
        list.append(Case(op: "embedding bf16 (T5, incl. the bad-id readback)", shape: "ids [512] of [32128, 4096]",
                         bytes: 2 * 2 * Double(512 * 4096) + 4 * 512) { b, rng in
            let table = try rng.tensor([32128, 4096], bf16, on: b)
            let ids = try rng.ids(512, below: 32128, on: b)
            let out = try b.empty([512, 4096], dtype: bf16)
            return { try b.embedding(ids: ids, table: table, into: out) }
        })
        let gemm = backend.supports(.matmul, dtype: bf16) ? "im2col + cuBLASLt" : "im2col + tiled fallback GEMM; cuBLASLt pending"
        list.append(Case(op: "conv2d 3×3 bf16 (VAE, \(gemm))", shape: "[1, 512, 128, 128] * [512, 512, 3, 3]",
                         bytes: 2 * Double(2 * 512 * 128 * 128 + 512 * 512 * 9), flops: 2 * 512 * 4608 * 16384) { b, rng in
            let (x, w, bias, out) = (try rng.tensor([1, 512, 128, 128], bf16, on: b), try rng.tensor([512, 512, 3, 3], bf16, scale: 0.02, on: b),
                                     try rng.tensor([512], bf16, on: b), try b.empty([1, 512, 128, 128], dtype: bf16))
            return { try b.conv2d(x, weight: w, bias: bias, params: Conv2dParams(padding: 1), into: out) }
        })
        return list
    }
}

/// Event timing behind a device-copy fence (see MemoryBoundBenchmarks).
struct BenchmarkTimer {
    let backend: CUDABackend
    let start: CUDAEvent, end: CUDAEvent
    let fenceSource: Tensor, fenceTarget: Tensor

    init(backend: CUDABackend) throws {
        self.backend = backend
        start = try CUDAEvent(context: backend.context)
        end = try CUDAEvent(context: backend.context)
        fenceSource = try backend.empty([64 << 20], dtype: .f32)
        fenceTarget = try backend.empty([64 << 20], dtype: .f32)
        try backend.fill(fenceSource, value: 1)
    }

    /// Median milliseconds of one run: each sample runs every entry of `runs` once.
    func median(repeats: Int, _ runs: [() throws -> Void]) throws -> Double {
        for run in runs { try run() }
        try backend.synchronize()
        var samples: [Double] = []
        for _ in 0..<max(1, repeats) {
            try backend.copy(fenceSource, into: fenceTarget)
            try start.record(on: backend.computeStream)
            for run in runs { try run() }
            try end.record(on: backend.computeStream)
            try end.synchronize()
            samples.append(try end.elapsedMilliseconds(since: start) / Double(runs.count))
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}

/// Random benchmark inputs (a 64-bit LCG; values uniform in [−scale, scale), never all zeros).
struct BenchmarkRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }

    mutating func tensor(_ shape: Shape, _ dtype: DType, scale: Float = 2, on backend: CUDABackend) throws -> Tensor {
        let count = shape.count
        let host = HostBuffer(byteCount: try dtype.byteCount(elements: count))
        let chunk = 1 << 16
        var values = [Float](repeating: 0, count: chunk)
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            for i in 0..<n { values[i] = (Float(Int32(truncatingIfNeeded: next() >> 32)) * 0x1p-31) * scale }
            values.withUnsafeBufferPointer { src in
                ElementConversion.encode(dtype, from: src.baseAddress!, count: n,
                                         into: host.base + (try! dtype.byteCount(elements: done)))
            }
            done += n
        }
        return try backend.makeTensor(host: host, byteOffset: 0, dtype: dtype, shape: shape)
    }

    mutating func ids(_ count: Int, below vocab: Int, on backend: CUDABackend) throws -> Tensor {
        let host = HostBuffer(byteCount: 4 * count)
        for i in 0..<count { host.base.storeBytes(of: Int32(next() >> 33) % Int32(vocab), toByteOffset: 4 * i, as: Int32.self) }
        return try backend.makeTensor(host: host, byteOffset: 0, dtype: .i32, shape: [count])
    }
}
