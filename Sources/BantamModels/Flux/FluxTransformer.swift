import BantamCore
import BantamNN

/// The FLUX.1 transformer (dev and schnell), BFL `Flux` (black-forest-labs/flux src/flux/model.py):
/// double-stream blocks over separate image and text streams, then single-stream blocks over their
/// concatenation, conditioned on a vector made from the timestep, the guidance value (dev) and CLIP's
/// pooled embedding. Written once with BantamCore ops, so it runs on any backend; shapes come from the
/// configuration, so the tiny test model and the 12B model take the same code path.
///
/// Loading: build it over a `WeightLoader` whose layout is a `FluxLayout` (canonical names are the BFL
/// names), then call `loader.finish()`, which reports every missing, mis-shaped or unexpected tensor.
///
/// Precision: activations keep the dtype of `img` (f32, bf16 or f16); `txt` and `y` are converted to it.
/// The timestep/guidance embeddings and the RoPE tables are small host computations (f32 from f64
/// math); norms, softmax, RoPE and GEMM accumulation run in f32 inside the ops.
public final class FluxTransformer: Sendable {
    public let config: FluxTransformerConfig
    public let imgIn: Linear                    // img_in     [hidden, in]
    public let timeIn: MLPEmbedder              // time_in
    public let vectorIn: MLPEmbedder            // vector_in
    public let guidanceIn: MLPEmbedder?         // guidance_in (dev only)
    public let txtIn: Linear                    // txt_in     [hidden, context]
    public let doubleBlocks: [DoubleStreamBlock]   // double_blocks.i
    public let singleBlocks: [SingleStreamBlock]   // single_blocks.i
    public let finalLayer: LastLayer            // final_layer
    public let peEmbedder: EmbedND              // pe_embedder (no weights)
    let positionCache = PositionCache()

    public init(config: FluxTransformerConfig, loader: WeightLoader) throws {
        try config.validate()
        self.config = config
        let root = loader.root
        let (h, timeDim) = (config.hidden, FluxTransformerConfig.timestepDim)
        imgIn = try Linear(root.child("img_in"), in: config.inChannels, out: h)
        timeIn = try MLPEmbedder(root.child("time_in"), in: timeDim, hidden: h)
        vectorIn = try MLPEmbedder(root.child("vector_in"), in: config.pooledDim, hidden: h)
        guidanceIn = config.guidanceEmbed ? try MLPEmbedder(root.child("guidance_in"), in: timeDim, hidden: h) : nil
        txtIn = try Linear(root.child("txt_in"), in: config.contextDim, out: h)
        let doubleScope = root.child("double_blocks"), singleScope = root.child("single_blocks")
        doubleBlocks = try (0..<config.doubleBlocks).map { try DoubleStreamBlock(doubleScope.child($0), config: config) }
        singleBlocks = try (0..<config.singleBlocks).map { try SingleStreamBlock(singleScope.child($0), config: config) }
        finalLayer = try LastLayer(root.child("final_layer"), hidden: h, outChannels: config.outChannels)
        peEmbedder = EmbedND(dim: config.headDim, theta: config.theta, axesDim: config.axesDim)
    }

