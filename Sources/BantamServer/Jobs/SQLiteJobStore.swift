import BantamJSON
import GRDB

/// The job history in a SQLite database (through GRDB), in WAL mode: readers (the API's list and status
/// routes) never wait for the worker's writes, and a crash loses at most the transaction in flight — the
/// statuses then tell what happened (`recover`).
///
/// Schema (migration "v1"): `job` (one row per submission; `seq` orders them; parameters as JSON text),
/// `image` (one row per finished image, deleted with its job).
public final class SQLiteJobStore: JobStore {
    public let path: String
    private let pool: DatabasePool

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // WAL + NORMAL: durable across process crashes; an OS crash may lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError("\(path): cannot open the history database (\(Self.oneLine(error))); move the file away to start a new history")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE job (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    status TEXT NOT NULL,
                    parameters TEXT NOT NULL,
                    source TEXT NOT NULL,
                    idempotency_key TEXT UNIQUE,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    error TEXT
                );
                CREATE INDEX job_status ON job(status, seq);
                CREATE TABLE image (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    job_id TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    seed INTEGER NOT NULL,
                    width INTEGER NOT NULL,
                    height INTEGER NOT NULL,
                    bytes INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    UNIQUE(job_id, idx)
                );
                CREATE INDEX image_job ON image(job_id);
                """)
        }
        return migrator
    }

    // MARK: JobStore

    public func recover(reason: String, at time: Double) throws -> (queued: [JobRecord], interrupted: [String]) {
        try run {
            try pool.write { db in
                let interrupted = try String.fetchAll(db, sql: "SELECT id FROM job WHERE status = 'running' ORDER BY seq")
                try db.execute(sql: "UPDATE job SET status = 'interrupted', error = ?, finished_at = ? WHERE status = 'running'",
                               arguments: [reason, time])
                let queued = try Self.jobs(db, where: "status = 'queued'", arguments: [], order: "seq ASC", limit: -1)
                return (queued, interrupted)
            }
        }
    }

    public func insert(_ job: JobRecord) throws -> (job: JobRecord, created: Bool) {
        try run {
            try pool.write { db in
                if let key = job.idempotencyKey,
                   let existing = try Self.jobs(db, where: "idempotency_key = ?", arguments: [key], order: "seq", limit: 1).first {
                    return (existing, false)
                }
                try db.execute(sql: """
                    INSERT INTO job (id, status, parameters, source, idempotency_key, created_at, started_at, finished_at, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [job.id, job.status.rawValue, job.parameters.json.text, job.source.rawValue,
                                     job.idempotencyKey, job.createdAt, job.startedAt, job.finishedAt, job.error])
                var stored = job
                stored.sequence = db.lastInsertedRowID
                return (stored, true)
            }
        }
    }

    public func job(_ id: String) throws -> JobRecord? {
        try run { try pool.read { db in try Self.jobs(db, where: "id = ?", arguments: [id], order: "seq", limit: 1).first } }
    }

    public func markRunning(_ id: String, at time: Double) throws -> Bool {
        try run {
            try pool.write { db in
                try db.execute(sql: "UPDATE job SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'",
                               arguments: [time, id])
                return db.changesCount == 1
            }
        }
    }

    public func addImage(_ image: ImageRecord) throws -> ImageRecord? {
        try run {
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO image (id, job_id, idx, seed, width, height, bytes, created_at)
                    SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM job WHERE id = ? AND status = 'running')
                    """, arguments: [image.id, image.jobID, image.index, Int64(clamping: image.seed), image.width, image.height,
                                     image.bytes, image.createdAt, image.jobID])
                guard db.changesCount == 1 else { return nil }
                var stored = image
                stored.sequence = db.lastInsertedRowID
                return stored
            }
        }
    }

    public func finish(_ id: String, status: JobStatus, error: String?, at time: Double) throws -> Bool {
        try run {
            try pool.write { db in
                try db.execute(sql: """
                    UPDATE job SET status = ?, error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')
                    """, arguments: [status.rawValue, error, time, id])
                return db.changesCount == 1
            }
        }
    }

    public func jobs(limit: Int, before: Int64?, status: JobStatus?) throws -> [JobRecord] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let before {
            conditions.append("seq < ?")
            arguments += [before]
        }
        if let status {
            conditions.append("status = ?")
            arguments += [status.rawValue]
        }
        let condition = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
        return try run { try pool.read { db in try Self.jobs(db, where: condition, arguments: arguments, order: "seq DESC", limit: limit) } }
    }

    public func images(limit: Int, before: Int64?) throws -> [(image: ImageRecord, parameters: GenerationParameters)] {
        try run {
            try pool.read { db in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT image.*, job.parameters AS parameters FROM image JOIN job ON job.id = image.job_id
                    WHERE image.seq < ? ORDER BY image.seq DESC LIMIT ?
                    """, arguments: [before ?? Int64.max, limit])
                return rows.map { (Self.image($0), Self.parameters($0["parameters"])) }
            }
        }
    }

    public func image(_ id: String) throws -> ImageRecord? {
        try run { try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM image WHERE id = ?", arguments: [id]).map(Self.image) } }
    }

    public func deleteImage(_ id: String) throws -> Bool {
        try run {
            try pool.write { db in
                try db.execute(sql: "DELETE FROM image WHERE id = ?", arguments: [id])
                return db.changesCount == 1
            }
        }
    }

    public func deleteJob(_ id: String) throws -> JobRecord? {
        try run {
            try pool.write { db in
                guard let job = try Self.jobs(db, where: "id = ?", arguments: [id], order: "seq", limit: 1).first,
                      job.status.isFinal else { return nil }
                try db.execute(sql: "DELETE FROM job WHERE id = ?", arguments: [id])
                return job
            }
        }
    }

    public func counts() throws -> [JobStatus: Int] {
        try run {
            try pool.read { db in
                var counts: [JobStatus: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM job GROUP BY status") {
                    if let status = JobStatus(rawValue: row["status"]) { counts[status] = row["n"] }
                }
                return counts
            }
        }
    }

    // MARK: Rows

    private static func jobs(_ db: Database, where condition: String, arguments: StatementArguments, order: String,
                             limit: Int) throws -> [JobRecord] {
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM job WHERE \(condition) ORDER BY \(order) LIMIT \(limit)",
                                    arguments: arguments)
        guard !rows.isEmpty else { return [] }
        var jobs = rows.map(job)
        // The images of all these jobs in one query.
        let ids = jobs.map(\.id)
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let imageRows = try Row.fetchAll(db, sql: "SELECT * FROM image WHERE job_id IN (\(placeholders)) ORDER BY idx",
                                         arguments: StatementArguments(ids))
        var byJob: [String: [ImageRecord]] = [:]
        for row in imageRows { byJob[row["job_id"], default: []].append(image(row)) }
        for i in jobs.indices { jobs[i].images = byJob[jobs[i].id] ?? [] }
        return jobs
    }

    private static func job(_ row: Row) -> JobRecord {
        JobRecord(id: row["id"], sequence: row["seq"], status: JobStatus(rawValue: row["status"]) ?? .failed,
                  parameters: parameters(row["parameters"]), source: JobSource(rawValue: row["source"]) ?? .api,
                  idempotencyKey: row["idempotency_key"], createdAt: row["created_at"], startedAt: row["started_at"],
                  finishedAt: row["finished_at"], error: row["error"])
    }

    private static func image(_ row: Row) -> ImageRecord {
        ImageRecord(jobID: row["job_id"], index: row["idx"], seed: UInt64(max(0, row["seed"] as Int64)), width: row["width"],
                    height: row["height"], bytes: row["bytes"], createdAt: row["created_at"], sequence: row["seq"])
    }

    private static func parameters(_ text: String) -> GenerationParameters {
        let object = (try? JSONParser.parse(text))?.objectValue ?? JSONObject()
        return GenerationParameters(stored: object)
    }

    /// Runs a database call, turning GRDB's errors into one-line `StoreError`s that name the file.
    private func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("\(path): \(Self.oneLine(error))")
        }
    }

    private static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: "; ")
    }
}
