import BantamCore
import BantamIO

/// Where the parts of a FLUX.1 model come from: the transformer, the CLIP-L and T5 text encoders, the
/// autoencoder and the two tokenizers, resolved from what the user gave (`bantam generate --model …
/// [--clip …] [--t5 …] [--vae …] [--tokenizers …]`). Only headers are read here; weights load later.
///
/// `--model` may be
/// - a diffusers folder (`transformer/`, `text_encoder/`, `text_encoder_2/`, `vae/`, `tokenizer/`,
///   `tokenizer_2/`; the transformer may be sharded),
/// - a ComfyUI all-in-one file (`model.diffusion_model.`, `text_encoders.clip_l.transformer.`,
///   `text_encoders.t5xxl.transformer.`, `vae.`; formats.md §4.5),
/// - a BFL transformer file (`flux1-dev.safetensors`, single-file fine-tunes alike; also a sharded
///   index or a folder holding one checkpoint), with the other parts given separately.
/// `--clip`, `--t5`, `--vae` (a file, a sharded index or a folder) replace or complete the parts found in
/// `--model`. Every part is recognized by BantamIO's detection, so a file in the wrong place gets a
/// one-line error that says what it is and where it belongs.
public struct FluxModelFiles: Sendable {
    /// One resolved part: its tensors (prefix removed) and what detection found.
    public struct Part: Sendable {
        /// Tensors of this part, names without the all-in-one prefix.
        public let source: any TensorSource
        /// The file or folder the part comes from.
        public let path: String
        public let detected: DetectedComponent
    }

    /// diffusers `config.json` files of the parts, where there are some. They say what the weights cannot:
    /// RoPE axes (transformer), attention heads and activations (text encoders), GroupNorm groups and the
    /// latent scale/shift (VAE). The published FLUX.1 models match the defaults, so only other models
    /// (like the tiny test model) need them.
    public struct Configs: Sendable, Equatable {
        public var transformer: String?
        public var clip: String?
        public var t5: String?
        public var vae: String?
        public init(transformer: String? = nil, clip: String? = nil, t5: String? = nil, vae: String? = nil) {
            self.transformer = transformer
            self.clip = clip
            self.t5 = t5
            self.vae = vae
        }

        /// The config.json files in the part subfolders of a diffusers folder.
        static func diffusers(_ root: String) -> Configs {
            let folder = DiffusersFolder(root)
            func config(_ sub: String) -> String? {
                let path = Paths.join(sub, "config.json")
                return Paths.isFile(path) ? path : nil
            }
            return Configs(transformer: config(folder.transformer), clip: config(folder.clip), t5: config(folder.t5),
                           vae: config(folder.vae))
        }
    }

    public let transformer: Part
    public let clip: Part
    public let t5: Part
    public let vae: Part
    public var configs: Configs
    /// Folders holding the CLIP tokenizer (vocab.json + merges.txt, or tokenizer.json) and the T5 one
    /// (spiece.model or tokenizer.json).
    public let clipTokenizer: String
    public let t5Tokenizer: String
    /// The name users know the model by: the file stem or the folder name ("flux1-dev").
    public let name: String
    /// The `--model` path as given.
    public let modelPath: String

    /// FLUX.1-dev (guidance-distilled, with `guidance_in`) or schnell.
    public var isGuidanceDistilled: Bool { transformer.detected.family == .flux1Dev }

