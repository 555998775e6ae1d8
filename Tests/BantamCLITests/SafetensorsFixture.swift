import Foundation

/// Hand-written .safetensors files for the CLI tests (independent of BantamIO's writer, so a writer bug
/// cannot hide a reader bug): 8-byte little-endian header length, JSON header padded with spaces to a
/// multiple of 8, then the tensors' bytes back to back.
struct SafetensorsFixture {
    struct Entry {
        let name: String
        let dtype: String
        let shape: [Int]
        var byteCount: Int {
            let bits = ["F64": 64, "I64": 64, "F32": 32, "I32": 32, "F16": 16, "BF16": 16, "I16": 16,
                        "F8_E4M3": 8, "F8_E5M2": 8, "U8": 8, "I8": 8, "BOOL": 8][dtype]!
            return shape.reduce(1, *) * bits / 8
        }
    }

    var entries: [Entry] = []
    var metadata: [String: String] = [:]

    mutating func add(_ name: String, _ dtype: String, _ shape: [Int]) {
        entries.append(Entry(name: name, dtype: dtype, shape: shape))
    }

    /// The file's bytes; tensor data is a running byte counter (any bytes are valid data).
    func bytes() -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(quote($0)):\(quote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for e in entries {
            let shape = e.shape.map(String.init).joined(separator: ",")
            parts.append("\(quote(e.name)):{\"dtype\":\"\(e.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + e.byteCount)]}")
            offset += e.byteCount
        }
        var headerBytes = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        var n = UInt64(headerBytes.count)
        for _ in 0..<8 { out.append(UInt8(n & 0xFF)); n >>= 8 }
        out += headerBytes
        out += (0..<offset).map { UInt8(truncatingIfNeeded: $0) }
        return out
    }

    func write(to path: String) throws {
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
    }

    private func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A tiny FLUX.1-dev transformer in BFL names (formats.md §2.2): hidden 8, 1 double + 1 single block.
    static func tinyFlux(dtype: String = "BF16") -> SafetensorsFixture {
        var f = SafetensorsFixture()
        let h = 8, head = 4, mlp = 32
        func linear(_ name: String, _ out: Int, _ inp: Int) {
            f.add(name + ".weight", dtype, [out, inp]); f.add(name + ".bias", dtype, [out])
        }
        linear("img_in", h, 64)
        linear("time_in.in_layer", h, 256); linear("time_in.out_layer", h, h)
        linear("vector_in.in_layer", h, 16); linear("vector_in.out_layer", h, h)
        linear("guidance_in.in_layer", h, 256); linear("guidance_in.out_layer", h, h)
        linear("txt_in", h, 24)
        for s in ["img", "txt"] {
            let p = "double_blocks.0.\(s)"
            linear(p + "_mod.lin", 6 * h, h); linear(p + "_attn.qkv", 3 * h, h)
            f.add(p + "_attn.norm.query_norm.scale", dtype, [head]); f.add(p + "_attn.norm.key_norm.scale", dtype, [head])
            linear(p + "_attn.proj", h, h); linear(p + "_mlp.0", mlp, h); linear(p + "_mlp.2", h, mlp)
        }
        linear("single_blocks.0.linear1", 3 * h + mlp, h); linear("single_blocks.0.linear2", h, h + mlp)
        f.add("single_blocks.0.norm.query_norm.scale", dtype, [head]); f.add("single_blocks.0.norm.key_norm.scale", dtype, [head])
        linear("single_blocks.0.modulation.lin", 3 * h, h)
        linear("final_layer.linear", 64, h); linear("final_layer.adaLN_modulation.1", 2 * h, h)
        f.metadata = ["format": "pt"]
        return f
    }

    /// A tiny FLUX-style autoencoder in BFL names (formats.md §2.8): 16 latent channels, base 4 channels.
    static func tinyAutoencoder() -> SafetensorsFixture {
        var f = SafetensorsFixture()
        func conv(_ name: String, _ out: Int, _ inp: Int) {
            f.add(name + ".weight", "F32", [out, inp, 3, 3]); f.add(name + ".bias", "F32", [out])
        }
        conv("encoder.conv_in", 4, 3)
        conv("encoder.down.0.block.0.conv1", 4, 4)
        f.add("encoder.mid.block_1.norm1.weight", "F32", [4]); f.add("encoder.mid.block_1.norm1.bias", "F32", [4])
        conv("encoder.conv_out", 32, 4)
        conv("decoder.conv_in", 4, 16)
        conv("decoder.up.0.block.0.conv1", 4, 4)
        conv("decoder.conv_out", 3, 4)
        return f
    }
}

/// A fresh temporary folder; `cleanup()` removes it.
struct TemporaryFolder {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("bantam-cli-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    @discardableResult
    func makeFolder(_ relative: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
        return path(relative)
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }
}
