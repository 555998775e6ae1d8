import BantamJSON

/// CLIP's byte-level BPE: a word (one pre-token's UTF-8 bytes) starts as one symbol per byte, the last one
/// carrying the end-of-word suffix `</w>`; then the adjacent pair with the lowest merge rank is merged,
/// everywhere it occurs, until no adjacent pair has a rank. Works on ids: `merges` maps a pair of ids to
/// its rank and the id of the merged symbol. Equivalent to OpenAI's `bpe()` and to `tokenizers`' merge
/// queue (a merged symbol always ranks after its parts, so both apply merges in the same order).
struct BPEModel: Sendable {
    /// The id of each byte's symbol, and of the symbol with `</w>` (or the unknown id when absent).
    private let byteSymbol: [Int32]
    private let byteSymbolEnd: [Int32]
    private struct Merge { let rank: Int32; let id: Int32 }
    private let merges: [UInt64: Merge]
    private let cache = WordCache()

    /// `vocabulary`: token → id; `mergeList`: pairs in rank order. Every pair's parts and their
    /// concatenation must be in the vocabulary (as `tokenizers` requires).
    init(vocabulary: [ExactKey: Int], mergeList: [(String, String)], unknownID: Int?, suffix: String = "</w>")
        throws(TokenizerError) {
        func id(_ token: String) -> Int32 {
            if let id = vocabulary[ExactKey(token)] { return Int32(id) }
            return Int32(unknownID ?? -1)
        }
        var plain = [Int32](), end = [Int32]()
        for byte in 0..<256 {
            let symbol = String(Character(ByteLevel.scalarForByte[byte]))
            plain.append(id(symbol))
            end.append(id(symbol + suffix))
        }
        byteSymbol = plain
        byteSymbolEnd = end
        var table = [UInt64: Merge](minimumCapacity: mergeList.count)
        for (rank, (left, right)) in mergeList.enumerated() {
            guard let a = vocabulary[ExactKey(left)], let b = vocabulary[ExactKey(right)] else {
                throw TokenizerError("merge \(rank + 1) (\(left) \(right)) uses a token that is not in the vocabulary; do vocab.json and merges.txt belong together?")
            }
            guard let merged = vocabulary[ExactKey(left + right)] else {
                throw TokenizerError("merge \(rank + 1) (\(left) \(right)) makes \(left + right), which is not in the vocabulary; do vocab.json and merges.txt belong together?")
            }
            table[Self.key(Int32(a), Int32(b))] = Merge(rank: Int32(rank), id: Int32(merged))
        }
        merges = table
    }

    @inline(__always) private static func key(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// The ids of one pre-token (its UTF-8 bytes), cached.
    func encode(_ word: [UInt8]) -> [Int32] {
        cache.ids(for: word) { merge(word) }
    }

    private func merge(_ word: [UInt8]) -> [Int32] {
        guard !word.isEmpty else { return [] }
        var symbols = word.indices.map { $0 == word.count - 1 ? byteSymbolEnd[Int(word[$0])] : byteSymbol[Int(word[$0])] }
        symbols.removeAll { $0 < 0 }   // a byte with no symbol and no unknown token is dropped
        // ranks[i]: the rank of the pair (symbols[i], symbols[i+1]), Int32.max when it has none.
        var ranks = [Int32](repeating: .max, count: max(symbols.count - 1, 0))
        for i in ranks.indices { ranks[i] = merges[Self.key(symbols[i], symbols[i + 1])]?.rank ?? .max }
        while let best = ranks.min(), best != .max {
            // Merge every occurrence of the best pair, left to right (one rank = one pair).
            var merged = [Int32](), origin = [Int]()   // origin: old index of a copied symbol, -1 if new
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i < ranks.count && ranks[i] == best {
                    merged.append(merges[Self.key(symbols[i], symbols[i + 1])]!.id)
                    origin.append(-1)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    origin.append(i)
                    i += 1
                }
            }
            var newRanks = [Int32](repeating: .max, count: max(merged.count - 1, 0))
            for j in newRanks.indices {
                if origin[j] >= 0 && origin[j + 1] == origin[j] + 1 {
                    newRanks[j] = ranks[origin[j]]   // an untouched pair keeps its rank
                } else {
                    newRanks[j] = merges[Self.key(merged[j], merged[j + 1])]?.rank ?? .max
                }
            }
            symbols = merged
            ranks = newRanks
        }
        return symbols
    }
}
