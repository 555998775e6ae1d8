import BantamJSON
import BantamServer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The history in SQLite: conditional status changes, paging, deletion, and what a restart finds.
@Suite struct PersistenceTests {
    static func temporaryFolder() throws -> String {
        var template = Array("/tmp/bantam-server-test-XXXXXX".utf8CString)
        let path = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) })
        return String(cString: path)
    }

    static func params(_ prompt: String, batch: Int = 1) -> GenerationParameters {
        GenerationParameters(prompt: prompt, seed: 7, steps: 2, width: 16, height: 16, model: "flux-tiny", batchCount: batch)
    }

    @Test func storeChangesStatusOnlyFromLiveStates() throws {
        let folder = try Self.temporaryFolder()
        let store = try SQLiteJobStore(path: folder + "/history.sqlite")
        let job = JobRecord(id: RandomID.make(), parameters: Self.params("é🦊 \"quoted\""), source: .api, idempotencyKey: "k1", createdAt: 1000.5)
        let (stored, created) = try store.insert(job)
        #expect(created && stored.sequence == 1)
        #expect(try store.insert(JobRecord(id: RandomID.make(), parameters: Self.params("other"), source: .api, idempotencyKey: "k1", createdAt: 1)).created == false)
        #expect(try store.job(job.id)?.parameters == job.parameters)

        // Images are recorded only for running jobs.
        #expect(try store.addImage(ImageRecord(jobID: job.id, index: 0, seed: 7, width: 16, height: 16, bytes: 1, createdAt: 1)) == nil)
        #expect(try store.markRunning(job.id, at: 1001))
        #expect(try !store.markRunning(job.id, at: 1002))   // never started twice
        let image = try #require(try store.addImage(ImageRecord(jobID: job.id, index: 0, seed: 7, width: 16, height: 16, bytes: 99, createdAt: 1003)))
        #expect(image.sequence == 1)
        #expect(try store.finish(job.id, status: .succeeded, error: nil, at: 1004))
        #expect(try !store.finish(job.id, status: .failed, error: "late", at: 1005))   // never finished twice
        let done = try #require(try store.job(job.id))
        #expect(done.status == .succeeded && done.error == nil && done.startedAt == 1001 && done.finishedAt == 1004)
        #expect(done.images.map(\.id) == ["\(job.id)-0"])
        #expect(try store.counts()[.succeeded] == 1)

        // Deleting the job removes its images from the history too.
        #expect(try store.deleteJob(job.id)?.id == job.id)
        #expect(try store.image("\(job.id)-0") == nil)
        #expect(try store.images(limit: 10, before: nil).isEmpty)
    }

    @Test func restartMarksRunningJobsInterruptedAndKeepsTheQueue() throws {
        let folder = try Self.temporaryFolder()
        let path = folder + "/history.sqlite"
        var ids: [String] = []
        do {
            let store = try SQLiteJobStore(path: path)
            for i in 0..<4 {
                let job = JobRecord(id: RandomID.make(), parameters: Self.params("p\(i)"), source: .console, createdAt: Double(i))
                ids.append(try store.insert(job).job.id)
            }
            #expect(try store.markRunning(ids[0], at: 10))
            #expect(try store.markRunning(ids[1], at: 11))
            #expect(try store.finish(ids[1], status: .succeeded, error: nil, at: 12))
        }   // "crash": the store is dropped with job 0 running
        let reopened = try SQLiteJobStore(path: path)
        let (queued, interrupted) = try reopened.recover(reason: "stopped", at: 20)
        #expect(interrupted == [ids[0]])
        #expect(queued.map(\.id) == [ids[2], ids[3]])
        let job0 = try #require(try reopened.job(ids[0]))
        #expect(job0.status == .interrupted && job0.error == "stopped" && job0.finishedAt == 20)
        #expect(try reopened.job(ids[1])?.status == .succeeded)
        #expect(try reopened.jobs(limit: 10, before: nil, status: nil).map(\.id) == ids.reversed())
    }

    @Test func damagedDatabaseIsAOneLineError() throws {
        let folder = try Self.temporaryFolder()
        let path = folder + "/history.sqlite"
        try Files.writeAtomically(Array("this is not a database, just text that is long enough".utf8) + [UInt8](repeating: 7, count: 4096), to: path)
        #expect {
            _ = try SQLiteJobStore(path: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("move the file away") && !text.contains("\n")
        }
    }

    @Test func imagesAreWrittenAtomically() throws {
        let folder = try Self.temporaryFolder()
        let store = try DiskImageStore(directory: folder + "/images")
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try store.write(bytes, name: "a.png")
        try store.write(Array(bytes.reversed()), name: "a.png")   // replaced whole
        #expect(try store.read(name: "a.png") == Array(bytes.reversed()))
        #expect(Files.list(folder + "/images") == ["a.png"])   // no temporary files left
        store.delete(name: "a.png")
        #expect(try store.read(name: "a.png") == nil)
    }

    /// A server "crashes" while a batch runs (its first image done), another one starts on the same data
    /// folder: the interrupted job keeps its finished image, the queued jobs run, nothing runs twice.
    @Test func serverRestartResumesTheQueue() async throws {
        let folder = try Self.temporaryFolder()
        let catalog = FixedModelCatalog([TestServer.tinyModel])
        let device = [ComputeDevice(kind: .cpu, index: 0, name: "cpu")]
        let held = HeldGenerator(holdFromIndex: 1)
        let first = JobManager(store: try SQLiteJobStore(path: folder + "/history.sqlite"),
                               images: try DiskImageStore(directory: folder + "/images"), generator: held,
                               catalog: catalog, devices: device)
        try await first.start()
        let batch = try await first.submit(Self.params("batch", batch: 3), source: .api).job.id
        let waiting = [try await first.submit(Self.params("next"), source: .api).job.id,
                       try await first.submit(Self.params("last"), source: .api).job.id]
        try await eventually("the second image of the batch starts") { held.started == 2 }

        // The second server, on the same files, while the first one is stuck ("crashed").
        let store = try SQLiteJobStore(path: folder + "/history.sqlite")
        let second = JobManager(store: store, images: try DiskImageStore(directory: folder + "/images"),
                                generator: FakeImageGenerator(), catalog: catalog, devices: device)
        let (requeued, interrupted) = try await second.start()
        #expect(requeued == 2 && interrupted == 1)
        for id in waiting {
            let job = try #require(try await second.waitUntilFinal(id))
            #expect(job.status == .succeeded && job.images.count == 1)
        }
        let crashed = try #require(try store.job(batch))
        #expect(crashed.status == .interrupted)
        #expect(crashed.error == JobManager.interruptedReason)
        #expect(crashed.images.map(\.index) == [0])   // the finished image is kept
        #expect(Files.kind(of: folder + "/images/\(batch)-0.png") == .file)

        // The stuck server wakes up and stops: it cannot change what the second one recorded.
        held.release()
        await first.stop()
        #expect(try store.job(batch)?.status == .interrupted)
        #expect(try store.job(batch)?.images.count == 1)
        for id in waiting { #expect(try store.job(id)?.status == .succeeded) }
        #expect(try store.counts() == [.interrupted: 1, .succeeded: 2])
        await second.stop()
    }

    @Test func stoppingTheServerInterruptsRunningJobsAndKeepsQueuedOnes() async throws {
        let folder = try Self.temporaryFolder()
        let store = try SQLiteJobStore(path: folder + "/history.sqlite")
        let held = HeldGenerator()
        let manager = JobManager(store: store, images: MemoryImageStore(), generator: held,
                                 catalog: FixedModelCatalog([TestServer.tinyModel]), devices: [ComputeDevice(kind: .cpu, index: 0, name: "cpu")])
        try await manager.start()
        let running = try await manager.submit(Self.params("r"), source: .api).job.id
        try await eventually("the job starts") { held.started == 1 }
        let queued = try await manager.submit(Self.params("q"), source: .api).job.id
        await manager.stop()
        #expect(try store.job(running)?.status == .interrupted)
        #expect(try store.job(queued)?.status == .queued)
        await #expect(throws: JobError.shuttingDown) { try await manager.submit(Self.params("late"), source: .api) }
    }
}
