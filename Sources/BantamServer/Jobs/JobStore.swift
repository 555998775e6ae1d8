import NIOConcurrencyHelpers

/// The job history: every job ever submitted and the images it made. `SQLiteJobStore` keeps it in a
/// SQLite file (it survives restarts); `InMemoryJobStore` is the fake for tests.
///
/// Status changes are conditional (`markRunning` only from queued, `finish` only from a live status), so
/// a job can never run twice or finish twice, whatever order cancels and workers arrive in.
public protocol JobStore: Sendable {
    /// Run once when the server starts: jobs left `running` by a previous process become `interrupted`
    /// (with `reason`); the jobs still `queued` are returned in submission order, to be queued again.
    func recover(reason: String, at time: Double) throws -> (queued: [JobRecord], interrupted: [String])
    /// Stores a new queued job and assigns its sequence, or — when a job with the same idempotency key
    /// exists — returns that one and `created: false`.
    func insert(_ job: JobRecord) throws -> (job: JobRecord, created: Bool)
    func job(_ id: String) throws -> JobRecord?
    /// queued → running; false (and no change) when the job is not queued any more.
    func markRunning(_ id: String, at time: Double) throws -> Bool
    /// Records one finished image of a running job (its file is already on disk); nil (and nothing
    /// recorded) when the job is not running any more.
    func addImage(_ image: ImageRecord) throws -> ImageRecord?
    /// queued or running → `status` (a final one); false when the job was already final.
    func finish(_ id: String, status: JobStatus, error: String?, at time: Double) throws -> Bool
    /// Newest first; `before` is a sequence to page from; `status` filters.
    func jobs(limit: Int, before: Int64?, status: JobStatus?) throws -> [JobRecord]
    /// Newest first, with their jobs' parameters (the gallery).
    func images(limit: Int, before: Int64?) throws -> [(image: ImageRecord, parameters: GenerationParameters)]
    func image(_ id: String) throws -> ImageRecord?
    /// Forgets one image; false when there was none.
    func deleteImage(_ id: String) throws -> Bool
    /// Forgets a final job and its images (the caller deletes the files); nil when there was none.
    func deleteJob(_ id: String) throws -> JobRecord?
    /// How many jobs are in each status.
    func counts() throws -> [JobStatus: Int]
}

/// A failure of the history's storage (disk full, a damaged database): one line naming the file.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The history in memory (tests; nothing survives the process).
public final class InMemoryJobStore: JobStore {
    private struct State {
        var jobs: [String: JobRecord] = [:]
        var nextJob: Int64 = 1
        var nextImage: Int64 = 1
    }
    private let state = NIOLockedValueBox(State())

    public init() {}

    public func recover(reason: String, at time: Double) throws -> (queued: [JobRecord], interrupted: [String]) {
        state.withLockedValue { s in
            var interrupted: [String] = []
            for (id, job) in s.jobs where job.status == .running {
                s.jobs[id]!.status = .interrupted
                s.jobs[id]!.error = reason
                s.jobs[id]!.finishedAt = time
                interrupted.append(id)
            }
            let queued = s.jobs.values.filter { $0.status == .queued }.sorted { $0.sequence < $1.sequence }
            return (queued, interrupted.sorted())
        }
    }

    public func insert(_ job: JobRecord) throws -> (job: JobRecord, created: Bool) {
        state.withLockedValue { s in
            if let key = job.idempotencyKey, let existing = s.jobs.values.first(where: { $0.idempotencyKey == key }) {
                return (existing, false)
            }
            var stored = job
            stored.sequence = s.nextJob
            s.nextJob += 1
            s.jobs[job.id] = stored
            return (stored, true)
        }
    }

    public func job(_ id: String) throws -> JobRecord? { state.withLockedValue { $0.jobs[id] } }

    public func markRunning(_ id: String, at time: Double) throws -> Bool {
        state.withLockedValue { s in
            guard s.jobs[id]?.status == .queued else { return false }
            s.jobs[id]!.status = .running
            s.jobs[id]!.startedAt = time
            return true
        }
    }

    public func addImage(_ image: ImageRecord) throws -> ImageRecord? {
        state.withLockedValue { s in
            guard s.jobs[image.jobID]?.status == .running else { return nil }
            var stored = image
            stored.sequence = s.nextImage
            s.nextImage += 1
            s.jobs[image.jobID]!.images.append(stored)
            return stored
        }
    }

    public func finish(_ id: String, status: JobStatus, error: String?, at time: Double) throws -> Bool {
        state.withLockedValue { s in
            guard let job = s.jobs[id], !job.status.isFinal else { return false }
            s.jobs[id]!.status = status
            s.jobs[id]!.error = error
            s.jobs[id]!.finishedAt = time
            return true
        }
    }

    public func jobs(limit: Int, before: Int64?, status: JobStatus?) throws -> [JobRecord] {
        state.withLockedValue { s in
            Array(s.jobs.values.filter { job in
                (before.map { job.sequence < $0 } ?? true) && (status.map { job.status == $0 } ?? true)
            }.sorted { $0.sequence > $1.sequence }.prefix(limit))
        }
    }

    public func images(limit: Int, before: Int64?) throws -> [(image: ImageRecord, parameters: GenerationParameters)] {
        state.withLockedValue { s in
            let all = s.jobs.values.flatMap { job in job.images.map { (image: $0, parameters: job.parameters) } }
            return Array(all.filter { item in before.map { item.image.sequence < $0 } ?? true }
                .sorted { $0.image.sequence > $1.image.sequence }.prefix(limit))
        }
    }

    public func image(_ id: String) throws -> ImageRecord? {
        state.withLockedValue { s in s.jobs.values.lazy.flatMap(\.images).first { $0.id == id } }
    }

    public func deleteImage(_ id: String) throws -> Bool {
        state.withLockedValue { s in
            for (jobID, job) in s.jobs {
                if let i = job.images.firstIndex(where: { $0.id == id }) {
                    s.jobs[jobID]!.images.remove(at: i)
                    return true
                }
            }
            return false
        }
    }

    public func deleteJob(_ id: String) throws -> JobRecord? {
        state.withLockedValue { s in
            guard let job = s.jobs[id], job.status.isFinal else { return nil }
            s.jobs[id] = nil
            return job
        }
    }

    public func counts() throws -> [JobStatus: Int] {
        state.withLockedValue { s in s.jobs.values.reduce(into: [:]) { $0[$1.status, default: 0] += 1 } }
    }
}
