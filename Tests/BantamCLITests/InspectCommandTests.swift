import Foundation
import Testing
import BantamCLI

/// Runs `bantam` in process with captured output.
func bantam(_ arguments: [String]) async -> (code: Int32, out: String, err: String) {
    let out = CapturedOutput(), err = CapturedOutput()
    let code = await BantamMain.run(arguments, output: out, errors: err)
    return (code, out.text, err.text)
}

/// Parses a JSON document printed by `--json`.
func parseJSON(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any])
}

@Suite("bantam inspect and --version, in process")
struct InspectCommandTests {
    @Test("--version prints 'bantam 0.1.0'")
    func version() async {
        let r = await bantam(["--version"])
        #expect(r.code == 0)
        #expect(r.out == "bantam 0.1.0\n")
        #expect(r.err.isEmpty)
    }

    @Test("inspect on one file: kind, every tensor with dtype/shape/bytes, totals per dtype, metadata")
    func inspectFile() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var fixture = SafetensorsFixture.tinyFlux()
        fixture.add("extra.f32", "F32", [3, 5])        // a second dtype for the totals
        let path = folder.path("tiny.safetensors")
        try fixture.write(to: path)

        let r = await bantam(["inspect", path])
        #expect(r.code == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.first == path)
        #expect(lines.contains("  kind: FLUX.1-dev transformer, BFL layout"))
        #expect(lines.contains("    hidden 8, 1 double + 1 single blocks, 2 heads × 4, MLP 32, in 64, context 24"))
        // Every tensor has a row with its dtype, shape and byte count.
        for e in fixture.entries {
            let row = lines.first { $0.hasPrefix("    \(e.name) ") }
            let fields = try #require(row, "no row for \(e.name)").split(separator: " ", omittingEmptySubsequences: true)
            #expect(fields.first.map(String.init) == e.name)
            #expect(fields.contains { $0 == e.dtype })
            #expect(row!.contains("[" + e.shape.map(String.init).joined(separator: ", ") + "]"))
            #expect(fields.last.map(String.init) == grouped(e.byteCount), "\(row!)")
        }
        let bf16 = fixture.entries.filter { $0.dtype == "BF16" }
        let bf16Bytes = bf16.reduce(0) { $0 + $1.byteCount }
        #expect(lines.contains { $0.hasPrefix("    BF16 ") && $0.contains(" \(bf16.count) tensors ") && $0.contains(" \(grouped(bf16Bytes)) bytes") })
        #expect(lines.contains { $0.hasPrefix("    F32 ") && $0.contains(" 1 tensors ") && $0.contains(" 60 bytes") })
        let total = fixture.entries.reduce(0) { $0 + $1.byteCount }
        #expect(lines.contains { $0.hasPrefix("  total: \(fixture.entries.count) tensors, \(grouped(total)) bytes") })
        #expect(lines.contains("    format = pt"))

