import ArgumentParser
import BantamCore
import BantamCPU
import BantamCUDA
import BantamServer
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `bantam serve`: the web console and the HTTP APIs (native job API, A1111-compatible routes), with a
/// job queue whose history survives restarts. Works with no network: the page is inside the binary.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web console and the HTTP APIs (job queue, history, A1111-compatible routes).",
        discussion: """
            Open http://127.0.0.1:6006/ in a browser. Models are the files and folders in --models (FLUX.1 \
            diffusers folders, ComfyUI all-in-one files); the history (SQLite) and the images live in --data. \
            Binds 127.0.0.1 unless --host says otherwise; with --token (or BANTAM_TOKEN) every request needs \
            'Authorization: Bearer TOKEN' — open /?token=TOKEN once in the browser. The API is described at \
            /api/v1/openapi.json.
            """
    )

    @Option(name: .long, help: "Folder with the models (each file or subfolder is one model).") var models = "models"
    @Option(name: .long, help: "Port to listen on (0 picks a free one and prints it).") var port = 6006
    @Option(name: .long, help: "Address to bind; 0.0.0.0 serves other machines (use --token then).") var host = "127.0.0.1"
    @Option(name: .long, help: "Folder for the history database and the images (default: $XDG_DATA_HOME/bantam or ~/.local/share/bantam).")
    var data: String?
    @Option(name: .long, help: "Require this bearer token on every request (default: BANTAM_TOKEN, if set).") var token: String?
    @Flag(name: .long, help: ArgumentHelp("Draw test pictures instead of running models (for trying the console).", visibility: .hidden))
    var fakeGenerator = false
    @Option(name: .long, help: "Where jobs run: auto (a worker per GPU the CUDA backend opens, else the CPU), cpu, cuda (GPU 0) or cuda:N.")
    var device = "auto"
    @Option(name: .long, parsing: .unconditional,
            help: "GPU memory budget per GPU: 8G, 512M, -1G (all but 1 GiB), 90% (default: BANTAM_VRAM, else free memory less 512 MiB).")
    var vram: String?
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535, got \(port)") }
        if let token, token.isEmpty || token.contains(where: { $0 == ";" || $0 == " " || $0 == "," || !$0.isASCII }) {
            throw ValidationError("--token must be non-empty printable ASCII without spaces, commas or semicolons")
        }
    }

    func run() async throws {
        let console = Console.output
        let dataFolder = data ?? Self.defaultDataFolder()
        let token = self.token ?? Self.environment("BANTAM_TOKEN").flatMap { $0.isEmpty ? nil : $0 }
        let version = "bantam \(BantamVersion.current)"
        let services: ServerServices
        var lock: DataFolderLock?
        do {
            try BantamServer.Files.createDirectory(dataFolder)
            lock = try DataFolderLock(folder: dataFolder)
            let store = try SQLiteJobStore(path: BantamServer.Files.join(dataFolder, "history.sqlite"))
            let images = try DiskImageStore(directory: BantamServer.Files.join(dataFolder, "images"))
            let catalog = DirectoryModelCatalog(directory: models) { id, path in FluxModelInspector.inspect(id: id, path: path) }
            let cpu = threadOptions.backend
            let workers = try Self.workers(device: device, vram: vram, cpu: cpu)
            let generator: any ImageGenerator = fakeGenerator
                ? FakeImageGenerator(stepDelay: .milliseconds(40))
                : FluxImageGenerator(version: version) { d in workers.backends[d.id] ?? cpu }
            console.line("Workers: " + workers.devices.map { "\($0.id) \($0.name)" }.joined(separator: ", ")
                         + (workers.note.map { " (\($0))" } ?? ""))
            let jobs = JobManager(store: store, images: images, generator: generator, catalog: catalog, devices: workers.devices,
                                  log: { message in Console.errors.line("bantam serve: \(message)") })
            let (requeued, interrupted) = try await jobs.start()
            let (gpus, gpuNote) = Self.gpus(workers: workers)
            services = ServerServices(jobs: jobs, system: ProcSystemMonitor(gpus: { gpus }, gpuNote: gpuNote))
            console.line("History: \(dataFolder) (\(requeued) queued job(s) resumed, \(interrupted) interrupted job(s) marked)")
            let usable = catalog.models(refresh: true).filter(\.usable)
            if usable.isEmpty {
                console.line("Models: none usable yet in \(models). \(catalog.helpWhenEmpty)")
            } else {
                console.line("Models: \(usable.map(\.id).joined(separator: ", ")) (from \(models))")
            }
            if fakeGenerator { console.line("Generator: test pictures (--fake-generator), no model runs") }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(String(describing: error))
        }

        let configuration = ServerConfiguration(host: host, port: port, token: token, version: version)
        for warning in configuration.warnings { Console.errors.line(warning) }
        var logger = Logger(label: "bantam.serve")
        logger.logLevel = .warning
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let app = buildApplication(configuration: configuration, services: services, logger: logger) { boundPort in
            console.line("Bantam console: http://\(shownHost):\(boundPort ?? port)/" + (token == nil ? "" : "  (token required)"))
            console.line("API: http://\(shownHost):\(boundPort ?? port)/api/v1/openapi.json · A1111 routes under /sdapi/v1 · Ctrl-C stops")
        }
        do {
            try await app.runService()
            withExtendedLifetime(lock) {}
        } catch {
            throw CLIError("cannot serve on \(host):\(port): \(error); is another server using the port? Try --port")
        }
    }

    /// The job workers: one per GPU the CUDA backend opens (`--device auto`, `cuda`, `cuda:N`), else one on
    /// the CPU; `note` says why the CPU was chosen when a GPU was looked for.
    struct Workers {
        var devices: [ComputeDevice]
        var backends: [String: any Backend]
        var note: String?
    }

    static func workers(device: String, vram: String?, cpu: CPUBackend) throws -> Workers {
        let cpuWorker = Workers(devices: [ComputeDevice(kind: .cpu, index: 0, name: "CPU (\(cpu.threads) threads)")],
                                backends: [:], note: nil)
        let budget: VRAMBudget?
        do { budget = try vram.map { try VRAMBudget.parse($0) } } catch { throw CLIError("--vram: \(error)") }
        let choice: DeviceOptions.Choice
        do { choice = try DeviceOptions.parse(device) } catch { throw CLIError("\(error)") }
        let ordinals: [Int]
        switch choice {
        case .cpu: return cpuWorker
        case .cuda(let n): ordinals = [n]
        case .auto:
            guard case .success(let runtime) = CUDARuntime.shared else {
                var w = cpuWorker
                if case .failure(let why) = CUDARuntime.shared { w.note = "no CUDA GPU: \(why.reason)" }
                return w
            }
            ordinals = Array(0..<runtime.deviceCount)
        }
        var result = Workers(devices: [], backends: [:], note: nil)
        var failures: [String] = []
        for ordinal in ordinals {
            switch CUDABackend.open(device: ordinal, budget: budget) {
            case .success(let backend):
                let d = ComputeDevice(kind: .gpu, index: ordinal, name: backend.device.name)
                result.devices.append(d)
                result.backends[d.id] = backend
            case .failure(let why):
                failures.append("cuda:\(ordinal): \(why.reason)")
            }
        }
        if result.devices.isEmpty {
            if choice != .auto { throw CLIError("--device \(device): " + failures.joined(separator: "; ")) }
            var w = cpuWorker
            w.note = failures.isEmpty ? "no CUDA GPU" : failures.joined(separator: "; ")
            return w
        }
        return result
    }

    /// The machine's NVIDIA GPUs for the resource panel, and a note on where jobs run.
    static func gpus(workers: Workers) -> ([GPUStatus], String) {
        let gpuWorkers = workers.devices.filter { $0.kind == .gpu }.count
        let runs = gpuWorkers > 0 ? "jobs run on \(gpuWorkers) GPU(s), one worker each" : "jobs run on the CPU"
        switch CUDARuntime.shared {
        case .failure(let why):
            let short = why.reason.split(separator: ":").first.map(String.init) ?? why.reason   // "no NVIDIA driver"
            return ([], "no CUDA GPU (\(short)): \(runs)")
        case .success(let runtime):
            let list = (0..<runtime.deviceCount).compactMap { ordinal in
                (try? CUDADeviceInfo(runtime: runtime, ordinal: ordinal)).map { GPUStatus(name: $0.name, memoryTotal: $0.totalMemory) }
            }
            return (list, workers.note.map { "\(runs) (\($0))" } ?? runs)
        }
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// $XDG_DATA_HOME/bantam, else ~/.local/share/bantam, else ./bantam-data.
    static func defaultDataFolder() -> String {
        if let xdg = environment("XDG_DATA_HOME"), !xdg.isEmpty { return BantamServer.Files.join(xdg, "bantam") }
        if let home = environment("HOME"), !home.isEmpty { return BantamServer.Files.join(home, ".local/share/bantam") }
        return "bantam-data"
    }
}
