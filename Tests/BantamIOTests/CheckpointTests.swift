import BantamCore
import BantamCPU
import BantamIO
import Testing

/// Sharded checkpoints (index.json) and model folders, valid and broken.
@Suite struct CheckpointTests {
    static func tensor(_ values: [Float], _ shape: Shape, _ dtype: DType = .f32) throws -> Tensor {
        try Tensor(values, shape: shape, dtype: dtype, on: CPUBackend.shared)
    }

    /// Writes `shards` (file name → tensor names) into `folder` plus an index mapping each name to its file
    /// (or to `mapOverride`), returning the index path.
    @discardableResult
    static func writeSharded(in folder: String, shards: [(String, [String])], extraMap: String = "",
                             skip: Set<String> = [], name: String = "diffusion_pytorch_model.safetensors.index.json") throws -> String {
        var map: [String] = []
        for (file, names) in shards {
            try SafetensorsWriter.write(to: folder + "/" + file,
                                        tensors: try names.enumerated().map { ($1, try tensor([Float($0), 1], [2])) },
                                        metadata: ["shard": file])
            for n in names where !skip.contains(n) { map.append("\"\(n)\": \"\(file)\"") }
        }
        let index = folder + "/" + name
        let entries = (map + (extraMap.isEmpty ? [] : [extraMap])).joined(separator: ",\n    ")
        writeBytes(Array("{\n  \"metadata\": {\"total_size\": 123},\n  \"weight_map\": {\n    \(entries)\n  }\n}\n".utf8), to: index)
        return index
    }

    @Test func diffusersFolderScan() throws {
        let dir = TempDir("model")
        defer { dir.remove() }
        writeBytes(Array("{\"_class_name\": \"FluxPipeline\"}".utf8), to: dir.file("model_index.json"))
        writeBytes(Array("{}".utf8), to: dir.makeFolder("scheduler") + "/scheduler_config.json")
        let transformer = dir.makeFolder("transformer")
        try Self.writeSharded(in: transformer, shards: [
            ("diffusion_pytorch_model-00001-of-00002.safetensors", ["blocks.0.attn.weight", "blocks.0.mlp.weight"]),
            ("diffusion_pytorch_model-00002-of-00002.safetensors", ["blocks.1.attn.weight", "proj_out.weight"]),
        ])
        try SafetensorsWriter.write(to: dir.makeFolder("vae") + "/diffusion_pytorch_model.safetensors",
                                    tensors: [("decoder.conv_in.weight", try Self.tensor([1, 2, 3, 4], [1, 1, 2, 2], .bf16)),
                                              ("encoder.conv_in.bias", try Self.tensor([5], [1]))])
        try SafetensorsWriter.write(to: dir.makeFolder("text_encoder") + "/model.safetensors",
                                    tensors: [("text_model.embeddings.token_embedding.weight", try Self.tensor([1, 2, 3, 4, 5, 6], [3, 2], .f16))],
                                    metadata: ["format": "pt"])
        dir.makeFolder(".cache")

        let components = try CheckpointDirectory.scan(dir.path)
        #expect(components.map(\.component) == ["text_encoder", "transformer", "vae"])
        let transformerCheckpoint = components[1].checkpoint
        #expect(transformerCheckpoint.files.count == 2)
        #expect(transformerCheckpoint.indexPath == transformer + "/diffusion_pytorch_model.safetensors.index.json")
        #expect(transformerCheckpoint.tensorNames == ["blocks.0.attn.weight", "blocks.0.mlp.weight", "blocks.1.attn.weight", "proj_out.weight"])
        #expect(transformerCheckpoint.metadata == ["shard": "diffusion_pytorch_model-00001-of-00002.safetensors"], "the first shard's value wins")
        #expect(transformerCheckpoint.totalBytes == 4 * 8)
        #expect(try transformerCheckpoint.tensor("proj_out.weight", on: CPUBackend.shared).floats() == [1, 1])
        #expect(transformerCheckpoint.file(containing: "blocks.1.attn.weight")?.path.hasSuffix("00002-of-00002.safetensors") == true)
        #expect(transformerCheckpoint.info("nope") == nil)
        let missing = expectCheckpointError { _ = try transformerCheckpoint.tensor("nope", on: CPUBackend.shared) }
        #expect(missing?.tensor == "nope")

        let vae = components[2].checkpoint
        #expect(vae.indexPath == nil)
        #expect(vae.tensorNames == ["decoder.conv_in.weight", "encoder.conv_in.bias"])
        #expect(try vae.tensor("decoder.conv_in.weight", on: CPUBackend.shared).shape == [1, 1, 2, 2])
        #expect(components[0].checkpoint.metadata == ["format": "pt"])
        #expect(components[0].checkpoint.info("text_model.embeddings.token_embedding.weight")?.dtype == .F16)

        // A file given directly is one component named after it.
        let single = try CheckpointDirectory.scan(dir.path + "/vae/diffusion_pytorch_model.safetensors")
        #expect(single.map(\.component) == ["diffusion_pytorch_model"])
        // A folder holding a file itself is the component ".", listed first.
        try SafetensorsWriter.write(to: dir.file("flux1-dev.safetensors"), tensors: [("x", try Self.tensor([1], [1]))])
        #expect(try CheckpointDirectory.scan(dir.path).map(\.component) == [".", "text_encoder", "transformer", "vae"])
    }

