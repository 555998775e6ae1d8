import BantamIO

/// A model path that cannot make a FLUX pipeline; `description` is one line saying what is wrong and
/// what to pass instead.
public struct ModelFilesError: Error, CustomStringConvertible, Sendable {
    public let description: String

    static func message(_ text: String) -> ModelFilesError { ModelFilesError(description: text) }

    /// What a checkpoint holds, for messages: "a T5-XXL v1.1 encoder (Hugging Face layout)".
    static func what(_ parts: [FluxModelFiles.Part]) -> String {
        if parts.isEmpty { return "nothing recognizable" }
        return parts.map { p in
            p.detected.family == .unknown ? "tensors this tool does not recognize (\(p.detected.tensorCount))"
                : "a \(p.detected.name) (\(p.detected.layout.phrase))"
        }.joined(separator: " + ")
    }

    /// Where a part of each role belongs on the command line.
    static func flag(for part: FluxModelFiles.Part) -> String? {
        switch part.detected.family {
        case .t5xxl, .t5: return "--t5"
        case .clipL, .clip: return "--clip"
        case .flux1Autoencoder: return "--vae"
        default: return part.detected.role == .transformer ? "--model" : nil
        }
    }

    static func notATransformer(_ path: String, _ parts: [FluxModelFiles.Part]) -> ModelFilesError {
        var text = "\(path): holds \(what(parts)), not a FLUX.1 transformer; --model takes the transformer file, a diffusers folder or a ComfyUI all-in-one file"
        if parts.count == 1, let flag = flag(for: parts[0]), flag != "--model" { text += " (pass this file as \(flag))" }
        return ModelFilesError(description: text)
    }

    static func wrongPart(path: String, label: String, expected: String, found: [FluxModelFiles.Part]) -> ModelFilesError {
        var text = "\(path) (given as \(label)): holds \(what(found)), not \(expected)"
        if found.count == 1, let flag = flag(for: found[0]), flag != label { text += "; pass it as \(flag)" }
        return ModelFilesError(description: text)
    }

    static func missingPart(model: String, label: String, what: String, example: String) -> ModelFilesError {
        ModelFilesError(description: "\(model) has no \(what.replacingFirstArticle()); pass \(label) FILE (\(example))")
    }

    static func missingTokenizer(kind: String, places: [String]) -> ModelFilesError {
        ModelFilesError(description: "no \(kind) tokenizer found (looked in \(places.joined(separator: ", "))); pass --tokenizers DIR, a folder holding tokenizer/ (CLIP: vocab.json and merges.txt, or tokenizer.json) and tokenizer_2/ (T5: spiece.model or tokenizer.json) as in the diffusers FLUX.1 repository")
    }
}

extension String {
    /// "a CLIP-L text encoder" → "CLIP-L text encoder" (for "has no …").
    func replacingFirstArticle() -> String {
        for article in ["a ", "an ", "the "] where hasPrefix(article) { return String(dropFirst(article.count)) }
        return self
    }
}
