import BantamCore
import BantamCPU
import BantamIO
import BantamNN
import BantamQuant
import BantamTestSupport
import Testing

/// Damaged or unsupported quantized files: each problem is a one-line `QuantizationError` (or a strict
/// loader's report) that names the tensor and says what to do; nothing crashes.
@Suite("Damaged quantized files")
struct DamagedFileTests {
    let cpu = QuantFixtures.cpu

    /// Rewrites `name` with the changes, then loads `weight` as a Linear weight; returns the error.
    func loadError(_ name: String, weight: String, drop: Set<String> = [], replace: [String: Tensor] = [:],
                   metadata: [String: String]? = nil) throws -> QuantizationError {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("damaged.safetensors")
        try rewrite(name, to: path, drop: drop, replace: replace, metadata: metadata)
        let source = try QuantizedTensorSource(try Checkpoint(path: path), host: cpu)
        let error = try #require(throws: QuantizationError.self) { _ = try source.linearWeight(weight, on: cpu) }
        #expect(!error.description.contains("\n"))
        #expect(error.description.hasPrefix(String(weight.dropLast(".weight".count))), "\(error)")
        return error
    }

    @Test("NF4 without absmax, quant_map or quant_state")
    func missingNF4Parts() throws {
        var e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.0.weight", drop: ["layers.0.weight.absmax"])
        #expect(e.kind == .missingKey && e.detail.contains("layers.0.weight.absmax"))
        e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.1.weight", drop: ["layers.1.weight.quant_map"])
        #expect(e.kind == .missingKey && e.detail.contains("quant_map"))
        e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.1.weight", drop: ["layers.1.weight.quant_state.bitsandbytes__nf4"])
        #expect(e.kind == .missingKey && e.detail.contains("quant_state"))
        e = try loadError("bnb_nf4_v1.safetensors", weight: "layers.2.weight", drop: ["layers.2.weight.nested_absmax"])
        #expect(e.kind == .missingKey && e.detail.contains("nested_absmax"))
    }

    @Test("NF4 with wrong sizes: absmax count, packed bytes, quant_map length, nested absmax count")
    func wrongNF4Sizes() throws {
        var e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.0.weight",
                              replace: ["layers.0.weight.absmax": try Tensor.zeros([59], on: cpu)])
        #expect(e.kind == .badTensor && e.detail.contains("60"))
        e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.0.weight",
                          replace: ["layers.0.weight": try Tensor(ints: [Int](repeating: 0, count: 1919), shape: [1919, 1], dtype: .u8, on: cpu)])
        #expect(e.kind == .badTensor && e.detail.contains("1920"))
        e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.1.weight",
                          replace: ["layers.1.weight.quant_map": try Tensor.zeros([15], on: cpu)])
        #expect(e.kind == .badTensor && e.detail.contains("16"))
        e = try loadError("bnb_nf4_v1.safetensors", weight: "layers.2.weight",
                          replace: ["layers.2.weight.nested_absmax": try Tensor.zeros([1], on: cpu)])
        #expect(e.kind == .badTensor)
    }

    @Test("NF4 with a malformed or unsupported quant_state")
    func badQuantState() throws {
        var e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.0.weight",
                              replace: ["layers.0.weight.quant_state.bitsandbytes__nf4": try textTensor("{\"quant_type\": \"nf4\", ")])
        #expect(e.kind == .badMetadata)
        e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.0.weight",
                          replace: ["layers.0.weight.quant_state.bitsandbytes__nf4": try textTensor("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"int8\", \"shape\": [96, 40]}")])
        #expect(e.kind == .badMetadata && e.detail.contains("int8"))
        e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.0.weight",
                          replace: ["layers.0.weight.quant_state.bitsandbytes__nf4": try textTensor("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", \"shape\": [96, 41]}")])
        #expect(e.kind == .badTensor)   // 96·41 codes do not fit 1920 bytes
        // bitsandbytes FP4: named, refused.
        let file = try QuantFixtures.file("bnb_nf4_v2.safetensors")
        let state = try file.tensor("layers.0.weight.quant_state.bitsandbytes__nf4", on: cpu)
        e = try loadError("bnb_nf4_v2.safetensors", weight: "layers.0.weight", drop: ["layers.0.weight.quant_state.bitsandbytes__nf4"],
                          replace: ["layers.0.weight.quant_state.bitsandbytes__fp4": state])
        #expect(e.kind == .unsupportedFormat && e.detail.contains("FP4"))
    }

    @Test("comfy_quant: missing weight_scale, an unsupported format; scaled fp8 with a mis-shaped scale")
    func badFP8() throws {
        var e = try loadError("comfy_quant.safetensors", weight: "layers.0.weight", drop: ["layers.0.weight_scale"])
        #expect(e.kind == .missingKey && e.detail.contains("weight_scale"))
        e = try loadError("comfy_quant.safetensors", weight: "layers.0.weight",
                          replace: ["layers.0.comfy_quant": try textTensor("{\"format\": \"nvfp4\"}")])
        #expect(e.kind == .unsupportedFormat && e.detail.contains("nvfp4"))
        e = try loadError("comfy_fp8_scaled.safetensors", weight: "layers.0.weight",
                          replace: ["layers.0.scale_weight": try Tensor.zeros([3], on: cpu)])
        #expect(e.kind == .badTensor && e.detail.contains("scalar"))
        e = try loadError("comfy_fp8_scaled.safetensors", weight: "layers.0.weight",
                          replace: ["layers.0.scale_input": try Tensor([-1], shape: [], on: cpu)])
        #expect(e.kind == .badTensor && e.detail.contains("input scale"))
    }

    @Test("a strict loader reports orphaned quantization tensors and unreadable _quantization_metadata")
    func strictLoaderReports() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // absmax of a weight that is not there: left listed, so `finish()` names it as unexpected.
        let orphan = folder.file("orphan.safetensors")
        try rewrite("bnb_nf4_v2.safetensors", to: orphan, replace: ["ghost.weight.absmax": try Tensor.zeros([4], on: cpu)])
        let loader = WeightLoader(source: try Checkpoint(path: orphan), layout: IdentityLayout(name: "bnb"), backend: cpu)
        for (name, o, i) in [("layers.0", 96, 40), ("layers.1", 64, 64), ("layers.2", 80, 256), ("layers.3", 33, 18)] {
            _ = try Linear(loader.root.child(name), in: i, out: o)
        }
        let error = try #require(throws: WeightMapError.self) { try loader.finish() }
        #expect(error.problems.map(\.name) == ["ghost.weight.absmax"] && error.problems.first?.kind == .unexpected)

        let badMeta = folder.file("meta.safetensors")
        try rewrite("comfy_quant_metadata.safetensors", to: badMeta, metadata: ["_quantization_metadata": "{\"layers\": 3"])
        #expect(throws: QuantizationError.self) { _ = try QuantizedTensorSource(try Checkpoint(path: badMeta), host: cpu) }
        let loader2 = WeightLoader(source: try Checkpoint(path: badMeta), layout: IdentityLayout(name: "cq"), backend: cpu)
        _ = try? Linear(loader2.root.child("layers.0"), in: 32, out: 48, bias: false)
        let error2 = try #require(throws: WeightMapError.self) { try loader2.finish() }
        #expect(error2.description.contains("__metadata__") && !error2.description.contains("\n"))
    }
}
