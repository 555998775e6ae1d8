import BantamJSON

/// The text chunks a generated PNG carries: "parameters" in the A1111/Forge format (so their "PNG Info"
/// tab and the many tools that read it show the settings), and "bantam", a JSON object with everything
/// needed to reproduce the image and the timings.
public enum GenerationMetadata {
    /// The A1111/Forge parameters of a FLUX generation: Euler with FLUX's simple schedule; "CFG scale" is
    /// the true CFG (1 when off), "Distilled CFG Scale" the guidance input of dev models.
    public static func a1111(_ result: GenerationResult, model: String, guidanceDistilled: Bool,
                             version: String) -> A1111Parameters {
        let r = result.request
        var pairs: [(key: String, value: String)] = [
            ("Steps", String(result.steps)), ("Sampler", "Euler"), ("Schedule type", "Simple"),
            ("CFG scale", A1111Parameters.number(r.usesTrueCFG ? r.trueCFG : 1)),
        ]
        if guidanceDistilled { pairs.append(("Distilled CFG Scale", A1111Parameters.number(r.guidance))) }
        pairs += [("Seed", String(r.seed)), ("Size", "\(result.width)x\(result.height)"), ("Model", model),
                  ("Version", version)]
        return A1111Parameters(prompt: r.prompt, negativePrompt: r.usesTrueCFG ? (r.negativePrompt ?? "") : "", pairs: pairs)
    }

    /// The "bantam" JSON: request, model files, device and timings (numbers in the shortest exact form);
    /// `version` names the program ("bantam 0.1.0").
    public static func json(_ result: GenerationResult, files: FluxModelFiles, device: String, version: String) -> String {
        let r = result.request
        var w = JSONWriter()
        var first = true
        func key(_ k: String) {
            w.raw(first ? "{" : ",")
            first = false
            w.string(k)
            w.raw(":")
        }
        func append(_ text: String) { for b in text.utf8 { w.byte(b) } }
        func number(_ v: Double) { if v.isFinite { append("\(v)") } else { w.raw("null") } }
        func number(_ v: Float) { if v.isFinite { append("\(v)") } else { w.raw("null") } }
        func string(_ k: String, _ v: String?) { key(k); if let v { w.string(v) } else { w.raw("null") } }
        string("generator", version)
        string("model", files.modelPath)
        string("model_name", files.name)
        string("transformer", files.transformer.path)
        string("clip", files.clip.path)
        string("t5", files.t5.path)
        string("vae", files.vae.path)
        string("prompt", r.prompt)
        string("negative_prompt", r.negativePrompt)
        key("seed"); append(String(r.seed))
        string("noise", r.noiseSource)
        key("width"); w.integer(result.width)
        key("height"); w.integer(result.height)
        key("steps"); w.integer(result.steps)
        key("guidance"); number(r.guidance)
        key("true_cfg"); number(r.trueCFG)
        key("t5_length"); w.integer(result.t5Length)
        string("sampler", "flow-matching Euler (diffusers FlowMatchEulerDiscreteScheduler)")
        string("device", device)
        key("seconds")
        w.raw("{")
        let t = result.timings
        for (i, (name, value)) in [("load", t.load), ("encode", t.encode), ("denoise", t.denoise), ("decode", t.decode),
                                   ("total", t.total)].enumerated() {
            if i > 0 { w.raw(",") }
            w.string(name)
            w.raw(":")
            number((value * 1000).rounded() / 1000)
        }
        w.raw("}}")
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Both chunks, in the order they are written.
    public static func pngText(_ result: GenerationResult, files: FluxModelFiles, guidanceDistilled: Bool,
                               device: String, version: String) -> [(String, String)] {
        [("parameters", a1111(result, model: files.name, guidanceDistilled: guidanceDistilled, version: version).text),
         ("bantam", json(result, files: files, device: device, version: version))]
    }
}
