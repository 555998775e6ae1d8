import BantamCore

/// A CUDA stream: work queued on it runs in order; different streams may overlap.
///
/// The backend owns two: `compute` (every kernel) and `copy` (host-device transfers). Work on the copy
/// stream is always bracketed by events (it waits for the compute stream before touching memory the
/// compute stream may still use, and the compute stream waits for it before using what it wrote), so
/// stream-ordered reuse of freed memory on the compute stream stays safe.
public final class CUDAStream: @unchecked Sendable {
    public let context: CUDAContext
    public let handle: CUstream

    /// A stream that does not synchronize with the legacy default stream (CU_STREAM_NON_BLOCKING).
    public init(context: CUDAContext) throws {
        try context.makeCurrent()
        var stream: CUstream? = nil
        try context.driver.check(context.driver.cuStreamCreate(&stream, 1), "cuStreamCreate")
        guard let stream else { throw TensorError.backendFailure(backend: "cuda", detail: "cuStreamCreate returned no stream") }
        self.context = context
        self.handle = stream
    }

    deinit {
        _ = context.driver.cuCtxSetCurrent(context.handle)
        _ = context.driver.cuStreamDestroy(handle)
    }

    /// Blocks until everything queued so far has finished.
    public func synchronize() throws {
        try context.makeCurrent()
        try context.driver.check(context.driver.cuStreamSynchronize(handle), "cuStreamSynchronize")
    }

    /// Makes later work on this stream wait until `event` has completed (no host blocking).
    public func wait(for event: CUDAEvent) throws {
        try context.driver.check(context.driver.cuStreamWaitEvent(handle, event.handle, 0), "cuStreamWaitEvent")
    }

    /// Records a fresh event here and makes `other` wait for it: `other`'s later work runs after this
    /// stream's work queued so far.
    public func join(into other: CUDAStream) throws {
        let event = try CUDAEvent(context: context, timing: false)
        try event.record(on: self)
        try other.wait(for: event)
    }
}

/// A CUDA event: a point in a stream's work, for ordering between streams and for timing.
public final class CUDAEvent: @unchecked Sendable {
    public let context: CUDAContext
    public let handle: CUevent

    /// `timing: false` makes a lighter event (CU_EVENT_DISABLE_TIMING) for pure ordering.
    public init(context: CUDAContext, timing: Bool = true) throws {
        try context.makeCurrent()
        var event: CUevent? = nil
        try context.driver.check(context.driver.cuEventCreate(&event, timing ? 0 : 2), "cuEventCreate")
        guard let event else { throw TensorError.backendFailure(backend: "cuda", detail: "cuEventCreate returned no event") }
        self.context = context
        self.handle = event
    }

    deinit {
        _ = context.driver.cuCtxSetCurrent(context.handle)
        _ = context.driver.cuEventDestroy(handle)
    }

    /// Marks the current end of `stream`'s queue.
    public func record(on stream: CUDAStream) throws {
        try context.driver.check(context.driver.cuEventRecord(handle, stream.handle), "cuEventRecord")
    }

    /// Blocks until the recorded work has finished.
    public func synchronize() throws {
        try context.makeCurrent()
        try context.driver.check(context.driver.cuEventSynchronize(handle), "cuEventSynchronize")
    }

    /// Whether the recorded work has finished (never blocks).
    public func isComplete() throws -> Bool {
        let status = context.driver.cuEventQuery(handle)
        if status == CUDAStatus.notReady { return false }
        try context.driver.check(status, "cuEventQuery")
        return true
    }

    /// Milliseconds between `start` and this event (both recorded with timing, this one completed).
    public func elapsedMilliseconds(since start: CUDAEvent) throws -> Double {
        var ms: Float = 0
        try context.driver.check(context.driver.cuEventElapsedTime(&ms, start.handle, handle), "cuEventElapsedTime")
        return Double(ms)
    }
}
