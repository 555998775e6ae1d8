import NIOConcurrencyHelpers

/// One message on the event streams, serialized once for every subscriber.
public struct ServerEvent: Sendable {
    /// SSE event name: "job" (a job changed status or got an image), "progress", "queue", "ping".
    public let name: String
    /// The job it is about; streams for one job see only its events.
    public let jobID: String?
    /// JSON text of the event's data.
    public let data: [UInt8]
    /// The job reached a final status (its own stream ends after this event).
    public let isFinal: Bool

    public init(name: String, jobID: String?, data: JSONOut, isFinal: Bool = false) {
        self.name = name
        self.jobID = jobID
        self.data = data.bytes
        self.isFinal = isFinal
    }

    static let ping = ServerEvent(name: "ping", jobID: nil, data: [:])

    /// The text/event-stream form: `event: NAME`, `data: JSON`, a blank line.
    public var sse: [UInt8] {
        Array("event: \(name)\ndata: ".utf8) + data + [0x0A, 0x0A]
    }
}

/// Fans events out to the open event streams (the console's, API clients'). Publishing never waits: each
/// subscriber has a bounded buffer that keeps the newest events, so a slow or stalled client cannot slow
/// the workers down. Every stream also gets a "ping" every `pingInterval` so dead connections are noticed.
public final class EventHub: Sendable {
    private struct Subscriber {
        let jobID: String?
        let continuation: AsyncStream<ServerEvent>.Continuation
    }
    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var next = 0
        var closed = false
    }
    private let state = NIOLockedValueBox(State())
    private let pingInterval: Duration
    private let bufferSize: Int

    public init(pingInterval: Duration = .seconds(15), bufferSize: Int = 512) {
        self.pingInterval = pingInterval
        self.bufferSize = bufferSize
    }

    /// A stream of the events about `jobID` (all events when nil). It ends when the hub closes or the
    /// consumer stops iterating.
    public func subscribe(jobID: String? = nil) -> AsyncStream<ServerEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ServerEvent.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id: Int? = state.withLockedValue { s in
            guard !s.closed else { return nil }
            s.next += 1
            s.subscribers[s.next] = Subscriber(jobID: jobID, continuation: continuation)
            return s.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        let interval = pingInterval
        let pinger = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if case .terminated = continuation.yield(.ping) { return }
            }
        }
        continuation.onTermination = { [weak self] _ in
            pinger.cancel()
            self?.state.withLockedValue { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func publish(_ event: ServerEvent) {
        let targets = state.withLockedValue { s in
            s.subscribers.values.filter { $0.jobID == nil || $0.jobID == event.jobID }.map(\.continuation)
        }
        for continuation in targets { continuation.yield(event) }
    }

    /// Ends every stream (server shutdown) and refuses new subscribers.
    public func close() {
        let all = state.withLockedValue { s in
            s.closed = true
            defer { s.subscribers = [:] }
            return s.subscribers.values.map(\.continuation)
        }
        for continuation in all { continuation.finish() }
    }

    public var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }
}
