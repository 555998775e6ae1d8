import ArgumentParser

/// The root of the `bantam` command: it only lists the subcommands (one file each under Commands/).
public struct BantamCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bantam",
        abstract: "Runs image diffusion transformers on the GPUs people own.",
        discussion: """
            Exit status: 0 success; 1 bad input or failed work (missing path, malformed checkpoint, ...); \
            2 bad command line; 3 not available in this build yet.
            """,
        version: "bantam \(BantamVersion.current)",
        subcommands: [GenerateCommand.self, InspectCommand.self, QuantizeCommand.self, BenchCommand.self, DemoCommand.self,
                      DoctorCommand.self, ServeCommand.self]
    )
    public init() {}
}
