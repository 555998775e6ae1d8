import NIOConcurrencyHelpers

/// Where a running job is: which image of its batch, which step, how fast, and when it will be done.
public struct LiveProgress: Sendable {
    public let jobID: String
    public let device: ComputeDevice
    /// 0-based image of the batch being made, of `images`.
    public var image: Int
    public let images: Int
    public var phase: GenerationProgress.Phase
    public var step: Int
    public let steps: Int
    public var secondsPerStep: Double
    /// Seconds left for the whole job (this image and the ones after it).
    public var etaSeconds: Double
    public let startedAt: Double
    /// Increases with every new preview (0: none yet).
    public var previewVersion: Int

    /// Fraction of the job's steps done, 0…1.
    public var fraction: Double {
        Double(image * steps + step) / Double(max(1, images * steps))
    }

    public var json: JSONOut {
        ["job": .string(jobID), "device": .string(device.id), "image": .int(image), "images": .int(images),
         "phase": .string(phase.rawValue), "step": .int(step), "steps": .int(steps),
         "seconds_per_step": .double((secondsPerStep * 1000).rounded() / 1000),
         "eta_seconds": .double((etaSeconds * 10).rounded() / 10), "fraction": .double((fraction * 1000).rounded() / 1000),
         "elapsed_seconds": .double(((WallClock.now() - startedAt) * 10).rounded() / 10),
         "preview_version": .int(previewVersion),
         "preview_url": previewVersion > 0 ? .string("/api/v1/jobs/\(jobID)/preview?v=\(previewVersion)") : .null]
    }
}

/// The live state of running jobs, written by the generators' progress callbacks (from whatever thread
/// they run on) and read by the API. Previews are kept as PNG bytes, the newest one per job.
public final class LiveBoard: Sendable {
    private struct Entry {
        var progress: LiveProgress
        var preview: [UInt8]?
    }
    private let entries = NIOLockedValueBox([String: Entry]())

    public init() {}

    func start(jobID: String, device: ComputeDevice, images: Int, steps: Int) {
        let progress = LiveProgress(jobID: jobID, device: device, image: 0, images: images, phase: .loading, step: 0,
                                    steps: steps, secondsPerStep: 0, etaSeconds: 0, startedAt: WallClock.now(), previewVersion: 0)
        entries.withLockedValue { $0[jobID] = Entry(progress: progress) }
    }

    /// Records a generator's report for image `index`; returns the job's progress.
    func update(jobID: String, image index: Int, with report: GenerationProgress) -> LiveProgress? {
        // Encode the preview outside the lock.
        let png = report.preview.map { PNGFile.encode($0) }
        return entries.withLockedValue { all -> LiveProgress? in
            guard var entry = all[jobID] else { return nil }
            entry.progress.image = index
            entry.progress.phase = report.phase
            entry.progress.step = report.step
            if report.secondsPerStep > 0 { entry.progress.secondsPerStep = report.secondsPerStep }
            let imagesLeft = entry.progress.images - index - 1
            entry.progress.etaSeconds = report.etaSeconds
                + Double(imagesLeft * entry.progress.steps) * entry.progress.secondsPerStep
            if let png {
                entry.preview = png
                entry.progress.previewVersion += 1
            }
            all[jobID] = entry
            return entry.progress
        }
    }

    func finish(jobID: String) { entries.withLockedValue { $0[jobID] = nil } }

    public func progress(_ jobID: String) -> LiveProgress? { entries.withLockedValue { $0[jobID]?.progress } }

    /// The newest preview PNG of a running job.
    public func preview(_ jobID: String) -> [UInt8]? { entries.withLockedValue { $0[jobID]?.preview } }

    /// Every running job's progress, oldest first.
    public var all: [LiveProgress] {
        entries.withLockedValue { $0.values.map(\.progress) }.sorted { $0.startedAt < $1.startedAt }
    }
}