    /// The velocity prediction for packed latents.
    /// - img: [B, L, in] packed latent tokens (its dtype is the compute dtype)
    /// - imgIds: [L, 3] image positions (`FluxPositions.imageIds`); txtIds: [Lt, 3] (zeros)
    /// - txt: [B, Lt, context] T5 hidden states; y: [B, pooled] CLIP pooled output
    /// - timesteps: [B] in [0, 1]; guidance: [B] (required by dev, ignored by schnell)
    /// - returns: [B, L, out]
    public func callAsFunction(img: Tensor, imgIds: Tensor, txt: Tensor, txtIds: Tensor, timesteps: Tensor,
                               y: Tensor, guidance: Tensor?) throws -> Tensor {
        try checkInputs(img: img, imgIds: imgIds, txt: txt, txtIds: txtIds, timesteps: timesteps, y: y, guidance: guidance)
        let dtype = img.dtype, backend = img.backend

        // 1. Project the image and text tokens to the model width.
        let img = try imgIn(img)                                                       // [B, L, hidden]
        let txt = try txtIn(try txt.cast(to: dtype))                                   // [B, Lt, hidden]

        // 2. Conditioning vector: time (+ guidance) + pooled text.
        var vec = try timeIn(try FluxTransformer.timestepEmbedding(try timesteps.floats(), on: backend).cast(to: dtype))
        if let guidanceIn, let guidance {
            vec = try vec + guidanceIn(try FluxTransformer.timestepEmbedding(try guidance.floats(), on: backend).cast(to: dtype))
        }
        vec = try vec + vectorIn(try y.cast(to: dtype))                                // [B, hidden]

        // 3. RoPE angles of the joint sequence, text positions first.
        let ids = try txtIds.floats() + imgIds.floats()                                // [Lt + L, 3] on the host
        let pe = try positionCache.tables(ids: ids, length: txtIds.shape[0] + imgIds.shape[0], embedder: peEmbedder,
                                          on: backend)                                 // [Lt + L, D/2]

        // 4.–5. Double-stream blocks, then single-stream blocks over [text; image].
        var x = try doubleStream(img: img, txt: txt, vec: vec, pe: pe)                 // [B, Lt + L, hidden]
        for block in singleBlocks {
            x = try block(x, vec: vec, pe: pe)
        }

        // 6. Drop the text tokens; the last layer maps the image tokens to velocities.
        let textLength = txtIds.shape[0]
        let imageTokens = try x.slice(axis: 1, textLength..<x.shape[1])                // [B, L, hidden]
        return try finalLayer(imageTokens, vec: vec)                                   // [B, L, out]
    }

    /// Step 4: the double-stream blocks, then the streams joined for the single blocks (in a function of
    /// its own, so the separate streams are released before the single blocks run).
    /// img [B, L, hidden], txt [B, Lt, hidden] -> [B, Lt + L, hidden]
    private func doubleStream(img: Tensor, txt: Tensor, vec: Tensor, pe: PositionEmbedding) throws -> Tensor {
        var (img, txt) = (img, txt)
        for block in doubleBlocks {
            (img, txt) = try block(img: img, txt: txt, vec: vec, pe: pe)
        }
        return try concat([txt, img], axis: 1)
    }

    /// One-line errors for inputs that do not fit the model (before any work is done).
    private func checkInputs(img: Tensor, imgIds: Tensor, txt: Tensor, txtIds: Tensor, timesteps: Tensor,
                             y: Tensor, guidance: Tensor?) throws {
        func fail(_ detail: String) -> TensorError { .shapeMismatch(op: "FluxTransformer", detail: detail) }
        let c = config
        guard img.rank == 3, img.shape[2] == c.inChannels else {
            throw fail("img has shape \(img.shape); expected [B, L, \(c.inChannels)] packed latents")
        }
        let (b, l) = (img.shape[0], img.shape[1])
        guard txt.rank == 3, txt.shape[0] == b, txt.shape[2] == c.contextDim else {
            throw fail("txt has shape \(txt.shape); expected [\(b), Lt, \(c.contextDim)]")
        }
        let lt = txt.shape[1]
        let axes = c.axesDim.count
        guard imgIds.shape == [l, axes] else { throw fail("imgIds has shape \(imgIds.shape); expected [\(l), \(axes)]") }
        guard txtIds.shape == [lt, axes] else { throw fail("txtIds has shape \(txtIds.shape); expected [\(lt), \(axes)]") }
        guard y.shape == [b, c.pooledDim] else { throw fail("y has shape \(y.shape); expected [\(b), \(c.pooledDim)]") }
        guard timesteps.shape == [b] else { throw fail("timesteps has shape \(timesteps.shape); expected [\(b)]") }
        if c.guidanceEmbed {
            guard let guidance else {
                throw TensorError.invalidArgument("FluxTransformer: this model embeds guidance (FLUX.1-dev); pass guidance [\(b)]")
            }
            guard guidance.shape == [b] else { throw fail("guidance has shape \(guidance.shape); expected [\(b)]") }
        }
        for (t, role) in [(img, "img"), (txt, "txt"), (y, "y"), (timesteps, "timesteps"), (imgIds, "imgIds"),
                          (txtIds, "txtIds")] + (guidance.map { [($0, "guidance")] } ?? []) where !t.dtype.isFloatingPoint {
            throw TensorError.dtypeMismatch(op: "FluxTransformer", detail: "\(role) is \(t.dtype); expected a float dtype")
        }
    }
}
