/// Length-limited canonical Huffman codes for DEFLATE (RFC 1951 §3.2.2).
struct HuffmanCode {
    /// Code length of each symbol (0 = unused).
    let lengths: [UInt8]
    /// The code of each symbol with its bits reversed, ready for a least-significant-first writer.
    let reversedCodes: [UInt16]

    /// Optimal code lengths for `frequencies`, none longer than `maxLength`. At least two symbols get a
    /// code (zlib does the same: some decoders reject a one-code tree), so a tree is always complete.
    init(frequencies: [Int], maxLength: Int) {
        var freq = frequencies
        var used = freq.indices.filter { freq[$0] > 0 }
        var filler = 0
        while used.count < 2 {   // add the lowest unused symbols with a token count
            while freq[filler] > 0 { filler += 1 }
            freq[filler] = 1
            used.append(filler)
        }
        let lengths = Self.lengths(freq, used: used, maxLength: maxLength)
        self.init(lengths: lengths)
    }

    /// The canonical code for given lengths (RFC 1951 §3.2.2: shorter codes first, ties by symbol).
    init(lengths: [UInt8]) {
        self.lengths = lengths
        let maxLength = Int(lengths.max() ?? 0)
        var lengthCount = [Int](repeating: 0, count: maxLength + 1)
        for l in lengths where l > 0 { lengthCount[Int(l)] += 1 }
        var nextCode = [Int](repeating: 0, count: maxLength + 2)
        var code = 0
        if maxLength > 0 {
            for bits in 1...maxLength {
                code = (code + lengthCount[bits - 1]) << 1
                nextCode[bits] = code
            }
        }
        var codes = [UInt16](repeating: 0, count: lengths.count)
        for (symbol, l) in lengths.enumerated() where l > 0 {
            let c = nextCode[Int(l)]
            nextCode[Int(l)] += 1
            codes[symbol] = Self.reverse(UInt16(c), width: Int(l))
        }
        self.reversedCodes = codes
    }

    @inline(__always) static func reverse(_ code: UInt16, width: Int) -> UInt16 {
        var c = code, r: UInt16 = 0
        for _ in 0..<width {
            r = (r << 1) | (c & 1)
            c >>= 1
        }
        return r
    }

    /// Huffman code lengths of the `used` symbols (≥ 2), limited to `maxLength`.
    private static func lengths(_ freq: [Int], used: [Int], maxLength: Int) -> [UInt8] {
        // 1. Unlimited optimal lengths by the two-queue method over symbols sorted by frequency.
        let sorted = used.sorted { freq[$0] != freq[$1] ? freq[$0] < freq[$1] : $0 < $1 }
        let n = sorted.count
        var weight = sorted.map { freq[$0] }           // leaves 0..<n, then internal nodes
        var parent = [Int](repeating: -1, count: 2 * n - 1)
        var leaf = 0, node = n, nextInternal = n
        weight.reserveCapacity(2 * n - 1)
        func takeSmallest() -> Int {
            if leaf < n && (node >= nextInternal || weight[leaf] <= weight[node]) { leaf += 1; return leaf - 1 }
            node += 1
            return node - 1
        }
        while nextInternal < 2 * n - 1 {
            let a = takeSmallest(), b = takeSmallest()
            weight.append(weight[a] + weight[b])
            parent[a] = nextInternal
            parent[b] = nextInternal
            nextInternal += 1
        }
        var depth = [Int](repeating: 0, count: 2 * n - 1)
        for i in stride(from: 2 * n - 3, through: 0, by: -1) { depth[i] = depth[parent[i]] + 1 }
        // 2. Count codes per length, folding lengths over the limit into it, then restore Kraft's equality
        //    by lengthening the deepest codes that are shorter than the limit (miniz's method).
        var count = [Int](repeating: 0, count: maxLength + 1)
        for i in 0..<n { count[min(depth[i], maxLength)] += 1 }
        var kraft = 0
        for l in 1...maxLength { kraft += count[l] << (maxLength - l) }
        while kraft > 1 << maxLength {
            count[maxLength] -= 1
            for l in stride(from: maxLength - 1, through: 1, by: -1) where count[l] > 0 {
                count[l] -= 1
                count[l + 1] += 2
                break
            }
            kraft -= 1
        }
        // 3. Hand out the lengths: the most frequent symbols get the shortest codes.
        var result = [UInt8](repeating: 0, count: freq.count)
        var index = n - 1
        for l in 1...maxLength {
            for _ in 0..<count[l] {
                result[sorted[index]] = UInt8(l)
                index -= 1
            }
        }
        return result
    }
}
