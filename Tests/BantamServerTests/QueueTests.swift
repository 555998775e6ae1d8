import BantamJSON
import BantamServer
import HTTPTypes
import Hummingbird
import Testing

/// The queue: order, cancellation (queued and running), moving, idempotent submission, and exactly-once
/// completion under concurrent clients.
@Suite struct QueueTests {
    static let small = #"{"prompt": "q", "steps": 2, "width": 16, "height": 16}"#

    @Test func queuedJobsRunInOrderAndCanBeCancelledOrMoved() async throws {
        let generator = HeldGenerator()
        let server = try await TestServer(generator: generator)
        defer { Task { await server.stop() } }
        let first = try await server.submit(Self.small)
        try await eventually("the first job starts") { generator.started == 1 }
        let b = try await server.submit(Self.small), c = try await server.submit(Self.small), d = try await server.submit(Self.small)

        var queue = try await server.get("/api/v1/queue").object()
        #expect(queue.array("queued").compactMap(\.stringValue) == [b, c, d])
        #expect(queue.array("running").first?.objectValue?.string("job") == first)
        #expect(try await server.get("/api/v1/jobs/\(c)").object().int("queue_position") == 1)

        // Move d to the front, cancel c.
        let moved = try await server.post("/api/v1/jobs/\(d)/move", #"{"position": 0}"#)
        #expect(moved.status == .ok)
        #expect(try moved.object().array("queued").compactMap(\.stringValue) == [d, b, c])
        let cancelled = try await server.post("/api/v1/jobs/\(c)/cancel", "{}")
        #expect(try cancelled.object().string("status") == "cancelled")
        queue = try await server.get("/api/v1/queue").object()
        #expect(queue.array("queued").compactMap(\.stringValue) == [d, b])

        // Moving or deleting what is not queued is a conflict.
        #expect(try await server.post("/api/v1/jobs/\(first)/move", #"{"position": 0}"#).status == .conflict)
        #expect(try await server.request(.delete, "/api/v1/jobs/\(first)").status == .conflict)

        generator.release()
        var started: [String: String] = [:]
        for id in [first, d, b] {
            let job = try await server.waitFinal(id)
            #expect(job.string("status") == "succeeded")
            started[id] = try #require(job.string("started_at"))   // ISO 8601 strings sort by time
        }
        #expect(started[first]! <= started[d]! && started[d]! <= started[b]!)   // ran in the new order
        #expect(try await server.get("/api/v1/jobs/\(c)").object().string("status") == "cancelled")
        #expect(try await server.get("/api/v1/jobs/\(c)").object().array("images").isEmpty)
    }

    @Test func cancellingARunningJobStopsIt() async throws {
        let generator = HeldGenerator()
        let server = try await TestServer(generator: generator)
        defer { Task { await server.stop() } }
        let id = try await server.submit(#"{"prompt": "q", "steps": 2, "width": 16, "height": 16, "batch_count": 3}"#)
        try await eventually("the job starts") { generator.started == 1 }
        let running = try await server.get("/api/v1/jobs/\(id)").object()
        #expect(running.string("status") == "running")
        #expect(running.object("progress")?.int("step") == 1)
        #expect(running.object("progress")?.int("images") == 3)
        // The live preview of the running job.
        let preview = try await server.get("/api/v1/jobs/\(id)/preview")
        #expect(preview.status == .ok)
        #expect(try PNGReader.decode(preview.body).width == 8)

        #expect(try await server.post("/api/v1/jobs/\(id)/cancel", "").status == .ok)
        let job = try await server.waitFinal(id)
        #expect(job.string("status") == "cancelled")
        #expect(job.array("images").isEmpty)
        #expect(generator.started == 1)   // the rest of the batch never started
        #expect(try await server.get("/api/v1/jobs/\(id)/preview").status == .notFound)
    }

    @Test func idempotencyKeyReturnsTheFirstJob() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let key = "client-\(Int.random(in: 0...1_000_000))"
        let first = try await server.post("/api/v1/jobs", Self.small, headers: [HTTPField.Name("Idempotency-Key")!: key])
        #expect(first.status == .accepted)
        let again = try await server.post("/api/v1/jobs", Self.small, headers: [HTTPField.Name("Idempotency-Key")!: key])
        #expect(again.status == .ok)
        #expect(try first.object().string("id") == again.object().string("id"))
        #expect(try await server.get("/api/v1/jobs").object().array("jobs").count == 1)
    }

    @Test func fullQueueRefusesWithTooManyRequests() async throws {
        let generator = HeldGenerator()
        let server = try await TestServer(generator: generator, maxQueued: 3)
        defer { Task { await server.stop() } }
        _ = try await server.submit(Self.small)
        try await eventually("the first job starts") { generator.started == 1 }
        for _ in 0..<3 { _ = try await server.submit(Self.small) }
        let refused = try await server.post("/api/v1/jobs", Self.small)
        #expect(refused.status == .tooManyRequests)
        #expect(refused.message.contains("the queue already holds 3 jobs"))
        generator.release()
    }

    /// 32 clients submit 320 jobs at once (some twice with the same idempotency key) on 2 workers: each
    /// job completes exactly once, with exactly its images, and nothing else appears.
    @Test func concurrentClientsEachJobCompletesExactlyOnce() async throws {
        let server = try await TestServer(generator: FakeImageGenerator(), devices: 2)
        defer { Task { await server.stop() } }
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for client in 0..<32 {
                group.addTask {
                    var mine: [String] = []
                    for n in 0..<10 {
                        let key = "c\(client)-\(n)"
                        let body = #"{"prompt": "\#(key)", "steps": 2, "width": 16, "height": 16, "batch_count": \#(1 + n % 2)}"#
                        let response = try await server.post("/api/v1/jobs", body, headers: [HTTPField.Name("Idempotency-Key")!: key])
                        let id = try #require(try response.object().string("id"))
                        if n % 3 == 0 {   // a retry of the same submission
                            let retry = try await server.post("/api/v1/jobs", body, headers: [HTTPField.Name("Idempotency-Key")!: key])
                            #expect(try retry.object().string("id") == id)
                        }
                        mine.append(id)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(ids.count == 320)
        #expect(Set(ids).count == 320)
        for id in ids {
            let job = try await server.waitFinal(id)
            #expect(job.string("status") == "succeeded")
            let images = job.array("images").compactMap { $0.objectValue }
            let prompt = job.object("parameters")?.string("prompt") ?? ""
            let n = Int(prompt.split(separator: "-").last ?? "") ?? -1
            #expect(images.map { $0.int("index") } == Array(0..<(1 + n % 2)))
        }
        let all = try await server.get("/api/v1/jobs?limit=500").object().array("jobs")
        #expect(all.count == 320)
        let gallery = try await server.get("/api/v1/images?limit=500").object().array("images")
        #expect(gallery.count == (0..<32).reduce(0) { total, _ in total + (0..<10).reduce(0) { $0 + 1 + $1 % 2 } })
    }
}
