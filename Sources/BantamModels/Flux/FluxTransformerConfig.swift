import BantamCore
import BantamIO
import BantamNN

/// The shape of a FLUX.1 transformer (BFL `FluxParams`, black-forest-labs/flux src/flux/model.py).
///
/// Everything except the RoPE axes is read from the checkpoint's tensor shapes, so FLUX.1-dev, -schnell,
/// fine-tunes and the tiny test model take the same path. FLUX.1 itself: in 64, hidden 3072, 24 heads of
/// 128, 19 double and 38 single blocks, context 4096 (T5-XXL), pooled 768 (CLIP-L), MLP 12288, RoPE axes
/// [16, 56, 56], theta 10000; dev embeds the guidance value, schnell does not.
public struct FluxTransformerConfig: Sendable, Equatable {
    /// Features of a packed latent token (`img_in` in-features): 64 = 16 latent channels × 2×2 patch.
    public var inChannels: Int
    /// Features of a predicted velocity token (`final_layer.linear` out-features); 64 for FLUX.1.
    public var outChannels: Int
    /// Width of both streams (3072).
    public var hidden: Int
    /// Attention heads (hidden / headDim).
    public var heads: Int
    /// Features per head (the length of the QK-norm scales): 128.
    public var headDim: Int
    /// DoubleStreamBlocks (19).
    public var doubleBlocks: Int
    /// SingleStreamBlocks (38).
    public var singleBlocks: Int
    /// Features of a text token (`txt_in` in-features): T5-XXL's 4096.
    public var contextDim: Int
    /// Features of the pooled vector (`vector_in` in-features): CLIP-L's 768.
    public var pooledDim: Int
    /// Inner width of the MLPs (hidden · mlp_ratio = 12288).
    public var mlpHidden: Int
    /// RoPE frequencies per position axis (index, row, column); they sum to headDim.
    public var axesDim: [Int]
    /// RoPE base.
    public var theta: Double
    /// Whether the guidance value is embedded (`guidance_in`): FLUX.1-dev yes, FLUX.1-schnell no.
    public var guidanceEmbed: Bool

    /// Width of the sinusoidal timestep and guidance embeddings (fixed in the reference code).
    public static let timestepDim = 256
    /// More blocks of one kind than this is taken for a damaged file (FLUX.1 has 19 and 38).
    static let maxBlocks = 1024
    /// FLUX.1's RoPE axes for 128-wide heads.
    public static let fluxAxesDim = [16, 56, 56]

