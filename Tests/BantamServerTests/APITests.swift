import BantamJSON
import BantamServer
import HTTPTypes
import Hummingbird
import Testing

/// The native API end to end in process, with the fake generator: submit, follow, read results, delete.
@Suite struct APITests {
    @Test func healthModelsAndSystem() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let health = try await server.get("/api/v1/health")
        #expect(health.status == .ok)
        #expect(try health.object().string("status") == "ok")

        let models = try await server.get("/api/v1/models").object()
        #expect(models.string("default") == "flux-tiny")
        let list = models.array("models").compactMap(\.objectValue)
        #expect(list.map { $0.string("id") } == ["flux-tiny", "broken"])
        #expect(list[1]["usable"] == .bool(false))
        #expect(list[1].string("problem")?.contains("no FLUX.1 transformer") == true)
        #expect(models["help"] == .null)

        let system = try await server.get("/api/v1/system").object()
        #expect(system.object("ram")?.int("total") == 8 << 30)
        #expect(system.object("ram")?.int("used") == 2 << 30)
        #expect(system.string("gpu_note") == "no GPU in tests")
        #expect(system.array("workers").count == 1)
    }

    @Test func noUsableModelExplainsHowToAddOne() async throws {
        let server = try await TestServer(models: [TestServer.brokenModel])
        defer { Task { await server.stop() } }
        let models = try await server.get("/api/v1/models").object()
        #expect(models.string("help")?.contains("Put a FLUX.1 model there") == true)
        #expect(models["default"] == .null)
        let refused = try await server.post("/api/v1/jobs", #"{"prompt": "x"}"#)
        #expect(refused.status == .conflict)
        #expect(refused.message.contains("No usable model"))
    }

    @Test func jobRunsToTheEndAndItsImageIsServed() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let seed = Int.random(in: 0...1_000_000)
        let response = try await server.post("/api/v1/jobs",
            #"{"prompt": "a red fox", "seed": \#(seed), "steps": 5, "width": 48, "height": 32, "batch_count": 2, "guidance": 2.5}"#)
        #expect(response.status == .accepted)
        let id = try #require(try response.object().string("id"))
        #expect(response.headers[.location] == "/api/v1/jobs/\(id)")

        let job = try await server.waitFinal(id)
        #expect(job.string("status") == "succeeded", "\(job)")
        let parameters = try #require(job.object("parameters"))
        #expect(parameters.int("seed") == seed)
        #expect(parameters.int("steps") == 5)
        #expect(parameters.string("model") == "flux-tiny")
        let images = job.array("images").compactMap(\.objectValue)
        #expect(images.map { $0.int("seed") } == [seed, seed + 1])   // consecutive seeds in a batch
        #expect(images.map { $0.int("index") } == [0, 1])

        // The PNG: right size, the fake generator's exact pixels, the parameters in a text chunk.
        let url = try #require(images[0].string("url"))
        let png = try await server.get(url)
        #expect(png.status == .ok)
        #expect(png.headers[.contentType] == "image/png")
        let decoded = try PNGReader.decode(png.body)
        #expect(decoded.width == 48 && decoded.height == 32)
        #expect(decoded.pixels == FakeImageGenerator.picture(prompt: "a red fox", seed: UInt64(seed), width: 48, height: 32).pixels)
        #expect(decoded.text["parameters"]?.contains("Seed: \(seed)") == true)

        let download = try await server.get(url + "?download=1")
        #expect(download.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
    }

    @Test func historyAndGalleryPageNewestFirst() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        var ids: [String] = []
        for i in 0..<5 { ids.append(try await server.submit(#"{"prompt": "p\#(i)", "steps": 1, "width": 16, "height": 16}"#)) }
        for id in ids { _ = try await server.waitFinal(id) }

        let page1 = try await server.get("/api/v1/jobs?limit=3").object()
        #expect(page1.array("jobs").compactMap { $0.objectValue?.string("id") } == Array(ids.reversed().prefix(3)))
        let next = try #require(page1.int("next_before"))
        let page2 = try await server.get("/api/v1/jobs?limit=3&before=\(next)").object()
        #expect(page2.array("jobs").compactMap { $0.objectValue?.string("id") } == Array(ids.reversed().dropFirst(3)))
        #expect(page2["next_before"] == .null)

        let succeeded = try await server.get("/api/v1/jobs?status=succeeded").object()
        #expect(succeeded.array("jobs").count == 5)

        let gallery = try await server.get("/api/v1/images?limit=4").object()
        let items = gallery.array("images").compactMap(\.objectValue)
        #expect(items.count == 4)
        #expect(items.first?.object("parameters")?.string("prompt") == "p4")
        let rest = try await server.get("/api/v1/images?before=\(try #require(gallery.int("next_before")))").object()
        #expect(rest.array("images").count == 1)
    }

    @Test func deletingImagesAndJobs() async throws {
        let images = MemoryImageStore()
        let server = try await TestServer(images: images)
        defer { Task { await server.stop() } }
        let id = try await server.submit(#"{"prompt": "x", "steps": 1, "width": 16, "height": 16, "batch_count": 2}"#)
        _ = try await server.waitFinal(id)
        #expect(images.names == ["\(id)-0.png", "\(id)-1.png"])

        #expect(try await server.request(.delete, "/api/v1/images/\(id)-0").status == .noContent)
        #expect(images.names == ["\(id)-1.png"])
        #expect(try await server.get("/api/v1/images/\(id)-0").status == .notFound)
        #expect(try await server.request(.delete, "/api/v1/images/\(id)-0").status == .notFound)
        let job = try await server.get("/api/v1/jobs/\(id)").object()
        #expect(job.array("images").count == 1)

        #expect(try await server.request(.delete, "/api/v1/jobs/\(id)").status == .noContent)
        #expect(images.names.isEmpty)
        #expect(try await server.get("/api/v1/jobs/\(id)").status == .notFound)
    }

    @Test func failedGenerationIsRecordedWithItsMessage() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let id = try await server.submit(#"{"prompt": "please [fail]", "steps": 4, "width": 16, "height": 16}"#)
        let job = try await server.waitFinal(id)
        #expect(job.string("status") == "failed")
        #expect(job.string("error")?.contains("asked to fail") == true)
    }

    @Test func consoleAndAssetsAreServedFromTheBinary() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let page = try await server.get("/")
        #expect(page.status == .ok)
        #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
        #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
        // Everything the page loads is served, and it loads nothing from elsewhere.
        for reference in ["/assets/console.js", "/assets/console.css", "/assets/icon.svg"] {
            #expect(page.text.contains(reference))
            let asset = try await server.get(reference)
            #expect(asset.status == .ok, "\(reference)")
            #expect(!asset.body.isEmpty)
        }
        #expect(!page.text.contains("http://") && !page.text.contains("https://"))
        #expect(try await server.get("/assets/nothing.js").status == .notFound)
        #expect(try await server.get("/assets/..%2Fhistory.sqlite").status == .notFound)
    }
}
