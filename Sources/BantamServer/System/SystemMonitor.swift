#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One GPU as the resource panel shows it. Memory in bytes; nil when unknown.
public struct GPUStatus: Sendable, Equatable {
    public var name: String
    public var memoryTotal: Int?
    public var memoryUsed: Int?
    /// Highest use seen by this process since it started.
    public var memoryPeak: Int?
    public init(name: String, memoryTotal: Int? = nil, memoryUsed: Int? = nil, memoryPeak: Int? = nil) {
        self.name = name
        self.memoryTotal = memoryTotal
        self.memoryUsed = memoryUsed
        self.memoryPeak = memoryPeak
    }
}

/// What the resource panel shows: GPUs and their memory, system RAM, this process's memory.
public struct SystemSnapshot: Sendable, Equatable {
    public var cpuName: String
    public var cpuThreads: Int
    public var gpus: [GPUStatus]
    /// What runs where (no GPU, or a GPU the jobs cannot use yet).
    public var gpuNote: String?
    public var ramTotal: Int?
    public var ramAvailable: Int?
    public var processResident: Int?
    public var processPeak: Int?

    public init(cpuName: String, cpuThreads: Int, gpus: [GPUStatus] = [], gpuNote: String? = nil, ramTotal: Int? = nil,
                ramAvailable: Int? = nil, processResident: Int? = nil, processPeak: Int? = nil) {
        self.cpuName = cpuName
        self.cpuThreads = cpuThreads
        self.gpus = gpus
        self.gpuNote = gpuNote
        self.ramTotal = ramTotal
        self.ramAvailable = ramAvailable
        self.processResident = processResident
        self.processPeak = processPeak
    }

    public var json: JSONOut {
        ["cpu": ["name": .string(cpuName), "threads": .int(cpuThreads)],
         "gpus": .array(gpus.map { g in
             ["name": .string(g.name), "vram_total": .optional(g.memoryTotal), "vram_used": .optional(g.memoryUsed),
              "vram_peak": .optional(g.memoryPeak)] as JSONOut
         }),
         "gpu_note": .optional(gpuNote),
         "ram": ["total": .optional(ramTotal), "available": .optional(ramAvailable),
                 "used": ramTotal.flatMap { t in ramAvailable.map { t - $0 } }.map(JSONOut.int) ?? .null],
         "process": ["resident": .optional(processResident), "peak": .optional(processPeak)]]
    }
}

/// Reads the machine's resources.
public protocol SystemMonitor: Sendable {
    func snapshot() -> SystemSnapshot
}

/// A fixed snapshot (tests).
public struct FixedSystemMonitor: SystemMonitor {
    public let value: SystemSnapshot
    public init(_ value: SystemSnapshot) { self.value = value }
    public func snapshot() -> SystemSnapshot { value }
}

/// Linux's /proc: MemTotal and MemAvailable from /proc/meminfo, VmRSS and VmHWM from /proc/self/status,
/// the CPU's model name from /proc/cpuinfo. GPUs come from `gpus` (the CUDA backend, once there is one).
public struct ProcSystemMonitor: SystemMonitor {
    private let cpuName: String
    private let gpus: @Sendable () -> [GPUStatus]
    private let gpuNote: String?

    public init(gpus: @escaping @Sendable () -> [GPUStatus] = { [] },
                gpuNote: String? = "no GPU backend in this build: jobs run on the CPU") {
        self.gpus = gpus
        self.gpuNote = gpuNote
        let info = String(decoding: ((try? Files.read("/proc/cpuinfo", limit: 1 << 22)) ?? nil) ?? [], as: UTF8.self)
        let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
        cpuName = line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: " \t") } ?? "CPU"
    }

    public func snapshot() -> SystemSnapshot {
        let meminfo = Self.keyedKilobytes("/proc/meminfo")
        let status = Self.keyedKilobytes("/proc/self/status")
        let gpuList = gpus()
        return SystemSnapshot(cpuName: cpuName, cpuThreads: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), gpus: gpuList,
                              gpuNote: gpuNote, ramTotal: meminfo["MemTotal"],
                              ramAvailable: meminfo["MemAvailable"], processResident: status["VmRSS"], processPeak: status["VmHWM"])
    }

    /// "Key:   1234 kB" lines as bytes.
    static func keyedKilobytes(_ path: String) -> [String: Int] {
        guard let bytes = (try? Files.read(path, limit: 1 << 20)) ?? nil else { return [:] }
        var values: [String: Int] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let fields = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let number = fields.first.flatMap({ Int($0) }), fields.count == 2, fields[1] == "kB" {
                values[String(parts[0])] = number * 1024
            }
        }
        return values
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        return String(drop(while: { chars.contains($0) }).reversed().drop(while: { chars.contains($0) }).reversed())
    }
}
