/// What a checkpoint holds, read from its tensor names, dtypes and shapes alone (no weight data).
///
/// `ModelDetector.detect(_:)` produces a `CheckpointKind`: one `DetectedComponent` per sub-model (an
/// all-in-one ComfyUI file has four: transformer, CLIP-L, T5-XXL, VAE), each with its family, naming
/// layout, sizes read from the shapes, and the quantization schemes whose marker tensors it carries.

/// One tensor as the header describes it: the only input detection needs.
public struct TensorSignature: Sendable, Hashable {
    public let name: String
    /// The safetensors dtype string ("BF16", "F8_E4M3", "U8", ...).
    public let dtype: String
    public let shape: [Int]

    public init(name: String, dtype: String, shape: [Int]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// What part of a diffusion pipeline a component is.
public enum ComponentRole: String, Sendable, CaseIterable {
    case transformer
    case autoencoder
    case textEncoder = "text encoder"
    case adapter
    case unknown
}

/// The model a component belongs to. `componentName` is the human name, e.g. "FLUX.1-dev transformer".
public enum ModelFamily: String, Sendable, CaseIterable {
    case flux1Dev, flux1Schnell
    /// A FLUX.1 transformer whose file holds neither `time_in` nor `guidance_in` (one shard of several).
    case flux1
    case sd3Medium, sd35Medium, sd35Large
    /// An MMDiT with SD3's names but none of the published sizes.
    case sd3Other
    case qwenImage
    case flux1Autoencoder, sd3Autoencoder, sdAutoencoder, qwenImageAutoencoder, autoencoder
    case t5xxl, t5
    case clipL, clipG, clip
    case qwen25VL, languageModel
    case lora
    case unknown

    public var role: ComponentRole {
        switch self {
        case .flux1Dev, .flux1Schnell, .flux1, .sd3Medium, .sd35Medium, .sd35Large, .sd3Other, .qwenImage:
            return .transformer
        case .flux1Autoencoder, .sd3Autoencoder, .sdAutoencoder, .qwenImageAutoencoder, .autoencoder:
            return .autoencoder
        case .t5xxl, .t5, .clipL, .clipG, .clip, .qwen25VL, .languageModel:
            return .textEncoder
        case .lora: return .adapter
        case .unknown: return .unknown
        }
    }

    /// The family name without the role ("FLUX.1-dev", "SD3.5 Large").
    public var displayName: String {
        switch self {
        case .flux1Dev: return "FLUX.1-dev"
        case .flux1Schnell: return "FLUX.1-schnell"
        case .flux1: return "FLUX.1"
        case .sd3Medium: return "SD3 Medium"
        case .sd35Medium: return "SD3.5 Medium"
        case .sd35Large: return "SD3.5 Large"
        case .sd3Other: return "SD3-family"
        case .qwenImage: return "Qwen-Image"
        case .flux1Autoencoder: return "FLUX.1"
        case .sd3Autoencoder: return "SD3"
        case .sdAutoencoder: return "SD/SDXL"
        case .qwenImageAutoencoder: return "Qwen-Image"
        case .autoencoder: return "KL"
        case .t5xxl: return "T5-XXL v1.1"
        case .t5: return "T5"
        case .clipL: return "CLIP-L"
        case .clipG: return "OpenCLIP bigG"
        case .clip: return "CLIP"
        case .qwen25VL: return "Qwen2.5-VL-7B"
        case .languageModel: return "decoder-only"
        case .lora: return "LoRA"
        case .unknown: return "unknown"
        }
    }

    /// The noun that follows the family name.
    var noun: String {
        switch self {
        case .t5xxl, .t5: return "encoder"
        case .clipL, .clipG, .clip: return "text encoder"
        case .qwen25VL, .languageModel: return "language model"
        case .lora: return "adapter"
        case .unknown: return "component"
        default: return role.rawValue
        }
    }

    /// Short label in an all-in-one summary: "transformer", "CLIP-L", "T5-XXL", "VAE".
    public var shortLabel: String {
        switch role {
        case .transformer: return "transformer"
        case .autoencoder: return "VAE"
        case .adapter: return "LoRA"
        case .unknown: return "unknown"
        case .textEncoder:
            switch self {
            case .t5xxl: return "T5-XXL"
            case .clipL: return "CLIP-L"
            case .clipG: return "CLIP-G"
            case .qwen25VL: return "Qwen2.5-VL"
            default: return displayName + " " + noun
            }
        }
    }
}

/// How the tensors of a component are named.
public enum WeightLayout: String, Sendable, CaseIterable {
    /// Black Forest Labs' reference names (`double_blocks.0.img_attn.qkv.weight`; `encoder.down.0...` for the AE).
    case bfl = "BFL"
    /// Hugging Face diffusers names (`transformer_blocks.0.attn.to_q.weight`, `decoder.up_blocks...`).
    case diffusers
    /// Stability AI's original MMDiT names (`joint_blocks.0.x_block.attn.qkv.weight`).
    case sai = "SAI"
    /// Hugging Face transformers names (text encoders).
    case transformers = "Hugging Face"
    /// Names this detector does not know.
    case unknown

    public var phrase: String { self == .unknown ? "unknown layout" : "\(rawValue) layout" }
}

/// Sizes read from the tensor shapes; nil when the file does not say.
public struct ModelDimensions: Sendable, Equatable {
    /// Transformer width / d_model / text encoder hidden size.
    public var hiddenSize: Int?
    /// Double-stream (FLUX), joint (SD3, Qwen-Image) or encoder layers: the highest block index + 1.
    public var depth: Int?
    /// FLUX single-stream blocks.
    public var singleBlocks: Int?
    public var headDim: Int?
    public var heads: Int?
    /// Inner width of the feed-forward layers.
    public var mlpHidden: Int?
    /// Features per input token (FLUX img_in in-features: 64 base, 384 Fill, 128 Depth/Canny).
    public var inFeatures: Int?
    /// Features of the text conditioning the transformer takes (T5: 4096, Qwen2.5-VL: 3584).
    public var contextDim: Int?
    public var latentChannels: Int?
    public var baseChannels: Int?
    public var vocabulary: Int?

    public init() {}

    /// "hidden 3072, 19 double + 38 single blocks, 24 heads × 128, MLP 12288, in 64, context 4096".
    public var description: String {
        var parts: [String] = []
        if let hiddenSize { parts.append("hidden \(hiddenSize)") }
        if let depth, let singleBlocks { parts.append("\(depth) double + \(singleBlocks) single blocks") }
        else if let depth { parts.append(depth == 1 ? "1 block" : "\(depth) blocks") }
        if let heads, let headDim { parts.append("\(heads) heads × \(headDim)") }
        else if let headDim { parts.append("head size \(headDim)") }
        if let mlpHidden { parts.append("MLP \(mlpHidden)") }
        if let inFeatures { parts.append("in \(inFeatures)") }
        if let contextDim { parts.append("context \(contextDim)") }
        if let baseChannels { parts.append("base channels \(baseChannels)") }
        if let latentChannels { parts.append("\(latentChannels) latent channels") }
        if let vocabulary { parts.append("vocabulary \(vocabulary)") }
        return parts.joined(separator: ", ")
    }
}

/// One sub-model of a checkpoint.
public struct DetectedComponent: Sendable, Equatable {
    /// The name prefix its tensors share in the file ("" for a standalone file).
    public let prefix: String
    public let family: ModelFamily
    /// "Fill", "Depth/Canny", ... (FLUX img_in variants), nil for the base model.
    public let variant: String?
    public let layout: WeightLayout
    public let dimensions: ModelDimensions
    public let quantization: [QuantizationScheme]
    public let tensorCount: Int
    /// Facts worth a line that do not fit the fields (ambiguities, guesses).
    public let notes: [String]

    public init(prefix: String, family: ModelFamily, variant: String? = nil, layout: WeightLayout,
                dimensions: ModelDimensions = ModelDimensions(), quantization: [QuantizationScheme] = [],
                tensorCount: Int, notes: [String] = []) {
        self.prefix = prefix
        self.family = family
        self.variant = variant
        self.layout = layout
        self.dimensions = dimensions
        self.quantization = quantization
        self.tensorCount = tensorCount
        self.notes = notes
    }

    public var role: ComponentRole { family.role }

    /// "FLUX.1-dev Fill transformer", "T5-XXL v1.1 encoder", "unknown (12 tensors)".
    public var name: String {
        if family == .unknown { return "unknown (\(tensorCount) tensors)" }
        let variantPart = variant.map { " " + $0 } ?? ""
        return "\(family.displayName)\(variantPart) \(family.noun)"
    }

    /// "FLUX.1-dev transformer, BFL layout" (+ the prefix when it has one).
    public var summary: String {
        if family == .unknown {
            return prefix.isEmpty ? name : "\(name) under '\(prefix)'"
        }
        var text = "\(name), \(layout.phrase)"
        if !prefix.isEmpty { text += " under '\(prefix)'" }
        return text
    }

    /// Label for an all-in-one summary.
    public var shortLabel: String { family.shortLabel }
}

/// The result of detection over one checkpoint.
public struct CheckpointKind: Sendable, Equatable {
    public let tensorCount: Int
    /// Transformer first, then text encoders, then the autoencoder, then anything unrecognized.
    public let components: [DetectedComponent]

    public init(tensorCount: Int, components: [DetectedComponent]) {
        self.tensorCount = tensorCount
        self.components = components
    }

    /// True when nothing in the file was recognized.
    public var isUnknown: Bool { components.allSatisfy { $0.family == .unknown } }

    /// The transformer if there is one, else the first component.
    public var primary: DetectedComponent? {
        components.first { $0.role == .transformer } ?? components.first
    }

    /// Whether this looks like a ComfyUI/SAI single-file checkpoint with several prefixed sub-models.
    public var isAllInOne: Bool { components.count > 1 }

    /// One line, e.g. "FLUX.1-dev transformer, BFL layout",
    /// "FLUX.1-dev all-in-one checkpoint, ComfyUI layout (transformer, CLIP-L, T5-XXL, VAE)",
    /// "unknown (12 tensors)"; quantization schemes follow after a semicolon.
    public var summary: String {
        if isUnknown { return "unknown (\(tensorCount) tensors)" }
        var text: String
        if components.count == 1, let only = components.first {
            text = only.summary
            for scheme in only.quantization { text += "; " + scheme.label }
            return text
        }
        let labels = components.map(\.shortLabel).joined(separator: ", ")
        if let transformer = components.first(where: { $0.role == .transformer }) {
            let layout = transformer.layout == .sai ? "SAI" : "ComfyUI"
            text = "\(transformer.family.displayName)\(transformer.variant.map { " " + $0 } ?? "") all-in-one checkpoint, \(layout) layout (\(labels))"
        } else {
            text = "checkpoint with \(components.count) components (\(labels))"
        }
        for component in components {
            for scheme in component.quantization { text += "; \(component.shortLabel): \(scheme.label)" }
        }
        return text
    }
}