    /// Resolves the parts. `configs` is a diffusers folder whose part subfolders' config.json files apply
    /// (for models that differ from the published FLUX.1 in what weights cannot show). Throws
    /// `ModelFilesError` (one line: what is wrong and what to pass instead).
    public static func resolve(model: String, clip: String? = nil, t5: String? = nil, vae: String? = nil,
                               tokenizers: String? = nil, configs configFolder: String? = nil) throws -> FluxModelFiles {
        var finder = PartFinder()
        var transformer: Part
        var found: [ComponentRole: [Part]] = [:]
        var configs = Configs()
        // Where to look for the tokenizers: next to the text encoder given separately, then next to --model.
        var tokenizerRoots: [String] = []
        var encoderRoots: [String: String] = [:]
        var name = Paths.stem(model)

        if Paths.isDirectory(model) && DiffusersFolder.looksLike(model) {
            // 1. A diffusers folder: one part per subfolder.
            let folder = DiffusersFolder(model)
            transformer = try finder.part(folder.transformer, want: .transformer, label: "--model")
            for (sub, role) in [(folder.clip, ComponentRole.textEncoder), (folder.t5, .textEncoder), (folder.vae, .autoencoder)]
                where Paths.isDirectory(sub) {
                found[role, default: []].append(try finder.part(sub, want: role, label: "--model"))
            }
            configs = .diffusers(model)
            tokenizerRoots.append(model)
            name = Paths.baseName(model)
        } else {
            // 2. A single checkpoint: a transformer, or an all-in-one file with some or all of the parts.
            let parts = try finder.parts(model, label: "--model")
            guard let t = parts.first(where: { $0.detected.role == .transformer }) else {
                throw ModelFilesError.notATransformer(model, parts)
            }
            transformer = t
            for p in parts where p.detected.role != .transformer { found[p.detected.role, default: []].append(p) }
            // A diffusers transformer folder given alone brings its config.json.
            let json = Paths.join(model, "config.json")
            if Paths.isDirectory(model) && Paths.isFile(json) { configs.transformer = json }
            tokenizerRoots.append(Paths.directoryName(model))
        }
        try checkTransformer(transformer)

        // 3. The parts given separately replace those found in --model.
        func choose(_ path: String?, label: String, role: ComponentRole, families: Set<ModelFamily>,
                    what: String, example: String, config: WritableKeyPath<Configs, String?>) throws -> Part {
            if let path {
                let parts = try finder.parts(path, label: label)
                guard let p = parts.first(where: { families.contains($0.detected.family) }) else {
                    throw ModelFilesError.wrongPart(path: path, label: label, expected: what, found: parts)
                }
                encoderRoots[label] = Paths.isDirectory(path) ? path : Paths.directoryName(path)
                // A part given as a folder (a diffusers subfolder) brings its config.json.
                let json = Paths.join(path, "config.json")
                configs[keyPath: config] = Paths.isDirectory(path) && Paths.isFile(json) ? json : nil
                return p
            }
            guard let p = found[role]?.first(where: { families.contains($0.detected.family) }) else {
                throw ModelFilesError.missingPart(model: model, label: label, what: what, example: example)
            }
            return p
        }
        let clipPart = try choose(clip, label: "--clip", role: .textEncoder, families: [.clipL, .clip],
                                  what: "a CLIP-L text encoder", example: "clip_l.safetensors, or a diffusers text_encoder folder",
                                  config: \.clip)
        let t5Part = try choose(t5, label: "--t5", role: .textEncoder, families: [.t5xxl, .t5],
                                what: "a T5 encoder", example: "t5xxl_fp16.safetensors, or a diffusers text_encoder_2 folder",
                                config: \.t5)
        let vaePart = try choose(vae, label: "--vae", role: .autoencoder, families: [.flux1Autoencoder],
                                 what: "the FLUX autoencoder", example: "ae.safetensors, or a diffusers vae folder",
                                 config: \.vae)
        if let configFolder {
            guard Paths.isDirectory(configFolder) else {
                throw ModelFilesError.message("\(configFolder): not a folder; --configs takes a diffusers FLUX folder (its transformer/, text_encoder/, text_encoder_2/, vae/ config.json files)")
            }
            let given = Configs.diffusers(configFolder)
            guard given != Configs() else {
                throw ModelFilesError.message("\(configFolder): holds no transformer/, text_encoder/, text_encoder_2/ or vae/ config.json; --configs takes a diffusers FLUX folder")
            }
            configs.transformer = given.transformer ?? configs.transformer
            configs.clip = given.clip ?? configs.clip
            configs.t5 = given.t5 ?? configs.t5
            configs.vae = given.vae ?? configs.vae
        }

        // 4. Tokenizers: the folder given, else next to the text encoder's files, else next to --model
        //    (each place and the folder above it).
        if let tokenizers {
            guard Paths.isDirectory(tokenizers) else {
                throw ModelFilesError.message("\(tokenizers): not a folder; --tokenizers takes a folder with the CLIP and T5 tokenizer files")
            }
        }
        func search(_ label: String) -> TokenizerSearch {
            if let tokenizers { return TokenizerSearch(roots: [tokenizers], explicit: true) }
            return TokenizerSearch(roots: (encoderRoots[label].map { [$0] } ?? []) + tokenizerRoots, explicit: false)
        }
        return FluxModelFiles(transformer: transformer, clip: clipPart, t5: t5Part, vae: vaePart,
                              configs: configs, clipTokenizer: try search("--clip").clip(), t5Tokenizer: try search("--t5").t5(),
                              name: name, modelPath: model)
    }

