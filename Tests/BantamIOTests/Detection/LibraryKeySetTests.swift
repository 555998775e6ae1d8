import Testing
import BantamIO
import BantamTestSupport

/// Detection on the exact names and shapes the reference libraries give the published models
/// (LibraryKeySets.swift, written by scripts/goldens/detection_keysets.py), and the hand-written key sets
/// checked against them.
@Suite("Model detection on library key sets (diffusers 0.42.1, transformers 5.23.0)")
struct LibraryKeySetTests {
    /// Parses "name d0,d1,..." lines into key entries of `dtype`.
    static func keys(_ text: String, dtype: String = "BF16") -> [KeyEntry] {
        text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            let shape = parts.count > 1 ? parts[1].split(separator: ",").map { Int($0)! } : []
            return (String(parts[0]), dtype, shape)
        }
    }

    static func names(_ keys: [KeyEntry]) -> [String: [Int]] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0.shape) })
    }

    @Test("FLUX.1-dev and -schnell (diffusers): family, layout and sizes")
    func flux() throws {
        let dev = Self.keys(LibraryKeySets.fluxDevDiffusers)
        #expect(dev.count == 1160)
        let kind = detect(dev)
        #expect(kind.summary == "FLUX.1-dev transformer, diffusers layout")
        let d = try #require(kind.primary).dimensions
        #expect(d.hiddenSize == 3072 && d.depth == 19 && d.singleBlocks == 38 && d.heads == 24 && d.headDim == 128)
        #expect(d.mlpHidden == 12288 && d.inFeatures == 64 && d.contextDim == 4096)
        let schnell = dev.filter { !$0.name.hasPrefix("time_text_embed.guidance_embedder.") }
        #expect(schnell.count == 1156)
        #expect(detect(schnell).summary == "FLUX.1-schnell transformer, diffusers layout")
    }

    @Test("the hand-written FLUX diffusers mapping (formats.md §2.3) gives exactly the library's names and shapes")
    func fluxMappingMatchesLibrary() {
        let mapped = SyntheticKeySets.fluxDiffusers(fromBFL: SyntheticKeySets.fluxBFL())
        #expect(Self.names(mapped) == Self.names(Self.keys(LibraryKeySets.fluxDevDiffusers)))
    }

    @Test("FLUX.1 VAE (diffusers AutoencoderKL) and the hand-written AE key sets")
    func autoencoder() {
        let library = Self.keys(LibraryKeySets.fluxAutoencoderDiffusers, dtype: "F32")
        #expect(detect(library).summary == "FLUX.1 autoencoder, diffusers layout")
        #expect(detect(library).primary?.dimensions.latentChannels == 16)
        let mapped = SyntheticKeySets.autoencoderDiffusers(fromBFL: SyntheticKeySets.autoencoderBFL())
        #expect(Self.names(mapped) == Self.names(library))
    }

    @Test("T5-XXL v1.1, CLIP-L, OpenCLIP bigG (transformers)")
    func textEncoders() throws {
        let t5 = Self.keys(LibraryKeySets.t5xxlEncoder)
        #expect(detect(t5).summary == "T5-XXL v1.1 encoder, Hugging Face layout")
        // The library's state_dict also lists the tied copy encoder.embed_tokens.weight (formats.md §3.4).
        var expectedT5 = Self.names(t5)
        expectedT5["encoder.embed_tokens.weight"] = nil
        #expect(Self.names(SyntheticKeySets.t5Encoder()) == expectedT5)

        // transformers 5 names CLIPTextModel's tensors without the "text_model." stem that older files have.
        let clipL = Self.keys(LibraryKeySets.clipLText, dtype: "F16")
        #expect(detect(clipL).summary == "CLIP-L text encoder, Hugging Face layout")
        #expect(detect(clipL).primary?.dimensions.depth == 12)
        #expect(Self.names(SyntheticKeySets.prefixed(clipL, "text_model.")) == Self.names(SyntheticKeySets.clipText()))

        let clipG = Self.keys(LibraryKeySets.clipGText, dtype: "F16")
        #expect(detect(clipG).summary == "OpenCLIP bigG text encoder, Hugging Face layout")
        let d = try #require(detect(clipG).primary).dimensions
        #expect(d.hiddenSize == 1280 && d.depth == 32 && d.mlpHidden == 5120)
    }

    @Test("SD3.5 Large, SD3.5 Medium, SD3 Medium (diffusers)")
    func sd3() throws {
        let large = detect(Self.keys(LibraryKeySets.sd35LargeDiffusers, dtype: "F16"))
        #expect(large.summary == "SD3.5 Large transformer, diffusers layout")
        let d = try #require(large.primary).dimensions
        #expect(d.hiddenSize == 2432 && d.depth == 38 && d.heads == 38 && d.headDim == 64 && d.contextDim == 4096)
        #expect(detect(Self.keys(LibraryKeySets.sd35MediumDiffusers)).summary == "SD3.5 Medium transformer, diffusers layout")
        #expect(detect(Self.keys(LibraryKeySets.sd3MediumDiffusers)).summary == "SD3 Medium transformer, diffusers layout")
    }

    @Test("Qwen-Image (diffusers)")
    func qwenImage() throws {
        let kind = detect(Self.keys(LibraryKeySets.qwenImageDiffusers))
        #expect(kind.summary == "Qwen-Image transformer, diffusers layout")
        let d = try #require(kind.primary).dimensions
        #expect(d.hiddenSize == 3072 && d.depth == 3 && d.heads == 24 && d.contextDim == 3584 && d.inFeatures == 64)
    }

    @Test("the hand-written Qwen-Image key set matches the library's names and shapes")
    func qwenMatchesLibrary() {
        #expect(Self.names(SyntheticKeySets.qwenImage(depth: 3)) == Self.names(Self.keys(LibraryKeySets.qwenImageDiffusers)))
    }
}
