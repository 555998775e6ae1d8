import BantamJSON
import BantamServer
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

/// A response as the tests see it.
struct TestResponse {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> JSONValue { try JSONParser.parse(text) }

    func object() throws -> JSONObject {
        try #require(try json().objectValue, "not a JSON object: \(text.prefix(300))")
    }

    /// The error message of a refusal.
    var message: String { (try? object()["message"]?.stringValue) ?? nil ?? text }
}

/// Collects what a response body writes.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    let bytes = NIOLockedValueBox([UInt8]())
    func write(_ buffer: ByteBuffer) async throws { bytes.withLockedValue { $0 += Array(buffer.readableBytesView) } }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// The server's router with in-memory services, driven in process: requests go straight to the
/// responder (no sockets), as Hummingbird's own router test framework does.
final class TestServer: Sendable {
    let configuration: ServerConfiguration
    let services: ServerServices
    let store: any JobStore
    let images: any ImageStore
    let responder: RouterResponder<BantamRequestContext>
    let routes: [String]

    static let tinyModel = ModelEntry(id: "flux-tiny", path: "/models/flux-tiny", summary: "FLUX.1-dev transformer (test)")
    static let brokenModel = ModelEntry(id: "broken", path: "/models/broken", summary: "T5 encoder", problem: "broken holds no FLUX.1 transformer")

    init(configuration: ServerConfiguration = ServerConfiguration(version: "bantam test"),
         generator: any ImageGenerator = FakeImageGenerator(),
         models: [ModelEntry] = [TestServer.tinyModel, TestServer.brokenModel],
         store: any JobStore = InMemoryJobStore(), images: any ImageStore = MemoryImageStore(),
         devices: Int = 1, maxQueued: Int = 1000, start: Bool = true) async throws {
        self.configuration = configuration
        self.store = store
        self.images = images
        let jobs = JobManager(store: store, images: images, generator: generator,
                              catalog: FixedModelCatalog(models, directory: "/models"),
                              devices: (0..<devices).map { ComputeDevice(kind: .cpu, index: $0, name: "test CPU \($0)") },
                              events: EventHub(pingInterval: .milliseconds(200)), maxQueued: maxQueued)
        if start { try await jobs.start() }
        services = ServerServices(jobs: jobs, system: FixedSystemMonitor(SystemSnapshot(
            cpuName: "Test CPU", cpuThreads: 2, gpuNote: "no GPU in tests", ramTotal: 8 << 30, ramAvailable: 6 << 30,
            processResident: 100 << 20, processPeak: 120 << 20)))
        let router = buildRouter(configuration: configuration, services: services)
        routes = router.routes.map { "\($0.method) \($0.path)" }
        responder = router.buildResponder()
    }

    var jobs: JobManager { services.jobs }

    func stop() async { await services.jobs.stop() }

    func request(_ method: HTTPRequest.Method, _ path: String, json: String? = nil, body: [UInt8]? = nil,
                 headers: HTTPFields = [:], host: String = "127.0.0.1:6006") async throws -> TestResponse {
        var fields = headers
        var bytes: [UInt8] = []
        if let json {
            bytes = Array(json.utf8)
            if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        } else if let body {
            bytes = body
        }
        if !bytes.isEmpty { fields[.contentLength] = String(bytes.count) }
        let head = HTTPRequest(method: method, scheme: "http", authority: host, path: path, headerFields: fields)
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(bytes: bytes)))
        let context = BantamRequestContext(source: ApplicationRequestContextSource(
            channel: EmbeddedChannel(), logger: Logger(label: "test")))
        let response = try await responder.respond(to: request, context: context)
        let collector = BodyCollector()
        try await response.body.write(collector)
        return TestResponse(status: response.status, headers: response.headers, body: collector.bytes.withLockedValue { $0 })
    }

    func get(_ path: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await request(.get, path, headers: headers)
    }

    func post(_ path: String, _ json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await request(.post, path, json: json, headers: headers)
    }

    /// Submits a job; returns its id (fails the test on a refusal).
    func submit(_ json: String) async throws -> String {
        let response = try await post("/api/v1/jobs", json)
        #expect(response.status == .accepted, "\(response.text)")
        return try #require(try response.object()["id"]?.stringValue)
    }

    /// Polls the job until it is final. The limit is generous: the whole suite runs in parallel on 2 cores,
    /// where a test's tasks can wait tens of seconds for a thread; a passing test never waits for it.
    func waitFinal(_ id: String, timeout: Double = 90) async throws -> JSONObject {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let job = try await get("/api/v1/jobs/\(id)").object()
            if let status = job["status"]?.stringValue, !["queued", "running"].contains(status) { return job }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("job \(id) did not finish within \(timeout) s")
        throw CancellationError()
    }
}

/// A generator that holds every generation until released (or cancelled), to test the queue while jobs
/// are running.
final class HeldGenerator: ImageGenerator {
    private let state = NIOLockedValueBox((released: false, started: 0))
    let inner = FakeImageGenerator()
    /// Images of a batch before this index are made at once; from it on they wait.
    let holdFromIndex: Int

    init(holdFromIndex: Int = 0) { self.holdFromIndex = holdFromIndex }

    func release() { state.withLockedValue { $0.released = true } }
    var started: Int { state.withLockedValue { $0.started } }

    func generate(_ request: ImageRequest, cancellation: CancellationFlag,
                  progress: @escaping @Sendable (GenerationProgress) -> Void) async throws -> GeneratedImage {
        state.withLockedValue { $0.started += 1 }
        if request.index < holdFromIndex { return try await inner.generate(request, cancellation: cancellation, progress: progress) }
        progress(GenerationProgress(phase: .denoising, step: 1, steps: request.parameters.steps, secondsPerStep: 0.5,
                                    etaSeconds: 1, preview: FakeImageGenerator.picture(prompt: "p", seed: 1, width: 8, height: 8)))
        while !state.withLockedValue({ $0.released }) {
            try cancellation.check()
            try await Task.sleep(for: .milliseconds(2))
        }
        return try await inner.generate(request, cancellation: cancellation, progress: progress)
    }
}

/// Waits until `condition` holds (polling), failing the test after `timeout` seconds (generous, like
/// `waitFinal`'s: on a loaded 2-core machine a task can wait tens of seconds to be scheduled).
func eventually(_ what: String, timeout: Double = 90, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(2))
    }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}

extension JSONObject {
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func int(_ key: String) -> Int? { self[key]?.integerValue }
    func object(_ key: String) -> JSONObject? { self[key]?.objectValue }
    func array(_ key: String) -> [JSONValue] { self[key]?.arrayValue ?? [] }
}

/// The JSON object in `text` (an A1111 `info` string, say); fails the test when there is none.
func jsonObject(_ text: String?) throws -> JSONObject {
    let text = try #require(text)
    return try #require(try JSONParser.parse(text).objectValue, "not a JSON object: \(text.prefix(200))")
}
