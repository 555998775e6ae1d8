import BantamJSON
import BantamTestSupport

/// The exact tensor names and shapes the reference libraries give published models, one "name d0,d1,..."
/// line per tensor, from Tests/Fixtures/library-keysets/ (written by scripts/goldens/detection_keysets.py
/// with torch 2.13.0, diffusers 0.42.1, transformers 5.23.0; comment lines start with '#').
enum LibraryKeySets {
    static func load(_ name: String) -> String {
        let path = Fixtures.path("library-keysets/\(name).txt")
        guard let text = try? SmallFile.text(at: path) else { fatalError("missing fixture \(path)") }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }

    /// FLUX.1-dev transformer (diffusers FluxTransformer2DModel, published config): 1160 tensors.
    static var fluxDevDiffusers: String { load("fluxDevDiffusers") }
    /// FLUX.1 autoencoder (diffusers AutoencoderKL, FLUX config).
    static var fluxAutoencoderDiffusers: String { load("fluxAutoencoderDiffusers") }
    /// T5-XXL v1.1 encoder (transformers T5EncoderModel).
    static var t5xxlEncoder: String { load("t5xxlEncoder") }
    /// CLIP-L text tower (transformers CLIPTextModel).
    static var clipLText: String { load("clipLText") }
    /// OpenCLIP bigG text tower (transformers CLIPTextModelWithProjection).
    static var clipGText: String { load("clipGText") }
    /// SD3.5 Large transformer (diffusers SD3Transformer2DModel).
    static var sd35LargeDiffusers: String { load("sd35LargeDiffusers") }
    /// SD3.5 Medium transformer.
    static var sd35MediumDiffusers: String { load("sd35MediumDiffusers") }
    /// SD3 Medium transformer.
    static var sd3MediumDiffusers: String { load("sd3MediumDiffusers") }
    /// Qwen-Image transformer (3 of 60 blocks).
    static var qwenImageDiffusers: String { load("qwenImageDiffusers") }
}
