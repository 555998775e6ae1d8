import BantamCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// T5's relative position bias (transformers `T5Attention.compute_bias`): every (query i, key j) pair
/// gets a learned per-head scalar chosen by the bucket of j − i. Only block 0 owns the table
/// [buckets, heads]; the bias [1, heads, Lq, Lk] it makes is added to the scores of every layer.
public struct T5RelativePositionBias: Sendable {
    /// `relative_attention_bias.weight` [buckets, heads].
    public let table: Tensor
    public let numBuckets: Int
    public let maxDistance: Int

    public init(table: Tensor, numBuckets: Int, maxDistance: Int) {
        self.table = table
        self.numBuckets = numBuckets
        self.maxDistance = maxDistance
    }

    /// -> [1, heads, Lq, Lk] in the table's dtype (bidirectional buckets, as in an encoder).
    public func callAsFunction(queryLength: Int, keyLength: Int) throws -> Tensor {
        // 1. Buckets of key − query for every pair [Lq, Lk] (a few distinct values: computed on the host).
        var buckets = [Int](repeating: 0, count: queryLength * keyLength)
        let lookup = (-(queryLength - 1)..<keyLength).map {
            Self.bucket(relativePosition: $0, bidirectional: true, numBuckets: numBuckets, maxDistance: maxDistance)
        }
        for i in 0..<queryLength {
            for j in 0..<keyLength { buckets[i * keyLength + j] = lookup[j - i + queryLength - 1] }
        }
        let ids = try Tensor(ints: buckets, shape: [queryLength, keyLength], dtype: .i32, on: table.backend)
        // 2. Table rows per pair, heads to the front: [Lq, Lk, H] -> [1, H, Lq, Lk].
        let values = try embedding(ids, table: table)
        return try values.permute(2, 0, 1).unsqueeze(0).contiguous()
    }

    /// The bucket of a relative position (key − query), exactly as transformers computes it
    /// (`T5Attention._relative_position_bucket`): with `bidirectional`, half the buckets are for keys after
    /// the query; within a half, distances below half of it are exact, larger ones share logarithmically
    /// wider buckets up to `maxDistance`, beyond which all share the last. The logarithmic part is evaluated
    /// in f32 as torch does (log of an f32 ratio, divided by log(maxDistance/maxExact) rounded to f32, times
    /// the bucket count, truncated). Exact distances like 16, 32, 64 of T5's 32/128 land on integers; f32
    /// happens to reach them exactly there, and doing the same arithmetic keeps other settings safe too.
    public static func bucket(relativePosition: Int, bidirectional: Bool, numBuckets: Int, maxDistance: Int) -> Int {
        var buckets = numBuckets
        var result = 0
        var distance: Int
        if bidirectional {
            buckets /= 2
            if relativePosition > 0 { result += buckets }
            distance = abs(relativePosition)
        } else {
            distance = -min(relativePosition, 0)
        }
        let maxExact = buckets / 2
        if distance < maxExact { return result + distance }
        let ratio = Float(distance) / Float(maxExact)                                  // f32, as torch
        let scale = Float(log(Double(maxDistance) / Double(maxExact)))                  // a Python float, used in f32
        let large = Float(logf(ratio)) / scale * Float(buckets - maxExact)
        return result + min(maxExact + Int(large), buckets - 1)                        // .to(long) truncates
    }
}
