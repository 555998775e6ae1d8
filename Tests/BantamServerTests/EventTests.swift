import BantamJSON
import BantamServer
import HTTPTypes
import Hummingbird
import Testing

/// Server-sent events: a job's stream carries its status changes and progress (with previews) and ends
/// after its final status.
@Suite struct EventTests {
    /// The events of a text/event-stream body, as (name, data).
    static func parse(_ text: String) throws -> [(name: String, data: JSONObject)] {
        var events: [(String, JSONObject)] = []
        for block in text.split(separator: "\n\n") {
            var name = "message", data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            if !data.isEmpty { events.append((name, try #require(try JSONParser.parse(data).objectValue))) }
        }
        return events
    }

    @Test func jobStreamCarriesProgressAndEndsWhenTheJobEnds() async throws {
        let server = try await TestServer(generator: FakeImageGenerator(stepDelay: .milliseconds(2), previewEvery: 2))
        defer { Task { await server.stop() } }
        let id = try await server.submit(#"{"prompt": "sse", "steps": 6, "width": 32, "height": 32}"#)
        let stream = try await server.get("/api/v1/jobs/\(id)/events")   // returns when the stream ends
        #expect(stream.headers[.contentType]?.hasPrefix("text/event-stream") == true)
        let events = try Self.parse(stream.text)
        let statuses = events.filter { $0.name == "job" }.compactMap { $0.data.string("status") }
        #expect(statuses.last == "succeeded", "\(statuses)")
        let steps = events.filter { $0.name == "progress" && $0.data.string("phase") == "denoising" }.compactMap { $0.data.int("step") }
        // The stream may have started mid-job; the steps it saw are increasing and reach the end.
        #expect(steps == steps.sorted() && steps.last == 6, "\(steps)")
        let previews = events.compactMap { $0.data.string("preview_url") }
        #expect(!previews.isEmpty)
        #expect(events.allSatisfy { $0.data.string("job") ?? $0.data.string("id") == id })
    }

    @Test func streamOfAFinishedJobIsItsFinalState() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let id = try await server.submit(#"{"prompt": "done", "steps": 1, "width": 16, "height": 16}"#)
        _ = try await server.waitFinal(id)
        let events = try Self.parse(try await server.get("/api/v1/jobs/\(id)/events").text)
        #expect(events.count == 1)
        #expect(events.first?.data.string("status") == "succeeded")
    }

    @Test func globalStreamSeesQueueAndJobEvents() async throws {
        let server = try await TestServer()
        let collector = Task { try await server.get("/api/v1/events") }
        try await eventually("the stream subscribes") { server.services.events.subscriberCount == 1 }
        let id = try await server.submit(#"{"prompt": "all", "steps": 2, "width": 16, "height": 16}"#)
        _ = try await server.waitFinal(id)
        server.services.events.close()   // ends every stream, as a shutdown does
        let events = try Self.parse(try await collector.value.text)
        #expect(events.first?.name == "queue")
        #expect(events.contains { $0.name == "job" && $0.data.string("id") == id && $0.data.string("status") == "succeeded" })
        #expect(events.contains { $0.name == "progress" && $0.data.string("job") == id })
        await server.stop()
    }
}