    public init(inChannels: Int, outChannels: Int, hidden: Int, heads: Int, headDim: Int, doubleBlocks: Int,
                singleBlocks: Int, contextDim: Int, pooledDim: Int, mlpHidden: Int, axesDim: [Int],
                theta: Double = 10_000, guidanceEmbed: Bool) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.hidden = hidden
        self.heads = heads
        self.headDim = headDim
        self.doubleBlocks = doubleBlocks
        self.singleBlocks = singleBlocks
        self.contextDim = contextDim
        self.pooledDim = pooledDim
        self.mlpHidden = mlpHidden
        self.axesDim = axesDim
        self.theta = theta
        self.guidanceEmbed = guidanceEmbed
    }

    /// FLUX.1-dev (`guidanceEmbed`) or FLUX.1-schnell at full size.
    public static func flux1(guidanceEmbed: Bool) -> FluxTransformerConfig {
        FluxTransformerConfig(inChannels: 64, outChannels: 64, hidden: 3072, heads: 24, headDim: 128, doubleBlocks: 19,
                              singleBlocks: 38, contextDim: 4096, pooledDim: 768, mlpHidden: 12288,
                              axesDim: fluxAxesDim, guidanceEmbed: guidanceEmbed)
    }

    /// Throws unless the numbers fit together (heads × headDim = hidden, even RoPE axes summing to headDim, ...).
    public func validate() throws {
        let positive = [("inChannels", inChannels), ("outChannels", outChannels), ("hidden", hidden), ("heads", heads),
                        ("headDim", headDim), ("contextDim", contextDim), ("pooledDim", pooledDim), ("mlpHidden", mlpHidden)]
        for (name, value) in positive where value <= 0 {
            throw FluxConfigError("\(name) is \(value); it must be positive")
        }
        guard doubleBlocks >= 0, singleBlocks >= 0, doubleBlocks + singleBlocks > 0 else {
            throw FluxConfigError("\(doubleBlocks) double and \(singleBlocks) single blocks; a FLUX transformer needs at least one")
        }
        guard heads * headDim == hidden else {
            throw FluxConfigError("\(heads) heads × \(headDim) features do not make the hidden size \(hidden)")
        }
        guard headDim % 2 == 0, axesDim.allSatisfy({ $0 > 0 && $0 % 2 == 0 }), axesDim.reduce(0, +) == headDim else {
            throw FluxConfigError("RoPE axes \(axesDim) must be positive, even and sum to the head size \(headDim)")
        }
        guard theta > 0 else { throw FluxConfigError("RoPE theta \(theta) must be positive") }
    }

    /// Reads the configuration from a checkpoint's tensor shapes, in `layout`'s names.
    ///
    /// - hidden and inChannels from `img_in` (diffusers `x_embedder`), outChannels from `final_layer.linear`,
    ///   contextDim from `txt_in`, pooledDim from `vector_in.in_layer`, mlpHidden from the first MLP (or
    ///   from `linear1` minus the fused qkv rows when there are no double blocks), headDim from the length of
    ///   the QK-norm scale, heads = hidden / headDim;
    /// - the block counts by scanning the keys for the highest block index (a missing block in the middle is
    ///   then reported by the strict loader, by name);
    /// - guidanceEmbed when the guidance embedder is present (dev) or absent (schnell);
    /// - axesDim cannot be read from weights: `axesDim` when given, else `axes_dims_rope` from the
    ///   diffusers `config.json` next to a diffusers checkpoint, else FLUX's [16, 56, 56] when headDim is
    ///   128; anything else throws and asks for `axesDim`.
    public static func infer(from source: any TensorSource, layout: FluxLayout,
                             axesDim: [Int]? = nil) throws -> FluxTransformerConfig {
        let names = layout.weightLayout
        func shape(_ parameter: String) -> Shape? { names.recipe(for: parameter)?.shape(in: source) }
        func require(_ parameter: String, rank: Int) throws -> Shape {
            guard let recipe = names.recipe(for: parameter), let s = recipe.shape(in: source) else {
                let stored = names.recipe(for: parameter).map { $0.keys.joined(separator: ", ") } ?? parameter
                throw FluxConfigError("\(source.sourceDescription) is not a FLUX transformer in the \(layout) layout: "
                                      + "no \(stored) (check the layout, or the prefix of an all-in-one file)")
            }
            guard s.rank == rank else {
                throw FluxConfigError("\(source.sourceDescription): \(parameter) has shape \(s); expected rank \(rank)")
            }
            return s
        }

        // 1. Widths of the embedders and of the last layer.
        let imgIn = try require("img_in.weight", rank: 2)                  // [hidden, in]
        let (hidden, inChannels) = (imgIn[0], imgIn[1])
        let contextDim = try require("txt_in.weight", rank: 2)[1]          // [hidden, context]
        let pooledDim = try require("vector_in.in_layer.weight", rank: 2)[1]   // [hidden, pooled]
        let outChannels = try require("final_layer.linear.weight", rank: 2)[0]  // [out, hidden]
        let guidanceEmbed = shape("guidance_in.in_layer.weight") != nil

        // 2. Block counts from the keys.
        let (doubleBlocks, firstDouble) = blockIndices(in: source, prefix: layout.doubleBlockPrefix)
        let (singleBlocks, firstSingle) = blockIndices(in: source, prefix: layout.singleBlockPrefix)
        guard doubleBlocks + singleBlocks > 0 else {
            throw FluxConfigError("\(source.sourceDescription) has no \(layout.doubleBlockPrefix)* or \(layout.singleBlockPrefix)* "
                                  + "tensors; it is not a FLUX transformer in the \(layout) layout")
        }
        guard doubleBlocks <= maxBlocks, singleBlocks <= maxBlocks else {
            throw FluxConfigError("\(source.sourceDescription): a block index of \(max(doubleBlocks, singleBlocks) - 1) is not "
                                  + "plausible (at most \(maxBlocks) blocks of each kind); the file is damaged")
        }

        // 3. Head size and MLP width from the first block present.
        let headDim: Int, mlpHidden: Int
        if let i = firstDouble {
            headDim = try require("double_blocks.\(i).img_attn.norm.query_norm.scale", rank: 1)[0]
            mlpHidden = try require("double_blocks.\(i).img_mlp.0.weight", rank: 2)[0]     // [mlp, hidden]
        } else {
            let i = firstSingle ?? 0
            headDim = try require("single_blocks.\(i).norm.query_norm.scale", rank: 1)[0]
            mlpHidden = try require("single_blocks.\(i).linear1.weight", rank: 2)[0] - 3 * hidden   // [3·hidden + mlp, hidden]
        }
        guard headDim > 0, hidden % headDim == 0 else {
            throw FluxConfigError("\(source.sourceDescription): hidden size \(hidden) is not a multiple of the head size \(headDim)")
        }

        // 4. RoPE axes: given, from diffusers' config.json, or FLUX's own.
        var axes = axesDim
        if axes == nil, layout == .diffusers { axes = try FluxDiffusersConfigFile.axesDims(near: source) }
        if axes == nil, headDim == 128 { axes = fluxAxesDim }
        guard let axes else {
            throw FluxConfigError("\(source.sourceDescription): the RoPE axes of \(headDim)-wide heads cannot be read from "
                                  + "the weights; pass axesDim (they sum to \(headDim))")
        }

        let config = FluxTransformerConfig(inChannels: inChannels, outChannels: outChannels, hidden: hidden,
                                           heads: hidden / headDim, headDim: headDim, doubleBlocks: doubleBlocks,
                                           singleBlocks: singleBlocks, contextDim: contextDim, pooledDim: pooledDim,
                                           mlpHidden: mlpHidden, axesDim: axes, guidanceEmbed: guidanceEmbed)
        try config.validate()
        return config
    }

    /// Among keys `<prefix><i>.…`: 1 + the highest `i` (0 when there are none) and the lowest `i`.
    static func blockIndices(in source: any TensorSource, prefix: String) -> (count: Int, first: Int?) {
        var count = 0
        var first: Int?
        for key in source.keys where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let index = Int(rest[..<dot]), index >= 0 else { continue }
            count = max(count, index + 1)
            first = min(first ?? index, index)
        }
        return (count, first)
    }
}

/// A FLUX transformer configuration that cannot be inferred or does not hold together (one line).
public struct FluxConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
