/// A unigram language model segmenter: the Viterbi best path over all ways to cut a string into pieces
/// of the vocabulary, scoring a path by the sum of its pieces' log-probabilities. A character that no
/// piece of its own covers becomes an unknown node scored `min(score) - 10`, and runs of unknown nodes
/// become one `<unk>` token.
///
/// Both reference implementations use the same forward algorithm (SentencePiece's `EncodeOptimized`,
/// which Hugging Face ports in `encode_optimized`): the best path ending at every byte position, updated
/// from each character boundary with every piece that starts there, ties kept by the first candidate.
/// They differ in details that can change ids, and `Flavor` selects one:
///   - SentencePiece sums `Float` scores; only normal, user-defined and unused pieces are in the lattice
///     (control pieces such as `</s>` are not), unused pieces are skipped, user-defined pieces get the
///     bonus `length · max_score − 0.1`, and the minimum score is taken over normal pieces;
///   - Hugging Face sums `Double` scores over every vocabulary entry (specials included), takes the
///     minimum over all of them, and maps each resulting string back to an id by exact lookup.
struct UnigramModel: Sendable {
    enum Flavor: Sendable { case sentencePiece, huggingFace }

    enum Kind: Sendable { case normal, userDefined, unused }

    let flavor: Flavor
    private let trie: ByteTrie
    private let scores: [Double]
    private let kinds: [Kind]
    let unknownID: Int
    private let unknownScore: Double
    private let maxScore: Float
    private let cache = WordCache()

    /// `pieces`: (UTF-8 text, score, kind) by id; only those with `inLattice` are matched in text.
    init(pieces: [(text: String, score: Double, kind: Kind, inLattice: Bool)], unknownID: Int, flavor: Flavor) {
        self.flavor = flavor
        self.unknownID = unknownID
        var trie = ByteTrie()
        var minScore = Double.infinity
        var maxNormal = Float.leastNormalMagnitude   // SentencePiece starts from FLT_MIN
        var minNormal = Float.greatestFiniteMagnitude
        for (id, piece) in pieces.enumerated() {
            if piece.inLattice { trie.insert(Array(piece.text.utf8), value: id) }
            minScore = min(minScore, piece.score)
            if piece.kind == .normal && piece.inLattice {
                minNormal = min(minNormal, Float(piece.score))
                maxNormal = max(maxNormal, Float(piece.score))
            }
        }
        self.trie = trie
        self.scores = pieces.map(\.score)
        self.kinds = pieces.map(\.kind)
        self.maxScore = maxNormal
        switch flavor {
        case .huggingFace: unknownScore = (minScore.isFinite ? minScore : 0) - 10
        case .sentencePiece: unknownScore = Double(minNormal - 10)
        }
    }

    /// The ids of one word (UTF-8 bytes of normalized, pre-tokenized text).
    func encode(_ word: [UInt8]) -> [Int] {
        if word.isEmpty { return [] }
        return cache.ids(for: word) {
            word.withUnsafeBufferPointer { text in
                switch flavor {
                case .huggingFace: return bestPath(text, score: Double.self)
                case .sentencePiece: return bestPath(text, score: Float.self)
                }
            }
        }.map(Int.init)
    }

    private struct Node<S> {
        var id: Int32 = -1
        var score: S
        var start: Int32 = -1
    }

    /// The forward Viterbi pass in the score type `S`, then the backtrack with unknown runs merged.
    private func bestPath<S: BinaryFloatingPoint>(_ text: UnsafeBufferPointer<UInt8>, score: S.Type) -> [Int32] {
        let size = text.count
        var best = [Node<S>](repeating: Node(score: 0), count: size + 1)
        let unknown = S(unknownScore)
        var start = 0
        while start < size {
            let scoreHere = best[start].score
            let charLength = min(UnicodeText.sequenceLength(text[start]), size - start)
            var hasSingleNode = false
            trie.forEachPrefix(of: text, from: start, to: size) { length, id in
                let pieceScore: S
                switch (flavor, kinds[id]) {
                case (.sentencePiece, .unused): return
                case (.sentencePiece, .userDefined): pieceScore = S(Float(length) * maxScore - 0.1)
                case (.sentencePiece, _): pieceScore = S(Float(scores[id]))
                case (.huggingFace, _): pieceScore = S(scores[id])
                }
                let candidate = pieceScore + scoreHere
                let end = start + length
                if best[end].start < 0 || candidate > best[end].score {
                    best[end] = Node(id: Int32(id), score: candidate, start: Int32(start))
                }
                if length == charLength { hasSingleNode = true }
            }
            if !hasSingleNode {
                let end = start + charLength
                let candidate = unknown + scoreHere
                if best[end].start < 0 || candidate > best[end].score {
                    best[end] = Node(id: Int32(unknownID), score: candidate, start: Int32(start))
                }
            }
            start += charLength
        }
        // Backtrack; a run of unknown nodes is one token.
        var pieces = [(id: Int32, start: Int, end: Int)]()
        var end = size
        while end > 0 {
            let node = best[end]
            let start = Int(node.start)
            if node.id == Int32(unknownID), let last = pieces.last, last.id == Int32(unknownID) {
                pieces[pieces.count - 1] = (last.id, start, last.end)
            } else {
                pieces.append((node.id, start, end))
            }
            end = start
        }
        pieces.reverse()
        guard flavor == .huggingFace else { return pieces.map(\.id) }
        // Hugging Face turns the strings back into ids: a merged unknown run that spells a vocabulary
        // entry gets that entry's id.
        return pieces.map { piece in
            guard piece.id == Int32(unknownID) else { return piece.id }
            return trie.value(for: text, from: piece.start, to: piece.end).map(Int32.init) ?? piece.id
        }
    }
}
