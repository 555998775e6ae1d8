import BantamCore

/// Attention rows of `bantam bench ops`: the diffusion-transformer shapes (B = 1, 24 heads, d = 128 at
/// 4608 and 17408 tokens, d = 64 at 4096), bf16, through every path this machine has (cuDNN's fused SDPA,
/// Bantam's flash kernel), timed with CUDA events: a warm-up, then the median of `repeats` runs on random
/// inputs (two input sets used alternately, so a run does not start with its inputs hot in L2).
///
/// Ceiling: cuDNN's fused attention measured by PyTorch on the H100 (647 TFLOP/s at N = 4608, 653 at
/// 17408; shared/reference/performance.md); PyTorch's flash-attention-2 path reached 331 / 364 there.
/// FLOPs = 4·B·H·N²·d (two matmuls).
public enum AttentionBenchmarks {
    public struct Shape: Sendable {
        public var batch, heads, tokens, headSize: Int
        public init(batch: Int = 1, heads: Int = 24, tokens: Int, headSize: Int) {
            self.batch = batch; self.heads = heads; self.tokens = tokens; self.headSize = headSize
        }
        public var flops: Double { 4 * Double(batch * heads) * Double(tokens) * Double(tokens) * Double(headSize) }
    }

    public static let shapes = [Shape(tokens: 4608, headSize: 128), Shape(tokens: 17408, headSize: 128),
                                Shape(tokens: 4096, headSize: 64)]

    /// One row per shape and path; a path that cannot run a shape gives a row named "... unavailable" with
    /// the reason in `ceilingSource` and 0 ms, so the table shows what is missing.
    public static func run(on backend: CUDABackend, shapes: [Shape] = shapes, paths: [AttentionPath] = [.cudnn, .flash],
                           repeats: Int = 20) throws -> [OpBenchmark] {
        var rows: [OpBenchmark] = []
        for shape in shapes {
            let dims: BantamCore.Shape = [shape.batch, shape.heads, shape.tokens, shape.headSize]
            let sets = try (0..<2).map { set in
                try (0..<3).map { tensor in try randomTensor(dims, seed: UInt64(set * 3 + tensor + 1), on: backend) }
            }
            let out = try backend.empty(dims, dtype: .bf16)
            let scale = 1 / Float(shape.headSize).squareRoot()
            let words = "\(shape.batch)x\(shape.heads)x\(shape.tokens)x\(shape.headSize)"
            for path in paths {
                let op = "attention bf16 (\(label(path, headSize: shape.headSize)))"
                do {
                    let ms = try time(backend, repeats: repeats) { i in
                        let set = sets[i % 2]
                        try backend.attention(set[0], set[1], set[2], bias: nil, causal: false, scale: scale, into: out, path: path)
                    }
                    rows.append(OpBenchmark(op: op, shape: words, milliseconds: ms, flops: shape.flops,
                                            bytes: 4 * Double(shape.batch * shape.heads * shape.tokens * shape.headSize) * 2,
                                            bound: .compute, ceiling: ceiling(shape).value, ceilingSource: ceiling(shape).source))
                } catch {
                    rows.append(OpBenchmark(op: op + " unavailable", shape: words, milliseconds: .infinity, flops: shape.flops,
                                            bytes: 0, bound: .compute, ceiling: ceiling(shape).value, ceilingSource: "\(error)"))
                }
            }
        }
        return rows
    }

    static func label(_ path: AttentionPath, headSize: Int) -> String {
        switch path {
        case .cudnn: return "cuDNN fused SDPA"
        case .flash: return "Bantam flash kernel, mma.sync, \(CUDABackend.flashRowsPerBlock(headSize: headSize)) rows/block"
        case .generic: return "Bantam generic kernel"
        case .automatic: return "automatic"
        }
    }

    static func ceiling(_ shape: Shape) -> (value: Double, source: String) {
        if shape.tokens >= 17408 {
            return (653, "cuDNN fused attention via PyTorch on the H100, N=17408: 653 TFLOP/s (FA2 path 364)")
        }
        return (647, "cuDNN fused attention via PyTorch on the H100, N=4608: 647 TFLOP/s (FA2 path 331)")
    }

    /// Median event time of `body` over `repeats` runs after one warm-up run (which builds plans, compiles).
    public static func time(_ backend: CUDABackend, repeats: Int, _ body: (Int) throws -> Void) throws -> Double {
        try body(0)
        try backend.synchronize()
        let start = try CUDAEvent(context: backend.context), end = try CUDAEvent(context: backend.context)
        var times: [Double] = []
        for i in 0..<repeats {
            try start.record(on: backend.computeStream)
            try body(i + 1)
            try end.record(on: backend.computeStream)
            try end.synchronize()
            times.append(try end.elapsedMilliseconds(since: start))
        }
        times.sort()
        return times[times.count / 2]
    }

    /// A bf16 tensor of uniform values in [-2, 2) from a small generator (fast enough for 100 M elements).
    static func randomTensor(_ shape: BantamCore.Shape, seed: UInt64, on backend: CUDABackend) throws -> Tensor {
        let count = shape.count
        let host = HostBuffer(byteCount: count * 2)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        let words = host.base.bindMemory(to: UInt16.self, capacity: count)
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let value = Float(Int32(truncatingIfNeeded: state >> 32)) * 0x1p-30      // [-2, 2)
            words[i] = UInt16(truncatingIfNeeded: value.bitPattern >> 16)            // bf16 by truncation
        }
        return try backend.makeTensor(host: host, byteOffset: 0, dtype: .bf16, shape: shape)
    }
}
