import BantamCore
import BantamCPU
import BantamIO
import BantamJSON
import BantamQuant
import BantamTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("bantam quantize")
struct QuantizeCommandTests {
    let input = Fixtures.fluxTiny("bfl/flux1-tiny-dev.safetensors")

    /// The check file quant_goldens.py wrote after loading a Bantam-written file with bitsandbytes / ComfyUI's recipe.
    func recordedCheck(_ name: String) throws -> JSONObject {
        let bytes = Array(try FileBytesReader.read(QuantFixtures.path(name)))
        return try #require(try bytes.withUnsafeBytes { try JSONParser.parse($0) }.objectValue)
    }

    @Test("the NF4 and scaled-fp8 files it writes today are byte for byte the ones bitsandbytes / ComfyUI's recipe accepted",
          arguments: [("nf4", "bantam_nf4_bnb_check.json"), ("fp8-scaled", "bantam_fp8_scaled_check.json")])
    func sameFileAsTheCheckedOne(_ format: String, _ check: String) async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try await TinyFlux.quantize(input, to: format, in: folder, name: "q.safetensors")
        let recorded = try recordedCheck(check)
        let bytes = try FileBytesReader.read(path)
        #expect(SHA256.hex(bytes) == recorded["file_sha256"]?.stringValue, "re-run scripts/goldens/quant_goldens.py --check-bantam-\(format == "nf4" ? "nf4" : "fp8-scaled") on a fresh file if the format changed on purpose")
    }

    @Test("__metadata__ holds the policy, the defaults and the source's SHA-256; keys follow the format's convention")
    func metadataAndKeys() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try await TinyFlux.quantize(input, to: "nf4", precision: "transformer:single_blocks.1.*=bf16", in: folder, name: "q.safetensors")
        let file = try Checkpoint(path: path)
        #expect(file.metadata["bantam.source.sha256"] == SHA256.hex(try FileBytesReader.read(input)))
        #expect(file.metadata["bantam.source.file"] == "flux1-tiny-dev.safetensors")
        #expect(file.metadata["bantam.quantize.policy"] == "transformer=nf4,transformer:single_blocks.1.*=bf16,t5=nf4")
        #expect(try PrecisionPolicy.parse(file.metadata["bantam.quantize.policy"]!).description == file.metadata["bantam.quantize.policy"])
        #expect(file.metadata["bantam.quantize.defaults"]?.contains("final_layer.*") == true)
        #expect(file.metadata["format"] == "pt")
        // bitsandbytes' six keys per NF4 layer, nothing for the kept ones.
        let w = "double_blocks.0.img_attn.qkv.weight"
        #expect(file.info(w)?.dtype == .U8 && file.info(w)?.shape == [96 * 32 / 2, 1])
        #expect(file.info(w + ".absmax")?.shape == [48] && file.info(w + ".quant_map")?.shape == [16])
        let json = try hostBytes(try file.tensor(w + ".quant_state.bitsandbytes__nf4", on: CPUBackend.shared))
        #expect(String(decoding: json, as: UTF8.self) == "{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [96, 32]}")
        #expect(file.info("img_in.weight")?.dtype == .F32 && file.info("img_in.weight.absmax") == nil)
        #expect(file.info("single_blocks.1.linear1.weight")?.dtype == .BF16)
        #expect(file.info("single_blocks.0.linear1.weight")?.dtype == .U8)
    }

    @Test("--report: one row per quantized layer with weight and output SNR, totals, the end-to-end hook")
    func report() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let r = await bantam(["quantize", input, "--to", "fp8-scaled", "--out", folder.file("r.safetensors"), "--report"])
        #expect(r.code == 0, "\(r.err)")
        let rows = r.out.split(separator: "\n").filter { $0.hasPrefix("  double_blocks.") || $0.hasPrefix("  single_blocks.") }
        #expect(rows.count == 26)
        #expect(r.out.contains("all 26 layers: weights "))
        #expect(r.out.contains("end-to-end"))
        #expect(r.out.contains("26 Linear layers fp8-scaled; 10 kept as stored"))
    }

    @Test("bad command lines and inputs: one line, exit status 2 or 1")
    func errors() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let out = folder.file("x.safetensors")
        for (args, code, text) in [
            (["quantize", input, "--to", "int8", "--out", out], Int32(2), "--to must be fp8, fp8-scaled or nf4"),
            (["quantize", input, "--to", "nf4", "--precision", "transformer=nf5", "--out", out], 2, "unknown format 'nf5'"),
            (["quantize", input, "--to", "nf4", "--precision", "vae=nf4", "--out", out], 2, "no Linear weights"),
            (["quantize", folder.file("missing.safetensors"), "--to", "nf4", "--out", out], 1, "does not exist"),
            (["quantize", input, "--to", "nf4", "--out", input], 1, "--out is the input"),
        ] as [([String], Int32, String)] {
            let r = await bantam(args)
            #expect(r.code == code, "\(args): \(r.err)")
            #expect(r.err.hasPrefix("error: ") && r.err.contains(text) && r.err.split(separator: "\n").count == 1, "\(r.err)")
        }
    }
}

/// Whole-file reads for tests.
enum FileBytesReader {
    static func read(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw TensorError.invalidArgument("cannot open \(path)") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n == 0 { break }
            out += buffer[0..<n]
        }
        return out
    }
}
