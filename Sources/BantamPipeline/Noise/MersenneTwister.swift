/// The 32-bit Mersenne Twister (MT19937) that PyTorch's CPU generator runs on.
///
/// `torch.manual_seed(s)` seeds it with the low 32 bits of `s` through the standard recurrence
/// `x[i] = 1812433253 · (x[i-1] ^ (x[i-1] >> 30)) + i`; outputs are the standard tempered words. (So seeds
/// that agree in their low 32 bits, such as 0 and 2^63, give the same stream, as in torch.)
struct MersenneTwister: Sendable {
    private static let n = 624
    private static let m = 397
    private var words: [UInt32]
    private var index: Int

    init(seed: UInt64) {
        var words = [UInt32](repeating: 0, count: Self.n)
        words[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<Self.n {
            let previous = words[i - 1]
            words[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        self.words = words
        self.index = Self.n
    }

    /// The next tempered 32-bit output.
    mutating func next() -> UInt32 {
        if index >= Self.n { twist() }
        var y = words[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Regenerates the 624 state words.
    private mutating func twist() {
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<Self.n {
                let y = (w[i] & 0x8000_0000) | (w[(i + 1) % Self.n] & 0x7FFF_FFFF)
                w[i] = w[(i + Self.m) % Self.n] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
            }
        }
        index = 0
    }
}
