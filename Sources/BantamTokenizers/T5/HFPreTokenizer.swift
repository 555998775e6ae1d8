/// A word on its way through the Hugging Face pre-tokenizers: its characters, and whether it begins at
/// the very start of the prompt (what `Metaspace`'s "first" prepend scheme asks).
struct PreToken {
    var scalars: [Unicode.Scalar]
    var atStart: Bool
}

/// The `tokenizers` pre-tokenizers that SentencePiece-derived tokenizer.json files use.
enum HFPreTokenizer: Sendable {
    enum PrependScheme: Sendable { case always, first, never }

    /// Splits on White_Space characters and drops them.
    case whitespaceSplit
    /// Spaces become `replacement` ("▁"); one is put in front per `prependScheme` unless the text already
    /// starts with one; with `split`, the text is cut before every `replacement`.
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)

    func apply(_ tokens: [PreToken]) -> [PreToken] {
        var out = [PreToken]()
        for token in tokens {
            switch self {
            case .whitespaceSplit:
                var current = [Unicode.Scalar]()
                var currentStart = 0
                for (i, scalar) in token.scalars.enumerated() {
                    if UnicodeText.isWhitespace(scalar) {
                        if !current.isEmpty { out.append(PreToken(scalars: current, atStart: token.atStart && currentStart == 0)) }
                        current.removeAll()
                        currentStart = i + 1
                    } else {
                        current.append(scalar)
                    }
                }
                if !current.isEmpty { out.append(PreToken(scalars: current, atStart: token.atStart && currentStart == 0)) }
            case .metaspace(let replacement, let scheme, let split):
                var scalars = token.scalars.map { $0 == " " ? replacement : $0 }
                let prepend: Bool
                switch scheme {
                case .always: prepend = true
                case .first: prepend = token.atStart
                case .never: prepend = false
                }
                if prepend && scalars.first != replacement { scalars.insert(replacement, at: 0) }
                guard split else {
                    if !scalars.isEmpty { out.append(PreToken(scalars: scalars, atStart: token.atStart)) }
                    continue
                }
                // Cut before each replacement character (it starts the next piece: "MergedWithNext").
                var pieceStart = 0
                for i in scalars.indices where i > pieceStart && scalars[i] == replacement {
                    out.append(PreToken(scalars: Array(scalars[pieceStart..<i]), atStart: token.atStart && pieceStart == 0))
                    pieceStart = i
                }
                if pieceStart < scalars.count {
                    out.append(PreToken(scalars: Array(scalars[pieceStart...]), atStart: token.atStart && pieceStart == 0))
                }
            }
        }
        return out
    }
}
