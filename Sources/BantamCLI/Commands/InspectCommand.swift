import ArgumentParser

/// `bantam inspect PATH`: what a checkpoint holds, from its headers alone (no weight is read).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a checkpoint holds: detected model, tensors, dtypes, sizes, metadata.",
        discussion: """
            PATH is a .safetensors file, a sharded set's .safetensors.index.json, or a folder (a diffusers \
            model folder gives one component per subfolder). Only headers are read.
            """
    )

    @Argument(help: "A .safetensors file, a .safetensors.index.json, or a model folder.")
    var path: String

    @OptionGroup var report: ReportOptions

    func run() throws {
        let found = try InspectReport.load(path)
        let out = Console.output
        if report.json {
            out.line(InspectJSONRenderer.document(found, tensorList: !report.summary).serialized())
        } else {
            InspectTextRenderer.render(found, tensorList: !report.summary, to: out)
        }
    }
}