    /// Only FLUX.1 transformers run here; a shard of a sharded transformer is not a whole model.
    private static func checkTransformer(_ part: Part) throws {
        switch part.detected.family {
        case .flux1Dev, .flux1Schnell:
            if let variant = part.detected.variant, !variant.isEmpty {
                throw ModelFilesError.message("\(part.path): is a \(part.detected.name); bantam generate runs text-to-image FLUX.1 (dev, schnell and their fine-tunes), not \(variant)")
            }
        case .flux1:
            throw ModelFilesError.message("\(part.path): holds FLUX.1 transformer blocks but neither time_in nor guidance_in; if it is one shard of several, pass the .safetensors.index.json or its folder")
        default:
            throw ModelFilesError.message("\(part.path): is a \(part.detected.name); bantam generate runs FLUX.1 models only")
        }
    }
}

/// The subfolders of a diffusers FLUX pipeline folder.
struct DiffusersFolder {
    let root: String
    init(_ root: String) { self.root = root }
    var transformer: String { Paths.join(root, "transformer") }
    var clip: String { Paths.join(root, "text_encoder") }
    var t5: String { Paths.join(root, "text_encoder_2") }
    var vae: String { Paths.join(root, "vae") }

    static func looksLike(_ path: String) -> Bool {
        Paths.isFile(Paths.join(path, "model_index.json")) || Paths.isDirectory(Paths.join(path, "transformer"))
    }
}

/// Opens checkpoints and splits them into detected parts, opening each path once.
struct PartFinder {
    private var opened: [String: [FluxModelFiles.Part]] = [:]

    /// Every detected part of the checkpoint at `path` (a file, an index, or a folder with one checkpoint).
    mutating func parts(_ path: String, label: String) throws -> [FluxModelFiles.Part] {
        if let cached = opened[path] { return cached }
        guard Paths.kind(of: path) != .missing else {
            throw ModelFilesError.message("\(path): no such file or folder (given as \(label))")
        }
        let checkpoint = try Checkpoint(path: path)
        let signatures = checkpoint.tensorNames.compactMap { name in
            checkpoint.info(name).map { TensorSignature(name: name, dtype: $0.dtype.rawValue, shape: $0.shape) }
        }
        let kind = ModelDetector.detect(signatures, metadata: checkpoint.metadata)
        let parts = kind.components.map { component in
            FluxModelFiles.Part(source: component.prefix.isEmpty ? checkpoint : PrefixedTensorSource(checkpoint, prefix: component.prefix),
                                path: path, detected: component)
        }
        opened[path] = parts
        return parts
    }

    /// The one part of `path` with role `want`, or an error saying what the path holds instead.
    mutating func part(_ path: String, want: ComponentRole, label: String) throws -> FluxModelFiles.Part {
        let all = try parts(path, label: label)
        guard let p = all.first(where: { $0.detected.role == want }) else {
            throw ModelFilesError.wrongPart(path: path, label: label, expected: "a \(want.rawValue)", found: all)
        }
        return p
    }
}

/// Finds the tokenizer folders.
struct TokenizerSearch {
    let roots: [String]
    /// Whether the user named the folder (then only it is searched).
    let explicit: Bool

    static let clipNames = ["tokenizer", "clip", "clip_l", "clip-l", "tokenizers/clip", "tokenizers/clip_l"]
    static let t5Names = ["tokenizer_2", "t5", "t5xxl", "tokenizers/t5", "tokenizers/t5xxl"]

    /// Folders to look in: each root, and (unless explicit) its parent.
    private var places: [String] {
        var seen = Set<String>(), out: [String] = []
        for r in roots {
            for p in explicit ? [r] : [r, Paths.directoryName(r)] where seen.insert(p).inserted { out.append(p) }
        }
        return out
    }

    private func find(_ names: [String], direct: (String) -> Bool, any: (String) -> Bool) -> String? {
        for place in places {
            for n in names {
                let candidate = Paths.join(place, n)
                if Paths.isDirectory(candidate) && any(candidate) { return candidate }
            }
            if direct(place) { return place }
        }
        return nil
    }

    private static func has(_ dir: String, _ file: String) -> Bool { Paths.isFile(Paths.join(dir, file)) }

    func clip() throws -> String {
        let isCLIP: (String) -> Bool = { Self.has($0, "vocab.json") && Self.has($0, "merges.txt") }
        if let dir = find(Self.clipNames, direct: isCLIP, any: { isCLIP($0) || Self.has($0, "tokenizer.json") }) { return dir }
        throw ModelFilesError.missingTokenizer(kind: "CLIP", places: places)
    }

    func t5() throws -> String {
        let isT5: (String) -> Bool = { Self.has($0, "spiece.model") }
        if let dir = find(Self.t5Names, direct: isT5, any: { isT5($0) || Self.has($0, "tokenizer.json") }) { return dir }
        throw ModelFilesError.missingTokenizer(kind: "T5", places: places)
    }
}
