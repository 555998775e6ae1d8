import HTTPTypes
import Hummingbird

/// The native job API under /api/v1: submit, list, status, events, cancel, move, delete, preview.
struct JobRoutes {
    let configuration: ServerConfiguration
    let services: ServerServices

    func register(on router: Router<BantamRequestContext>) {
        let jobs = services.jobs, limit = configuration.maxBodyBytes, services = services

        router.post("/api/v1/jobs") { request, _ in
            var request = request
            let fields = try await request.jsonObject(limit: limit)
            let parameters = try ParameterParsing.native(fields, services: services)
            let key = try Self.idempotencyKey(request)
            let (job, created) = try await jobs.submit(parameters, source: Self.source(request), idempotencyKey: key)
            var response = Reply.json(try await jobs.describe(job.id), status: created ? .accepted : .ok)
            response.headers[.location] = job.url
            return response
        }

        router.get("/api/v1/jobs") { request, _ in
            let query = request.uri.queryParameters
            let limit = try Self.queryInt(query.get("limit"), name: "limit", default: 50, range: 1...500)
            let before = try query.get("before").map { try Self.queryInt($0, name: "before", default: 0, range: 1...Int.max) }
            var status: JobStatus?
            if let text = query.get("status") {
                guard let s = JobStatus(rawValue: text) else {
                    throw APIError.invalid("status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text.prefix(30))'")
                }
                status = s
            }
            let list = try jobs.store.jobs(limit: limit, before: before.map(Int64.init), status: status)
            var items: [JSONOut] = []
            for job in list { items.append(job.status.isFinal ? job.json() : try await jobs.describe(job.id)) }
            let next: JSONOut = list.count == limit ? .int(Int(list.last!.sequence)) : .null
            return Reply.json(["jobs": .array(items), "next_before": next])
        }

        router.get("/api/v1/jobs/:id") { _, context in
            Reply.json(try await jobs.describe(try Self.jobID(context)))
        }

        router.delete("/api/v1/jobs/:id") { _, context in
            try await jobs.delete(try Self.jobID(context))
            return Reply.noContent()
        }

        router.post("/api/v1/jobs/:id/cancel") { request, context in
            var request = request
            _ = try await request.jsonObject(limit: limit, required: false)
            let id = try Self.jobID(context)
            _ = try await jobs.cancel(id)
            return Reply.json(try await jobs.describe(id))
        }

        router.post("/api/v1/jobs/:id/move") { request, context in
            var request = request
            let fields = try await request.jsonObject(limit: limit)
            try fields.rejectUnknown(["position"])
            guard fields.has("position") else { throw APIError.invalid("send {\"position\": N} (0 = run next)") }
            let position = try fields.int("position", default: 0, range: 0...1_000_000)
            _ = try await jobs.move(try Self.jobID(context), to: position)
            return Reply.json(await jobs.queueJSON)
        }

        router.get("/api/v1/jobs/:id/events") { _, context in
            let id = try Self.jobID(context)
            let stream = jobs.events.subscribe(jobID: id)   // before the snapshot, so no event falls between
            let job = try await jobs.describe(id)
            let status = job["status"].flatMap { if case .string(let s) = $0 { s } else { nil } }
            let isFinal = status.flatMap(JobStatus.init).map(\.isFinal) ?? false
            var initial = [ServerEvent(name: "job", jobID: id, data: job, isFinal: isFinal)]
            if let progress = jobs.live.progress(id) { initial.append(ServerEvent(name: "progress", jobID: id, data: progress.json)) }
            return Reply.eventStream(initial: initial, stream: stream, untilFinalOf: id)
        }

        router.get("/api/v1/jobs/:id/preview") { _, context in
            let id = try Self.jobID(context)
            guard let png = jobs.live.preview(id) else {
                throw APIError.notFound("job \(id) has no preview now (previews exist only while a job runs)")
            }
            return Reply.png(png, immutable: false)
        }

        router.get("/api/v1/queue") { _, _ in Reply.json(await jobs.queueJSON) }

        router.get("/api/v1/events") { _, _ in
            let stream = jobs.events.subscribe()
            let initial = [ServerEvent(name: "queue", jobID: nil, data: await jobs.queueJSON)]
            return Reply.eventStream(initial: initial, stream: stream, untilFinalOf: nil)
        }
    }

    static func jobID(_ context: BantamRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard RandomID.isWellFormed(id) else {
            throw APIError.notFound("there is no job '\(id.prefix(40))' (job ids are 16 hexadecimal digits)")
        }
        return id
    }

    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...200).contains(key.utf8.count) else { throw APIError.invalid("the Idempotency-Key header must be 1 to 200 bytes") }
        return key
    }

    /// The console marks its requests (`X-Bantam-Client: console`); other callers are "api".
    static func source(_ request: Request) -> JobSource {
        request.headers[HTTPField.Name("X-Bantam-Client")!] == "console" ? .console : .api
    }

    static func queryInt(_ text: String?, name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return fallback }
        guard let n = Int(text), range.contains(n) else {
            throw APIError.invalid("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text.prefix(30))'")
        }
        return n
    }
}
