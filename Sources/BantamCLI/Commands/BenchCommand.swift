import ArgumentParser

/// `bantam bench ...`: timings of the backends' kernels.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time the backends' kernels.",
        subcommands: [BenchCPUCommand.self, BenchGEMMCommand.self, BenchAttentionCommand.self, BenchMemoryCommand.self]
    )
}