        let summary = await bantam(["inspect", "--summary", path])
        #expect(summary.code == 0)
        #expect(!summary.out.contains("img_in.weight"))
        #expect(summary.out.contains("  kind: FLUX.1-dev transformer, BFL layout"))
    }

    @Test("inspect --json: one document, parsed back, with kind, tensors, totals and metadata")
    func inspectJSON() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var fixture = SafetensorsFixture.tinyFlux()
        // Names and metadata that need escaping must survive the round trip.
        fixture.add("odd \"quoted\" name\\with\nnewline", "U8", [3])
        fixture.metadata["note"] = "température \"x\"\ttab"
        let path = folder.path("tiny.safetensors")
        try fixture.write(to: path)

        let r = await bantam(["inspect", "--json", path])
        #expect(r.code == 0, "\(r.err)")
        let doc = try parseJSON(r.out)
        #expect(doc["bantam"] as? String == "0.1.0")
        let components = try #require(doc["components"] as? [[String: Any]])
        #expect(components.count == 1)
        let c = components[0]
        let kind = try #require(c["kind"] as? [String: Any])
        #expect(kind["summary"] as? String == "FLUX.1-dev transformer, BFL layout")
        let part = try #require((kind["parts"] as? [[String: Any]])?.first)
        #expect(part["family"] as? String == "flux1Dev")
        #expect(part["layout"] as? String == "BFL")
        let dims = try #require(part["dimensions"] as? [String: Any])
        #expect(dims["hiddenSize"] as? Int == 8 && dims["depth"] as? Int == 1 && dims["heads"] as? Int == 2)

        let tensors = try #require(c["tensors"] as? [[String: Any]])
        #expect(tensors.count == fixture.entries.count)
        for e in fixture.entries {
            let t = try #require(tensors.first { $0["name"] as? String == e.name }, "missing \(e.name)")
            #expect(t["dtype"] as? String == e.dtype)
            #expect(t["shape"] as? [Int] == e.shape)
            #expect(t["bytes"] as? Int == e.byteCount)
        }
        #expect(tensors.map { $0["name"] as! String } == fixture.entries.map(\.name).sorted())
        let total = fixture.entries.reduce(0) { $0 + $1.byteCount }
        #expect(c["bytes"] as? Int == total && doc["bytes"] as? Int == total)
        #expect(c["tensorCount"] as? Int == fixture.entries.count)
        let dtypes = try #require(c["dtypes"] as? [[String: Any]])
        #expect(dtypes.map { $0["dtype"] as! String } == ["BF16", "U8"])
        #expect(dtypes.reduce(0) { $0 + ($1["count"] as! Int) } == fixture.entries.count)
        let metadata = try #require(c["metadata"] as? [String: String])
        #expect(metadata == fixture.metadata)

        // In text, the same name stays on its row with the newline escaped.
        let text = await bantam(["inspect", path])
        #expect(text.out.split(separator: "\n").contains { $0.hasPrefix("    odd \"quoted\" name\\with\\nnewline ") && $0.contains(" U8 ") },
                "\(text.out)")
        #expect(text.out.contains("\n    note = température \"x\"\\ttab\n"))

        let summary = try parseJSON(await bantam(["inspect", "--json", "--summary", path]).out)
        #expect((summary["components"] as? [[String: Any]])?.first?["tensors"] == nil)
    }

    @Test("inspect on a model folder with two components (transformer/, vae/)")
    func inspectFolder() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try folder.makeFolder("transformer")
        try folder.makeFolder("vae")
        try folder.makeFolder("scheduler")   // no safetensors: not a component
        try SafetensorsFixture.tinyFlux().write(to: folder.path("transformer/diffusion_pytorch_model.safetensors"))
        let vae = SafetensorsFixture.tinyAutoencoder()
        try vae.write(to: folder.path("vae/diffusion_pytorch_model.safetensors"))

        let r = await bantam(["inspect", "--summary", folder.root])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("component transformer: "))
        #expect(r.out.contains("component vae: "))
        #expect(r.out.contains("  kind: FLUX.1-dev transformer, BFL layout"))
        #expect(r.out.contains("  kind: FLUX.1 autoencoder, BFL layout"))
        #expect(!r.out.contains("scheduler"))
        let all = SafetensorsFixture.tinyFlux().entries.count + vae.entries.count
        #expect(r.out.contains("all 2 components: \(all) tensors"))

        let doc = try parseJSON(await bantam(["inspect", "--json", folder.root]).out)
        let components = try #require(doc["components"] as? [[String: Any]])
        #expect(components.map { $0["name"] as? String } == ["transformer", "vae"])
        #expect(doc["tensorCount"] as? Int == all)
    }

    @Test("bad inputs: one 'error:' line naming the file, exit status 1; bad arguments: status 2")
    func badInputs() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let missing = folder.path("nope.safetensors")
        let malformed = folder.path("broken.safetensors")
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3]).write(to: URL(fileURLWithPath: malformed))
        let truncated = folder.path("truncated.safetensors")
        try Data(SafetensorsFixture.tinyFlux().bytes().dropLast(10)).write(to: URL(fileURLWithPath: truncated))
        let empty = try folder.makeFolder("empty")

        for path in [missing, malformed, truncated, empty] {
            let r = await bantam(["inspect", path])
            #expect(r.code == 1, "\(path): \(r.code)")
            #expect(r.out.isEmpty)
            let lines = r.err.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 2 && lines[1].isEmpty, "not one line: \(r.err)")
            #expect(r.err.hasPrefix("error: "))
            #expect(r.err.contains(path), "\(r.err)")
        }
        for args in [["inspect"], ["inspect", "--frobnicate", missing], ["frobnicate"], ["bench", "cpu", "--dtype", "f64"]] {
            let r = await bantam(args)
            #expect(r.code == 2, "\(args): \(r.code)")
            #expect(r.err.hasPrefix("error: ") && r.err.filter { $0 == "\n" }.count == 1, "\(args): \(r.err)")
        }
    }
}

/// 12345 → "12,345", as the text report writes byte counts.
func grouped(_ n: Int) -> String {
    let digits = Array(String(n))
    var out = ""
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return out
}
