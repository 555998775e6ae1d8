import BantamCore
import BantamCPU
import BantamIO
import BantamNN
import BantamQuant
import BantamTestSupport
import Testing

/// The quantized files people download, as ComfyUI / bitsandbytes / Forge write them: each loads through
/// `QuantizedTensorSource` and a strict `WeightLoader`, and dequantizes bit for bit like the reference.
@Suite("Quantized file formats")
struct FormatLoadingTests {
    let cpu = QuantFixtures.cpu
    typealias Layer = (name: String, rows: Int, cols: Int, bias: Bool)

    /// Checks every listed layer: its storage kind, its exact f32 dequantization against expected.safetensors,
    /// and that a strict loader building Linear layers consumes every key of the file.
    func check(_ stem: String, layers: [Layer], others: [(String, Shape)] = [],
               storage: (LinearWeight) -> Bool) throws -> [String: LinearWeight] {
        let source = try QuantFixtures.source(stem + ".safetensors")
        var loaded: [String: LinearWeight] = [:]
        for l in layers {
            let w = try source.linearWeight(l.name + ".weight", on: cpu)
            #expect(storage(w), "\(stem) \(l.name): \(w.formatName)")
            #expect(w.shape == [l.rows, l.cols])
            #expect(try QuantFixtures.bits(w.dequantized(to: .f32)) == QuantFixtures.bits(QuantFixtures.expected(stem, l.name + ".weight")),
                    "\(stem) \(l.name)")
            // load() of a quantized weight is its exact dequantization too (plain FP8 stays FP8: a cast away).
            #expect(try QuantFixtures.bits(source.load(l.name + ".weight", on: cpu)) == QuantFixtures.bits(w.dequantized(to: .f32)))
            loaded[l.name] = w
        }
        let loader = WeightLoader(source: try QuantFixtures.file(stem + ".safetensors"), layout: IdentityLayout(name: stem), backend: cpu)
        for l in layers { _ = try Linear(loader.root.child(l.name), in: l.cols, out: l.rows, bias: l.bias) }
        for (name, shape) in others { _ = try loader.root.tensor(name, shape: shape) }
        try loader.finish()
        return loaded
    }

    @Test("plain fp8 (ComfyUI flux1-dev-fp8 style): e4m3fn and e5m2 weights are a cast, scale 1")
    func plainFP8() throws {
        let w = try check("comfy_fp8_plain", layers: [("layers.0", 96, 40, true), ("layers.1", 32, 18, false)],
                          others: [("norm.scale", [40])]) { if case .fp8 = $0 { return true } else { return false } }
        #expect(w["layers.1"]!.dtype == .f8e5m2)
        if case .fp8(let f)? = w["layers.0"] {
            #expect(try f.rowScales.floats().allSatisfy { $0 == 1 } && f.inputScale == nil)
        }
    }

    @Test("legacy scaled fp8: marker and scales consumed, per-tensor scale on every row, scale_input kept")
    func scaledFP8() throws {
        let source = try QuantFixtures.source("comfy_fp8_scaled.safetensors")
        #expect(!source.keys.contains("scaled_fp8") && !source.keys.contains { $0.hasSuffix(".scale_weight") || $0.hasSuffix(".scale_input") })
        let w = try check("comfy_fp8_scaled", layers: [("layers.0", 64, 48, true), ("layers.1", 40, 64, true)],
                          others: [("layers.2.weight", [16, 40])]) { if case .fp8 = $0 { return true } else { return false } }
        guard case .fp8(let l0)? = w["layers.0"], case .fp8(let l1)? = w["layers.1"] else { return }
        #expect(l0.inputScale == 0.8 && l1.inputScale == nil)
        let file = try QuantFixtures.file("comfy_fp8_scaled.safetensors")
        let s0 = try file.tensor("layers.0.scale_weight", on: cpu).floats()[0]
        #expect(try l0.rowScales.floats() == [Float](repeating: s0, count: 64))
        #expect(source.storageDescription(of: "layers.0.weight") == "fp8 (per-tensor scale)")
        #expect(source.storageDescription(of: "layers.2.weight") == nil)
    }

    @Test("comfy_quant layers (JSON tensors, or _quantization_metadata) with weight_scale and input_scale",
          arguments: ["comfy_quant", "comfy_quant_metadata"])
    func comfyQuant(_ stem: String) throws {
        let w = try check(stem, layers: [("layers.0", 48, 32, false), ("layers.1", 48, 32, false)]) {
            if case .fp8 = $0 { return true } else { return false }
        }
        for name in ["layers.0", "layers.1"] {
            if case .fp8(let f)? = w[name] { #expect(f.inputScale == 1.5) }
        }
    }

    @Test("bitsandbytes NF4 v2 (float32 absmax) and v1 (double-quantized absmax), as Forge saves them",
          arguments: ["bnb_nf4_v2", "bnb_nf4_v1"])
    func bitsAndBytesNF4(_ stem: String) throws {
        let layers: [Layer] = [("layers.0", 96, 40, true), ("layers.1", 64, 64, true), ("layers.2", 80, 256, true), ("layers.3", 33, 18, true)]
        let w = try check(stem, layers: layers) { if case .nf4 = $0 { return true } else { return false } }
        let dtypes: [DType] = [.bf16, .f16, .bf16, .f32]
        for (i, l) in layers.enumerated() {
            guard case .nf4(let q)? = w[l.name] else { continue }
            #expect(q.originalDType == dtypes[i] && q.blockSize == 64)
            // bitsandbytes' dequantize_4bit in the layer's own dtype: our f32 result, rounded once.
            let native = try QuantFixtures.expected(stem, l.name + ".weight.native")
            #expect(native.dtype == dtypes[i])
            #expect(try QuantFixtures.bytes(q.dequantized().cast(to: dtypes[i])) == QuantFixtures.bytes(native), "\(stem) \(l.name) native")
            if stem == "bnb_nf4_v1" {
                #expect(try QuantFixtures.bits(q.absmax) == QuantFixtures.bits(QuantFixtures.expected(stem, l.name + ".weight.absmax_f32")))
            }
        }
        let source = try QuantFixtures.source(stem + ".safetensors")
        #expect(source.keys.allSatisfy { !$0.contains(".weight.") })
        #expect(source.shape(of: "layers.2.weight") == [80, 256] && source.dtype(of: "layers.2.weight") == .u4)
        #expect(source.storageDescription(of: "layers.0.weight") == (stem == "bnb_nf4_v1" ? "nf4 v1" : "nf4 v2"))
    }

    @Test("a Linear over each stored format computes x·Wᵀ + b (and Linear.gelu its GELU) with the dequantized weight, exactly")
    func linearThroughEveryFormat() throws {
        var rng = TestRNG()
        for (stem, layer, k) in [("comfy_fp8_plain", "layers.0", 40), ("comfy_fp8_scaled", "layers.1", 64),
                                 ("comfy_quant", "layers.0", 32), ("bnb_nf4_v1", "layers.2", 256), ("bnb_nf4_v2", "layers.3", 18)] {
            let source = try QuantFixtures.source(stem + ".safetensors")
            let weight = try source.linearWeight(layer + ".weight", on: cpu)
            let bias = source.shape(of: layer + ".bias") != nil ? try source.load(layer + ".bias", on: cpu).cast(to: .f32) : nil
            let x = try rng.tensor([3, k], scale: 1, on: cpu).tensor
            let quantized = try Linear(weight: weight, bias: bias)(x)
            let dense = try Linear(weight: try weight.dequantized(to: .f32), bias: bias)(x)
            #expect(try quantized.floats() == dense.floats(), "\(stem) \(layer), seed \(rng.seed)")
            // Linear.gelu: the quantized linear, then GELU; the dense weight takes the fused linearGELU op
            // (on the CPU: linear, then GELU), so the two agree bit for bit.
            let quantizedGELU = try Linear(weight: weight, bias: bias).gelu(x)
            let denseGELU = try Linear(weight: try weight.dequantized(to: .f32), bias: bias).gelu(x)
            #expect(try quantizedGELU.floats() == denseGELU.floats(), "gelu \(stem) \(layer), seed \(rng.seed)")
        }
    }
}