    @Test func emptyAndAmbiguousFolders() throws {
        let dir = TempDir("ambiguous")
        defer { dir.remove() }
        let empty = try #require(expectCheckpointError { _ = try CheckpointDirectory.scan(dir.path) })
        #expect(empty.description == "\(dir.path): holds no .safetensors files, neither directly nor in its subfolders")
        let noFile = try #require(expectCheckpointError { _ = try Checkpoint(path: dir.path) })
        #expect(noFile.reason.contains("holds no .safetensors file"))
        for name in ["a.safetensors", "b.safetensors"] {
            try SafetensorsWriter.write(to: dir.file(name), tensors: [("x", try Self.tensor([1], [1]))])
        }
        let several = try #require(expectCheckpointError { _ = try Checkpoint(path: dir.path) })
        #expect(several.reason.contains("several .safetensors files and no index (a.safetensors, b.safetensors)"))
        #expect(try Checkpoint(path: dir.file("a.safetensors")).tensorNames == ["x"])
    }

    /// Broken sharded sets: each names the index or shard file and the tensor concerned.
    @Test func brokenShardedCheckpoints() throws {
        let dir = TempDir("broken")
        defer { dir.remove() }
        let shards = [("s1.safetensors", ["a", "b"]), ("s2.safetensors", ["c"])]
        func check(_ label: String, file: String, tensor: String?, reason: String,
                   setup: (String) throws -> Void) throws {
            let folder = dir.makeFolder(label)
            try setup(folder)
            let error = try #require(expectCheckpointError(Comment(rawValue: label)) { _ = try Checkpoint(path: folder) })
            let expectedFile = file.isEmpty ? folder : folder + "/" + file
            #expect(error.file == expectedFile, "\(label): \(error)")
            #expect(error.tensor == tensor, "\(label): \(error)")
            #expect(error.reason.contains(reason), "\(label): \(error)")
            #expect(error.description.hasPrefix(expectedFile + ": " + (tensor.map { "tensor '\($0)': " } ?? "")))
        }
        let index = "diffusion_pytorch_model.safetensors.index.json"
        try check("missing-shard", file: index, tensor: "d", reason: "names shard 's3.safetensors', which does not exist") {
            try Self.writeSharded(in: $0, shards: shards, extraMap: "\"d\": \"s3.safetensors\"")
        }
        try check("absent-from-shard", file: "s2.safetensors", tensor: "ghost", reason: "is listed in \(index) for this shard, but the shard does not hold it") {
            try Self.writeSharded(in: $0, shards: shards, extraMap: "\"ghost\": \"s2.safetensors\"")
        }
        try check("dotdot", file: index, tensor: "d", reason: "shard path \"../outside.safetensors\" contains '..'") {
            try Self.writeSharded(in: $0, shards: shards, extraMap: "\"d\": \"../outside.safetensors\"")
        }
        try check("dotdot-inner", file: index, tensor: "d", reason: "contains '..'") {
            try Self.writeSharded(in: $0, shards: shards, extraMap: "\"d\": \"sub/../../x.safetensors\"")
        }
        try check("absolute", file: index, tensor: "d", reason: "shard path \"/etc/passwd\" is absolute") {
            try Self.writeSharded(in: $0, shards: shards, extraMap: "\"d\": \"/etc/passwd\"")
        }
        try check("same-tensor-in-two-shards", file: "s2.safetensors", tensor: "a", reason: "is also in shard 's1.safetensors'; a tensor may be in one shard only") {
            try Self.writeSharded(in: $0, shards: [("s1.safetensors", ["a", "b"]), ("s2.safetensors", ["a", "c"])])
            // The map names "a" once, in s1; s2 holds a second copy.
            writeBytes(Array("{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s1.safetensors\", \"c\": \"s2.safetensors\"}}".utf8),
                       to: $0 + "/" + index)
        }
        try check("missing-from-map", file: "s1.safetensors", tensor: "b", reason: "is in this shard but missing from the weight_map") {
            try Self.writeSharded(in: $0, shards: shards, skip: ["b"])
        }
        try check("duplicate-in-map", file: index, tensor: "a", reason: "appears twice in weight_map") {
            try Self.writeSharded(in: $0, shards: shards, extraMap: "\"a\": \"s2.safetensors\"")
        }
        try check("map-not-object", file: index, tensor: nil, reason: "\"weight_map\" is an array") {
            writeBytes(Array("{\"weight_map\": [\"s1.safetensors\"]}".utf8), to: $0 + "/" + index)
        }
        try check("no-map", file: index, tensor: nil, reason: "has no \"weight_map\"") {
            writeBytes(Array("{\"metadata\": {}}".utf8), to: $0 + "/" + index)
        }
        try check("invalid-json", file: index, tensor: nil, reason: "not valid JSON") {
            writeBytes(Array("{\"weight_map\": {\"a\": \"s1.safetensors\",}}".utf8), to: $0 + "/" + index)
        }
        try check("shard-not-string", file: index, tensor: "a", reason: "its weight_map entry is 3") {
            writeBytes(Array("{\"weight_map\": {\"a\": 3}}".utf8), to: $0 + "/" + index)
        }
        try check("malformed-shard", file: "s1.safetensors", tensor: nil, reason: "runs past the end") {
            try Self.writeSharded(in: $0, shards: shards)
            writeBytes(Array(readBytes($0 + "/s1.safetensors").prefix(12)), to: $0 + "/s1.safetensors")
        }
        try check("two-indexes", file: "", tensor: nil, reason: "holds several sharded indexes") {
            try Self.writeSharded(in: $0, shards: shards)
            try Self.writeSharded(in: $0, shards: shards, name: "other.safetensors.index.json")
        }
    }
}
