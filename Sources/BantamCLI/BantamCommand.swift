import ArgumentParser

/// The root of the `bantam` command: it only lists the subcommands.
public struct BantamCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bantam",
        abstract: "Runs image diffusion transformers on the GPUs people own.",
        subcommands: []
    )
    public init() {}
}
