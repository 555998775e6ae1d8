/// What the queue refuses, with the message users see.
public enum JobError: Error, Sendable, CustomStringConvertible, Equatable {
    case notFound(String)
    case queueFull(Int)
    case shuttingDown
    /// Deleting a job that is still queued or running.
    case stillLive(String)
    case notQueued(String)

    public var description: String {
        switch self {
        case .notFound(let id): return "there is no job \(id); list jobs with GET /api/v1/jobs"
        case .queueFull(let n): return "the queue already holds \(n) jobs; wait for some to finish or cancel some"
        case .shuttingDown: return "the server is shutting down; submit the job again after it restarts"
        case .stillLive(let id): return "job \(id) is still queued or running; cancel it first"
        case .notQueued(let id): return "job \(id) is not waiting in the queue, so it cannot be moved"
        }
    }
}

/// The queue and its workers: one worker per compute device, each taking the job at the head of the queue,
/// making its images one after another, writing each PNG (atomically) and recording it in the history
/// before the next.
///
/// Every status change goes through the store first (conditionally: queued → running → final), then to
/// the event streams; so a job is started at most once and finished exactly once, and after a crash the
/// history says what happened (`start()` marks jobs left running as interrupted and queues the rest again).
public actor JobManager {
    public nonisolated let events: EventHub
    public nonisolated let live: LiveBoard
    public nonisolated let devices: [ComputeDevice]
    public nonisolated let store: any JobStore
    public nonisolated let catalog: any ModelCatalog
    public nonisolated let images: any ImageStore
    private let generator: any ImageGenerator
    public nonisolated let maxQueued: Int
    private let log: @Sendable (String) -> Void

    private struct Running {
        var record: JobRecord
        let device: ComputeDevice
        let cancellation: CancellationFlag
    }
    private var queue: [JobRecord] = []
    private var running: [String: Running] = [:]
    private var idleWorkers: [CheckedContinuation<Void, Never>] = []
    private var waiters: [String: [CheckedContinuation<JobRecord?, Never>]] = [:]
    private var workers: [Task<Void, Never>] = []
    private var stopping = false
    private var started = false

    public static let interruptedReason = "the server stopped while this job was running; the images it had finished are kept"

    public init(store: any JobStore, images: any ImageStore, generator: any ImageGenerator, catalog: any ModelCatalog,
                devices: [ComputeDevice], events: EventHub = EventHub(), maxQueued: Int = 1000,
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        precondition(!devices.isEmpty, "JobManager needs at least one device")
        self.store = store
        self.images = images
        self.generator = generator
        self.catalog = catalog
        self.devices = devices
        self.events = events
        self.live = LiveBoard()
        self.maxQueued = maxQueued
        self.log = log
    }

    /// Recovers the history (jobs a previous process left running become interrupted; queued ones are
    /// queued again, in order) and starts the workers.
    @discardableResult
    public func start() throws -> (requeued: Int, interrupted: Int) {
        guard !started else { return (0, 0) }
        started = true
        let (queued, interrupted) = try store.recover(reason: Self.interruptedReason, at: WallClock.now())
        queue = queued
        for device in devices {
            workers.append(Task { await self.workerLoop(device) })
        }
        return (queued.count, interrupted.count)
    }

    /// Stops taking jobs, cancels the running ones (they end as interrupted), and waits for the workers.
    /// Queued jobs stay queued in the history and run after the next start.
    public func stop() async {
        guard !stopping else { return }
        stopping = true
        for job in running.values { job.cancellation.cancel() }
        let idle = idleWorkers
        idleWorkers = []
        for worker in idle { worker.resume() }
        let tasks = workers
        for task in tasks { await task.value }
        for (_, list) in waiters { for waiter in list { waiter.resume(returning: nil) } }
        waiters = [:]
    }

    // MARK: Submitting and steering

    /// Queues a job. With an idempotency key already used, returns that job (`created` false) and queues
    /// nothing.
    public func submit(_ parameters: GenerationParameters, source: JobSource, idempotencyKey: String? = nil) throws -> (job: JobRecord, created: Bool) {
        guard !stopping else { throw JobError.shuttingDown }
        guard queue.count < maxQueued else { throw JobError.queueFull(maxQueued) }
        let job = JobRecord(id: RandomID.make(), parameters: parameters, source: source, idempotencyKey: idempotencyKey,
                            createdAt: WallClock.now())
        let (stored, created) = try store.insert(job)
        guard created else { return (stored, false) }
        queue.append(stored)
        publishJob(stored)
        publishQueue()
        wakeWorker()
        return (stored, true)
    }

    /// Cancels a queued job at once, or asks a running one to stop (it ends as cancelled after its current
    /// step). A final job is returned unchanged.
    public func cancel(_ id: String) throws -> JobRecord {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            let removed = queue.remove(at: index)
            _ = try store.finish(id, status: .cancelled, error: nil, at: WallClock.now())
            let record = try store.job(id) ?? removed
            publishJob(record)
            publishQueue()
            resumeWaiters(id, with: record)
            return record
        }
        if let job = running[id] {
            job.cancellation.cancel()
            return job.record
        }
        guard let record = try store.job(id) else { throw JobError.notFound(id) }
        return record
    }

    /// Moves a queued job to `position` (0 = next to run; past the end = last).
    public func move(_ id: String, to position: Int) throws -> [JobRecord] {
        guard let index = queue.firstIndex(where: { $0.id == id }) else {
            if try store.job(id) == nil { throw JobError.notFound(id) }
            throw JobError.notQueued(id)
        }
        let job = queue.remove(at: index)
        queue.insert(job, at: min(max(0, position), queue.count))
        publishQueue()
        return queue
    }

    /// Deletes a final job from the history, and its image files.
    public func delete(_ id: String) throws {
        if queue.contains(where: { $0.id == id }) || running[id] != nil { throw JobError.stillLive(id) }
        guard let job = try store.deleteJob(id) else {
            if try store.job(id) == nil { throw JobError.notFound(id) }
            throw JobError.stillLive(id)
        }
        for image in job.images { images.delete(name: image.fileName) }
        events.publish(ServerEvent(name: "deleted", jobID: id, data: ["job": .string(id), "images": .array(job.images.map { .string($0.id) })]))
    }

    /// Deletes one image (file and history row); false when there was none.
    public func deleteImage(_ id: String) throws -> Bool {
        guard let image = try store.image(id) else { return false }
        guard try store.deleteImage(id) else { return false }
        images.delete(name: image.fileName)
        if running[image.jobID] != nil { running[image.jobID]!.record.images.removeAll { $0.id == id } }
        events.publish(ServerEvent(name: "deleted", jobID: image.jobID, data: ["job": .string(image.jobID), "images": [.string(id)]]))
        return true
    }

    /// Suspends until the job is final; nil when it does not exist or the server stops first.
    public func waitUntilFinal(_ id: String) async throws -> JobRecord? {
        guard let record = try store.job(id) else { return nil }
        if record.status.isFinal { return record }
        return await withCheckedContinuation { waiters[id, default: []].append($0) }
    }

    // MARK: Reading

    /// Queued jobs in the order they will run, and the running ones.
    public func snapshot() -> (queued: [JobRecord], running: [JobRecord]) {
        (queue, running.values.map(\.record).sorted { $0.sequence < $1.sequence })
    }

    /// The job with its queue position (queued) or live progress (running).
    public func describe(_ id: String) throws -> JSONOut {
        if let index = queue.firstIndex(where: { $0.id == id }) {
            return queue[index].json(extra: [.init("queue_position", .int(index))])
        }
        if let job = running[id] {
            return job.record.json(extra: [.init("progress", live.progress(id)?.json ?? .null), .init("device", .string(job.device.id))])
        }
        guard let record = try store.job(id) else { throw JobError.notFound(id) }
        return record.json()
    }

    public var queueJSON: JSONOut {
        let shown = queue.prefix(200)
        return ["queued": .array(shown.map { .string($0.id) }), "queued_count": .int(queue.count),
                "running": .array(running.values.sorted { $0.record.sequence < $1.record.sequence }.map { job in
                    ["job": .string(job.record.id), "device": .string(job.device.id),
                     "progress": live.progress(job.record.id)?.json ?? .null] as JSONOut
                }),
                "workers": .array(devices.map { .string($0.id) })]
    }

    // MARK: Workers

    private nonisolated func workerLoop(_ device: ComputeDevice) async {
        while let (job, cancellation) = await nextJob(for: device) {
            await execute(job, cancellation: cancellation, on: device)
        }
    }

    /// The next job for a worker (marked running), waiting while the queue is empty; nil when stopping.
    private func nextJob(for device: ComputeDevice) async -> (JobRecord, CancellationFlag)? {
        while !stopping {
            if !queue.isEmpty {
                var job = queue.removeFirst()
                let now = WallClock.now()
                do {
                    guard try store.markRunning(job.id, at: now) else { continue }
                } catch {
                    log("job \(job.id): \(error)")
                    finishInMemory(job.id, status: .failed, error: "\(error)")
                    continue
                }
                job.status = .running
                job.startedAt = now
                let flag = CancellationFlag()
                running[job.id] = Running(record: job, device: device, cancellation: flag)
                live.start(jobID: job.id, device: device, images: job.parameters.batchCount, steps: job.parameters.steps)
                publishJob(job)
                publishQueue()
                return (job, flag)
            }
            await withCheckedContinuation { idleWorkers.append($0) }
        }
        return nil
    }

    private func wakeWorker() {
        if !idleWorkers.isEmpty { idleWorkers.removeFirst().resume() }
    }

    /// Makes the job's images, then records how it ended.
    private nonisolated func execute(_ job: JobRecord, cancellation: CancellationFlag, on device: ComputeDevice) async {
        let p = job.parameters
        var outcome: (status: JobStatus, error: String?) = (.succeeded, nil)
        if let model = catalog.entry(p.model), model.usable {
            for index in 0..<p.batchCount {
                if cancellation.isCancelled {
                    outcome = (.cancelled, nil)
                    break
                }
                let seed = p.seed &+ UInt64(index)
                let request = ImageRequest(jobID: job.id, parameters: p, seed: seed, index: index, model: model, device: device)
                do {
                    let result = try await generator.generate(request, cancellation: cancellation) { [live, events] report in
                        if let progress = live.update(jobID: job.id, image: index, with: report) {
                            events.publish(ServerEvent(name: "progress", jobID: job.id, data: progress.json))
                        }
                    }
                    let png = PNGFile.encode(result.image, text: result.pngText)
                    let record = ImageRecord(jobID: job.id, index: index, seed: seed, width: result.image.width,
                                             height: result.image.height, bytes: png.count, createdAt: WallClock.now())
                    try images.write(png, name: record.fileName)
                    guard let stored = try store.addImage(record) else {
                        // The history says the job is over (another server took over the data folder).
                        images.delete(name: record.fileName)
                        outcome = (.interrupted, Self.interruptedReason)
                        break
                    }
                    await imageAdded(stored)
                } catch is GenerationCancelled {
                    outcome = (.cancelled, nil)
                    break
                } catch {
                    outcome = (.failed, Self.oneLine(error))
                    break
                }
            }
        } else {
            let where_ = catalog.directory.map { " in \($0)" } ?? ""
            outcome = (.failed, "the model '\(p.model)' is not usable\(where_) any more; pick another one and submit again")
        }
        await finish(job.id, status: outcome.status, error: outcome.error)
    }

    private func imageAdded(_ image: ImageRecord) {
        guard running[image.jobID] != nil else { return }
        running[image.jobID]!.record.images.append(image)
        publishJob(running[image.jobID]!.record)
    }

    private func finish(_ id: String, status: JobStatus, error: String?) {
        // A job cancelled because the server is stopping was interrupted, not cancelled by a user.
        let (status, error) = stopping && status == .cancelled ? (JobStatus.interrupted, Self.interruptedReason) : (status, error)
        finishInMemory(id, status: status, error: error)
    }

    private func finishInMemory(_ id: String, status: JobStatus, error: String?) {
        let fallback = running[id]?.record
        running[id] = nil
        live.finish(jobID: id)
        var record = fallback
        do {
            _ = try store.finish(id, status: status, error: error, at: WallClock.now())
            record = try store.job(id) ?? fallback
        } catch {
            log("job \(id): cannot record its end (\(status.rawValue)): \(error)")
        }
        if let record {
            publishJob(record)
            resumeWaiters(id, with: record)
        }
        publishQueue()
        if status == .failed, let error { log("job \(id) failed: \(error)") }
    }

    private func resumeWaiters(_ id: String, with record: JobRecord) {
        for waiter in waiters.removeValue(forKey: id) ?? [] { waiter.resume(returning: record) }
    }

    // MARK: Events

    private func publishJob(_ record: JobRecord) {
        events.publish(ServerEvent(name: "job", jobID: record.id, data: record.json(), isFinal: record.status.isFinal))
    }

    private func publishQueue() {
        events.publish(ServerEvent(name: "queue", jobID: nil, data: queueJSON))
    }

    static func oneLine(_ error: any Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: "; ")
    }
}
