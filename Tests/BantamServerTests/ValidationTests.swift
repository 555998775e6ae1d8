import BantamJSON
import BantamServer
import HTTPTypes
import Hummingbird
import Testing

/// Every invalid request gets a 4xx with a message naming what is wrong; no request gets a 5xx.
@Suite struct ValidationTests {
    /// (body, expected status, a phrase the message must contain)
    static let invalidJobs: [(String, Int, String)] = [
        (#"{"steps": 0}"#, 422, "steps must be a whole number from 1 to 50"),
        (#"{"steps": 51}"#, 422, "steps must be a whole number from 1 to 50, got 51"),
        (#"{"steps": 2.5}"#, 422, "steps must be a whole number"),
        (#"{"steps": "20"}"#, 422, "got \"20\""),
        (#"{"width": 500}"#, 422, "width 500 is not a multiple of 16; use 496 or 512"),
        (#"{"height": 4096}"#, 422, "height must be a whole number from 16 to 2048"),
        (#"{"width": -16}"#, 422, "width must be"),
        (#"{"seed": -2}"#, 422, "seed must be -1 (random) or a whole number"),
        (#"{"seed": 1e300}"#, 422, "seed must be"),
        (#"{"seed": 9007199254740992}"#, 422, "seed must be"),
        (#"{"guidance": 31}"#, 422, "guidance must be a number from 0 to 30"),
        (#"{"cfg_scale": 0.5}"#, 422, "cfg_scale must be a number from 1 to 30"),
        (#"{"batch_count": 17}"#, 422, "batch_count must be a whole number from 1 to 16"),
        (#"{"precision": "fp4"}"#, 422, "precision must be one of stored, bf16, f16, f32"),
        (#"{"vram_budget_gb": 0}"#, 422, "vram_budget_gb must be a number from"),
        (#"{"model": "nope"}"#, 422, "there is no model 'nope'; available: flux-tiny"),
        (#"{"model": "broken"}"#, 422, "model 'broken' cannot be used"),
        (#"{"model": 3}"#, 422, "model must be a string"),
        (#"{"stpes": 20}"#, 422, "unknown member 'stpes'"),
        (#"{"prompt": ["a"]}"#, 422, "prompt must be a string, got an array"),
        (#"[1, 2]"#, 400, "must be a JSON object"),
        (#"{"prompt": "a""#, 400, "not valid JSON"),
        (#"{"prompt": "a", "prompt": "b"}"#, 400, "not valid JSON"),
        ("", 400, "needs a JSON object"),
    ]

    @Test func invalidJobBodiesAreRefusedWithAMessage() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        for (body, status, phrase) in Self.invalidJobs {
            let response = try await server.request(.post, "/api/v1/jobs", json: body.isEmpty ? nil : body,
                                                    headers: body.isEmpty ? [.contentType: "application/json"] : [:])
            #expect(Int(response.status.code) == status, "\(body) → \(response.status.code) \(response.text)")
            #expect(response.message.contains(phrase), "\(body) → \(response.message)")
            #expect(!response.message.contains("\n"))
        }
        // Nothing was queued by any of them.
        #expect(try await server.get("/api/v1/jobs").object().array("jobs").isEmpty)
    }

    @Test func promptLengthAndBodySizeAreBounded() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let long = String(repeating: "é", count: ParameterRules.promptCharacters + 1)
        let tooLong = try await server.post("/api/v1/jobs", #"{"prompt": "\#(long)"}"#)
        #expect(tooLong.status == .unprocessableContent)
        #expect(tooLong.message.contains("prompt has 4001 characters; the limit is 4000"))
        let justRight = String(repeating: "é", count: ParameterRules.promptCharacters)
        #expect(try await server.post("/api/v1/jobs", #"{"prompt": "\#(justRight)", "steps": 1, "width": 16, "height": 16}"#).status == .accepted)

        let huge = #"{"prompt": "\#(String(repeating: "a", count: ServerConfiguration.defaultMaxBodyBytes))"}"#
        let refused = try await server.post("/api/v1/jobs", huge)
        #expect(refused.status == .contentTooLarge)
        #expect(refused.message.contains("larger than \(ServerConfiguration.defaultMaxBodyBytes) bytes"))
    }

    @Test func bodiesMustBeDeclaredAsJSON() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        // A form post (what another site's page could send without a preflight) is refused.
        let form = try await server.request(.post, "/api/v1/jobs", body: Array("prompt=x".utf8),
                                            headers: [.contentType: "application/x-www-form-urlencoded"])
        #expect(form.status == .unsupportedMediaType)
        #expect(form.message.contains("Content-Type: application/json"))
        let plain = try await server.request(.post, "/api/v1/jobs", body: Array(#"{"prompt":"x"}"#.utf8), headers: [.contentType: "text/plain"])
        #expect(plain.status == .unsupportedMediaType)
    }

    @Test func unknownRoutesMethodsAndIDs() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let missing = try await server.get("/api/v1/nothing")
        #expect(missing.status == .notFound)
        #expect(missing.message.contains("no route GET /api/v1/nothing"))
        let wrongMethod = try await server.request(.put, "/api/v1/jobs")
        #expect((400..<500).contains(Int(wrongMethod.status.code)), "\(wrongMethod.status)")
        for path in ["/api/v1/jobs/zzz", "/api/v1/jobs/0123456789abcdef", "/api/v1/jobs/0123456789abcdef/events",
                     "/api/v1/jobs/0123456789abcdef/preview", "/api/v1/images/0123456789abcdef-0", "/api/v1/images/../../etc/passwd",
                     "/api/v1/images/0123456789abcdef-99999"] {
            let response = try await server.get(path)
            #expect(response.status == .notFound, "\(path) → \(response.status)")
        }
        for query in ["limit=0", "limit=abc", "limit=501", "before=-1", "status=done"] {
            let response = try await server.get("/api/v1/jobs?\(query)")
            #expect(response.status == .unprocessableContent, "\(query) → \(response.status)")
        }
        let move = try await server.post("/api/v1/jobs/0123456789abcdef/move", #"{"position": 0}"#)
        #expect(move.status == .notFound)
        let cancel = try await server.post("/api/v1/jobs/0123456789abcdef/cancel", "{}")
        #expect(cancel.status == .notFound)
    }

    /// Random bodies (random JSON values, random bytes, random members with random values) to every
    /// route that reads one: the answer is never a 5xx. The seed is printed when a case fails.
    @Test func randomBodiesNeverCauseA5xx() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix(seed: seed)
        let server = try await TestServer(generator: FakeImageGenerator(stepDelay: .milliseconds(1)))
        defer { Task { await server.stop() } }
        let id = try await server.submit(#"{"prompt": "x", "steps": 1, "width": 16, "height": 16}"#)
        let paths = ["/api/v1/jobs", "/sdapi/v1/txt2img", "/sdapi/v1/options", "/api/v1/jobs/\(id)/move",
                     "/api/v1/jobs/\(id)/cancel", "/sdapi/v1/interrupt", "/sdapi/v1/refresh-checkpoints"]
        let keys = Self.jobKeys + ["batch_size", "n_iter", "sampler_name", "override_settings", "enable_hr",
                                            "script_name", "alwayson_scripts", "send_images", "position", "sd_model_checkpoint",
                                            "distilled_cfg_scale"]
        for round in 0..<300 {
            let path = paths[Int(rng.next() % UInt64(paths.count))]
            let body: [UInt8]
            switch rng.next() % 3 {
            case 0: body = (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1: body = Array(randomValue(&rng, depth: 0).text.utf8)
            default:
                var members: [JSONOut.Member] = []
                for _ in 0..<Int(1 + rng.next() % 5) {
                    members.append(.init(keys[Int(rng.next() % UInt64(keys.count))], randomValue(&rng, depth: 1)))
                }
                // Keep jobs small and quick when a body happens to be valid.
                members += [.init("steps", 1), .init("width", 16), .init("height", 16), .init("n_iter", 1), .init("batch_size", 1)]
                body = Array(JSONOut.object(members).text.utf8)
            }
            let response = try await server.request(.post, path, body: body, headers: [.contentType: "application/json"])
            #expect(response.status.code < 500, "seed \(seed) round \(round): POST \(path) \(String(decoding: body, as: UTF8.self)) → \(response.status.code) \(response.text)")
            if response.status.code >= 400 { #expect(!response.message.isEmpty) }
        }
    }

    static let jobKeys = ["prompt", "negative_prompt", "seed", "steps", "guidance", "cfg_scale", "width", "height",
                          "model", "precision", "vram_budget_gb", "batch_count"]
}

/// A small seeded generator (SplitMix64) so a failing random case can be replayed from its printed seed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random JSON: edge numbers, odd strings, nesting.
func randomValue(_ rng: inout SplitMix, depth: Int) -> JSONOut {
    let numbers: [JSONOut] = [0, -1, 1, 16, 17, 50, 51, 2048, 2064, .int(Int.max), .int(Int.min), .double(1e300), .double(-0.5), .double(3.5),
                              .double(9007199254740992), 65536]
    let strings: [JSONOut] = ["", "flux-tiny", "broken", "Euler a", "stored", "bf16", "\u{0}", "é🦊", .string(String(repeating: "x", count: 5000)), "../../etc/passwd", "-1"]
    switch rng.next() % (depth > 2 ? 4 : 6) {
    case 0: return numbers[Int(rng.next() % UInt64(numbers.count))]
    case 1: return strings[Int(rng.next() % UInt64(strings.count))]
    case 2: return rng.next() % 2 == 0 ? .bool(true) : .null
    case 3: return .double(Double(Int64(truncatingIfNeeded: rng.next())) / 1e6)
    case 4: return .array((0..<Int(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth + 1) })
    default: return .object((0..<Int(rng.next() % 4)).map { i in .init("k\(i)", randomValue(&rng, depth: depth + 1)) })
    }
}
