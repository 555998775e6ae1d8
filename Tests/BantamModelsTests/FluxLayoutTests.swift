import BantamCore
import BantamCPU
import BantamIO
import BantamModels
import BantamNN
import BantamTestSupport
import Foundation
import Testing

/// Strict loading of damaged tiny checkpoints and config inference on the tiny fixture's layouts.
@Suite("FLUX transformer layouts")
struct FluxLayoutTests {
    /// All tensors of `source`, in memory, to be damaged.
    static func copy(_ source: any TensorSource) throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for key in source.keys { tensors[key] = try source.load(key, on: FluxTiny.cpu) }
        return tensors
    }

    static func loadError(_ tensors: [String: Tensor], layout: FluxLayout,
                          config: FluxTransformerConfig) throws -> WeightMapError {
        let source = InMemoryTensorSource(tensors, description: "damaged")
        let loader = WeightLoader(source: source, layout: layout.weightLayout, backend: FluxTiny.cpu)
        _ = try FluxTransformer(config: config, loader: loader)
        return try #require(throws: WeightMapError.self) { try loader.finish() }
    }

    @Test("diffusers: a removed qkv part, a mis-shaped tensor and an extra key are each reported by name")
    func damagedDiffusers() throws {
        let intact = try FluxTiny.diffusers()
        let config = try FluxTransformerConfig.infer(from: intact, layout: .diffusers)
        var tensors = try Self.copy(intact)
        tensors["transformer_blocks.1.attn.to_k.weight"] = nil                     // part of img_attn.qkv
        tensors["single_transformer_blocks.0.proj_out.weight"] = try Tensor.zeros([32, 161], on: FluxTiny.cpu)   // [32, 160]
        tensors["transformer_blocks.0.attn.to_q.lora_A.weight"] = try Tensor.zeros([4, 32], on: FluxTiny.cpu)
        let error = try Self.loadError(tensors, layout: .diffusers, config: config)
        print(error)
        #expect(error.problems.count == 3)
        let missing = try #require(error.problems.first { $0.kind == .missing })
        #expect(missing.name == "double_blocks.1.img_attn.qkv.weight")
        #expect(missing.detail.contains("transformer_blocks.1.attn.to_k.weight"))
        let misshaped = try #require(error.problems.first { $0.kind == .misshaped })
        #expect(misshaped.name == "single_transformer_blocks.0.proj_out.weight")
        #expect(misshaped.detail.contains("[32, 161]") && misshaped.detail.contains("[32, 160]"))
        let unexpected = try #require(error.problems.first { $0.kind == .unexpected })
        #expect(unexpected.name == "transformer_blocks.0.attn.to_q.lora_A.weight")
        #expect(!error.description.contains("\n"))
    }

    @Test("diffusers: a qkv part of the wrong size is reported for the fused parameter")
    func misshapedPart() throws {
        let intact = try FluxTiny.diffusers()
        let config = try FluxTransformerConfig.infer(from: intact, layout: .diffusers)
        var tensors = try Self.copy(intact)
        tensors["single_transformer_blocks.1.proj_mlp.bias"] = try Tensor.zeros([127], on: FluxTiny.cpu)   // [128]
        let error = try Self.loadError(tensors, layout: .diffusers, config: config)
        #expect(error.problems.map(\.kind) == [.misshaped])
        #expect(error.problems.first?.name == "single_blocks.1.linear1.bias")
    }

    @Test("BFL: removed, mis-shaped and extra tensors are each reported by name")
    func damagedBFL() throws {
        let intact = try FluxTiny.bflDev()
        let config = try FluxTransformerConfig.infer(from: intact, layout: .bfl, axesDim: FluxTiny.axes)
        var tensors = try Self.copy(intact)
        tensors["double_blocks.0.txt_attn.norm.key_norm.scale"] = nil
        tensors["final_layer.adaLN_modulation.1.bias"] = try Tensor.zeros([63], on: FluxTiny.cpu)
        tensors["double_blocks.0.img_attn.extra"] = try Tensor.zeros([1], on: FluxTiny.cpu)
        let error = try Self.loadError(tensors, layout: .bfl, config: config)
        #expect(error.problems.count == 3)
        #expect(error.problems.contains { $0.kind == .missing && $0.name == "double_blocks.0.txt_attn.norm.key_norm.scale" })
        #expect(error.problems.contains { $0.kind == .misshaped && $0.name == "final_layer.adaLN_modulation.1.bias" })
        #expect(error.problems.contains { $0.kind == .unexpected && $0.name == "double_blocks.0.img_attn.extra" })
    }

    @Test("a missing block in the middle is reported as missing, not silently dropped")
    func missingBlock() throws {
        let intact = try FluxTiny.bflDev()
        var tensors = try Self.copy(intact)
        for key in tensors.keys where key.hasPrefix("double_blocks.0.") { tensors[key] = nil }
        let source = InMemoryTensorSource(tensors)
        // Block 1 is still there, so two double blocks are expected; block 0's 24 tensors are missing.
        let config = try FluxTransformerConfig.infer(from: source, layout: .bfl, axesDim: FluxTiny.axes)
        #expect(config.doubleBlocks == 2)
        let loader = WeightLoader(source: source, layout: FluxLayout.bfl.weightLayout, backend: FluxTiny.cpu)
        _ = try FluxTransformer(config: config, loader: loader)
        let error = try #require(throws: WeightMapError.self) { try loader.finish() }
        #expect(error.problems.count == 24 && error.problems.allSatisfy { $0.kind == .missing })
    }

    @Test("tiny configs: diffusers reads axes from config.json, BFL files need them given")
    func tinyInference() throws {
        let diffusers = try FluxTransformerConfig.infer(from: try FluxTiny.diffusers(), layout: .diffusers)
        let expected = FluxTransformerConfig(inChannels: 64, outChannels: 64, hidden: 32, heads: 2, headDim: 16,
                                             doubleBlocks: 2, singleBlocks: 2, contextDim: 32, pooledDim: 32,
                                             mlpHidden: 128, axesDim: [4, 6, 6], guidanceEmbed: true)
        #expect(diffusers == expected)
        let bfl = try FluxTransformerConfig.infer(from: try FluxTiny.bflDev(), layout: .bfl, axesDim: [4, 6, 6])
        #expect(bfl == expected)
        let comfy = PrefixedTensorSource(try FluxTiny.comfyAllInOne(), prefix: FluxLayout.comfyPrefix)
        #expect(try FluxTransformerConfig.infer(from: comfy, layout: .bfl, axesDim: [4, 6, 6]) == expected)
        var schnell = expected
        (schnell.doubleBlocks, schnell.singleBlocks, schnell.guidanceEmbed) = (1, 1, false)
        #expect(try FluxTransformerConfig.infer(from: try FluxTiny.bflSchnell(), layout: .bfl, axesDim: [4, 6, 6]) == schnell)

        // 16-wide heads: the axes cannot be guessed.
        let error = try #require(throws: FluxConfigError.self) {
            try FluxTransformerConfig.infer(from: try FluxTiny.bflDev(), layout: .bfl)
        }
        #expect(error.description.contains("axesDim"))
        // Axes that do not sum to the head size.
        #expect(throws: FluxConfigError.self) {
            try FluxTransformerConfig.infer(from: try FluxTiny.bflDev(), layout: .bfl, axesDim: [4, 6, 4])
        }
    }

    @Test("diffusers config.json next to a single-file transformer: read, absent, malformed")
    func configJSON() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bantam-flux-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let intact = try FluxTiny.diffusers()
        let file = folder.appendingPathComponent("diffusion_pytorch_model.safetensors").path
        try SafetensorsWriter.write(to: file, tensors: try intact.keys.map { ($0, try intact.tensor($0, on: FluxTiny.cpu)) })
        let config = folder.appendingPathComponent("config.json")
        func infer() throws -> FluxTransformerConfig {
            try FluxTransformerConfig.infer(from: try Checkpoint(path: file), layout: .diffusers)
        }

        try #"{"axes_dims_rope": [8, 4, 4]}"#.write(to: config, atomically: true, encoding: .utf8)
        #expect(try infer().axesDim == [8, 4, 4])
        // Given axes win over the file.
        #expect(try FluxTransformerConfig.infer(from: try Checkpoint(path: file), layout: .diffusers, axesDim: [4, 6, 6]).axesDim == [4, 6, 6])

        for (text, needle) in [(#"{"axes_dims_rope": [4, 6"#, "config.json"), (#"{"axes_dims_rope": "4,6,6"}"#, "axes_dims_rope"),
                               (#"{"axes_dims_rope": [4, 6, 7]}"#, "RoPE axes"), ("[]", "object")] {
            try text.write(to: config, atomically: true, encoding: .utf8)
            let error = try #require(throws: FluxConfigError.self) { try infer() }
            #expect(error.description.contains(needle) && !error.description.contains("\n"), "\(error)")
        }

        // No config.json and 16-wide heads: the axes must be given.
        try FileManager.default.removeItem(at: config)
        let error = try #require(throws: FluxConfigError.self) { try infer() }
        #expect(error.description.contains("axesDim"))
    }
}
