/// Where a job is in its life. `queued` and `running` are live; the others are final.
public enum JobStatus: String, Sendable, CaseIterable {
    case queued, running, succeeded, failed, cancelled
    /// The server stopped (a crash, a kill, a shutdown) while the job ran. Its finished images are kept.
    case interrupted

    public var isFinal: Bool { self != .queued && self != .running }
}

/// Who submitted a job (shown in the history; A1111 clients wait for theirs synchronously).
public enum JobSource: String, Sendable {
    case console, api, a1111
}

/// One image a job made, as the history stores it.
public struct ImageRecord: Sendable, Equatable {
    /// `<job id>-<index>`; also the file name (with ".png") under the data folder's images/.
    public let id: String
    public let jobID: String
    public let index: Int
    public let seed: UInt64
    public let width: Int
    public let height: Int
    public let bytes: Int
    public let createdAt: Double
    /// Order of creation, assigned by the store (the gallery's order and paging cursor).
    public var sequence: Int64

    public init(jobID: String, index: Int, seed: UInt64, width: Int, height: Int, bytes: Int, createdAt: Double,
                sequence: Int64 = 0) {
        self.sequence = sequence
        self.id = "\(jobID)-\(index)"
        self.jobID = jobID
        self.index = index
        self.seed = seed
        self.width = width
        self.height = height
        self.bytes = bytes
        self.createdAt = createdAt
    }

    public var fileName: String { "\(id).png" }
    public var url: String { "/api/v1/images/\(id)" }

    public var json: JSONOut {
        ["id": .string(id), "job": .string(jobID), "index": .int(index), "seed": .int(Int(clamping: seed)),
         "width": .int(width), "height": .int(height), "bytes": .int(bytes),
         "created_at": .string(WallClock.iso8601(createdAt)), "url": .string(url),
         "download_url": .string(url + "?download=1")]
    }

    /// Whether `text` can be an image id (`<16 hex>-<index>`); other ids are refused before any lookup.
    public static func isWellFormedID(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 2 && RandomID.isWellFormed(String(parts[0])) && parts[1].count <= 3
            && parts[1].allSatisfy(\.isASCII) && Int(parts[1]) != nil
    }
}

/// A job as the history stores it.
public struct JobRecord: Sendable, Equatable {
    public let id: String
    /// Submission order (the history's order and the queue's initial order).
    public var sequence: Int64
    public var status: JobStatus
    public var parameters: GenerationParameters
    public var source: JobSource
    /// The client's Idempotency-Key header: a second submission with the same key returns this job.
    public var idempotencyKey: String?
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Why it failed or was interrupted (one line).
    public var error: String?
    public var images: [ImageRecord]

    public init(id: String, sequence: Int64 = 0, status: JobStatus = .queued, parameters: GenerationParameters,
                source: JobSource, idempotencyKey: String? = nil, createdAt: Double, startedAt: Double? = nil,
                finishedAt: Double? = nil, error: String? = nil, images: [ImageRecord] = []) {
        self.id = id
        self.sequence = sequence
        self.status = status
        self.parameters = parameters
        self.source = source
        self.idempotencyKey = idempotencyKey
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.images = images
    }

    public var url: String { "/api/v1/jobs/\(id)" }

    /// The API's form. `extra` members (queue position, live progress) go at the end.
    public func json(extra: [JSONOut.Member] = []) -> JSONOut {
        let base: JSONOut = [
            "id": .string(id), "status": .string(status.rawValue), "source": .string(source.rawValue),
            "parameters": parameters.json,
            "created_at": .string(WallClock.iso8601(createdAt)),
            "started_at": .optional(startedAt.map(WallClock.iso8601)),
            "finished_at": .optional(finishedAt.map(WallClock.iso8601)),
            "seconds": .optional(startedAt.flatMap { s in finishedAt.map { $0 - s } }),
            "error": .optional(error), "images": .array(images.map(\.json)),
            "url": .string(url), "events_url": .string(url + "/events"),
        ]
        return base.merging(extra)
    }
}
