import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Testing

/// Shared pieces of the FLUX transformer tests: the tiny fixture's sources and reference tensors.
enum FluxTiny {
    static let cpu = CPUBackend.shared

    static func reference() throws -> Checkpoint { try Checkpoint(path: Fixtures.fluxTiny("reference.safetensors")) }
    static func diffusers() throws -> Checkpoint { try Checkpoint(path: Fixtures.fluxTiny("diffusers/transformer")) }
    static func bflDev() throws -> Checkpoint { try Checkpoint(path: Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors")) }
    static func bflSchnell() throws -> Checkpoint { try Checkpoint(path: Fixtures.fluxTiny("bfl/flux1-tiny-schnell.safetensors")) }
    static func comfyAllInOne() throws -> Checkpoint { try Checkpoint(path: Fixtures.fluxTiny("comfy/flux1-tiny-dev-aio.safetensors")) }

    /// The tiny model's RoPE axes (scripts/goldens/flux_tiny_goldens.py AXES); BFL files cannot tell them.
    static let axes = [4, 6, 6]

    /// Builds the model strictly: config inferred from `source`, every tensor used, `finish()` called.
    static func load(_ source: any TensorSource, layout: FluxLayout, precision: LoadPrecision = .asStored,
                     axesDim: [Int]? = axes) throws -> FluxTransformer {
        let config = try FluxTransformerConfig.infer(from: source, layout: layout, axesDim: axesDim)
        let loader = WeightLoader(source: source, layout: layout.weightLayout, backend: cpu, precision: precision)
        let model = try FluxTransformer(config: config, loader: loader)
        try loader.finish()
        return model
    }

    /// One forward on the fixture's inputs (timestep 0.7, guidance 3.5 for dev), inputs cast to `dtype`.
    /// Returns the output as f32 and the reference `transformer.<variant>.output`.
    static func forward(_ model: FluxTransformer, variant: String, dtype: DType = .f32) throws -> (actual: [Float], expected: [Float]) {
        let ref = try reference()
        func input(_ name: String) throws -> Tensor { try ref.tensor("transformer." + name, on: cpu) }
        let img = try input("img").cast(to: dtype)
        let out = try model(img: img, imgIds: try input("img_ids"), txt: try input("txt").cast(to: dtype),
                            txtIds: try input("txt_ids"), timesteps: try Tensor([0.7], shape: [1], on: cpu),
                            y: try input("pooled").cast(to: dtype),
                            guidance: variant == "dev" ? try Tensor([3.5], shape: [1], on: cpu) : nil)
        let expected = try input("\(variant).output")
        #expect(out.shape == expected.shape && out.dtype == dtype)
        return (try out.floats(), try expected.floats())
    }

    /// Max abs error, and that error relative to the output scale (max |expected|).
    static func error(_ actual: [Float], _ expected: [Float]) -> (maxAbs: Double, relativeToScale: Double, report: ErrorReport) {
        let scale = expected.map { Double($0.magnitude) }.max() ?? 1
        let report = compare(actual, expected.map(Double.init), atol: 0, rtol: 0)
        return (report.maxAbs, report.maxAbs / scale, report)
    }
}
