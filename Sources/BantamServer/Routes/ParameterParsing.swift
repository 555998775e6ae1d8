/// Reading generation parameters from the native API's and the A1111 API's request bodies, with the
/// bounds of `ParameterRules` and messages that say what to send instead.
enum ParameterParsing {
    static let nativeKeys = ["prompt", "negative_prompt", "seed", "steps", "guidance", "cfg_scale", "width", "height",
                             "model", "precision", "vram_budget_gb", "batch_count"]

    /// The native API's job body (unknown members are refused).
    static func native(_ f: Fields, services: ServerServices) throws -> GenerationParameters {
        try f.rejectUnknown(nativeKeys)
        let model = try resolveModel(try f.optionalString("model", maxCharacters: 256), services: services)
        let precisionText = try f.string("precision", default: "stored", maxCharacters: 16)
        guard let precision = ComputePrecision(rawValue: precisionText.lowercased()) else {
            throw APIError.invalid("precision must be one of \(ComputePrecision.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(precisionText.prefix(16))\"")
        }
        return GenerationParameters(
            prompt: try f.string("prompt", default: "", maxCharacters: ParameterRules.promptCharacters),
            negativePrompt: try f.string("negative_prompt", default: "", maxCharacters: ParameterRules.promptCharacters),
            seed: try f.seed("seed") ?? ParameterRules.randomSeed(),
            steps: try f.int("steps", default: ParameterRules.defaultSteps, range: ParameterRules.steps),
            guidance: try f.double("guidance", default: 3.5, range: ParameterRules.guidance),
            cfgScale: try f.double("cfg_scale", default: 1, range: ParameterRules.cfgScale),
            width: try side(f, "width"), height: try side(f, "height"), model: model.id, precision: precision,
            vramBudgetGB: try f.optionalDouble("vram_budget_gb", range: ParameterRules.vramBudgetGB),
            batchCount: try f.int("batch_count", default: 1, range: ParameterRules.batchCount))
    }

    /// An image side: a multiple of 16 within `ParameterRules.side` (default 512).
    static func side(_ f: Fields, _ key: String, default fallback: Int = 512) throws -> Int {
        let range = ParameterRules.side, m = ParameterRules.sideMultiple
        let value = try f.int(key, default: fallback, range: range)
        guard value % m == 0 else {
            let lower = max(range.lowerBound, value / m * m)
            throw APIError.invalid("\(f.path)\(key) \(value) is not a multiple of \(m); use \(lower) or \(min(range.upperBound, lower + m))")
        }
        return value
    }

    /// The named model (rescanning once if it is new), or the default one: the A1111 option
    /// `sd_model_checkpoint` when set and usable, else the first usable model.
    static func resolveModel(_ requested: String?, services: ServerServices) throws -> ModelEntry {
        let catalog = services.catalog
        if let requested {
            let name = requested.split(separator: " [").first.map(String.init) ?? requested   // A1111 titles: "name [hash]"
            let entry = catalog.models(refresh: false).first { $0.id == name }
                ?? catalog.models(refresh: true).first { $0.id == name }
            guard let entry else {
                let usable = catalog.models(refresh: false).filter(\.usable).map(\.id)
                throw APIError.invalid("there is no model '\(requested.prefix(100))'; "
                    + (usable.isEmpty ? catalog.helpWhenEmpty : "available: \(usable.joined(separator: ", "))"))
            }
            guard entry.usable else { throw APIError.invalid("model '\(entry.id)' cannot be used: \(entry.problem ?? "")") }
            return entry
        }
        let models = catalog.models(refresh: false)
        if let preferred = services.settings.defaultModel, let entry = models.first(where: { $0.id == preferred && $0.usable }) {
            return entry
        }
        guard let first = models.first(where: \.usable) ?? catalog.models(refresh: true).first(where: \.usable) else {
            throw APIError(.conflict, "no_model", catalog.helpWhenEmpty)
        }
        return first
    }
}
