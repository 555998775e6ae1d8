import PackagePlugin

/// Build-tool plugin: every CUDA source (`.cu`, `.cuh`) of the target becomes a string in a generated Swift
/// file, so kernel sources reach the binary without Foundation's `Bundle` or resource files. The generated
/// table is `KernelSources.embedded` (see Sources/BantamCUDA/Kernels/KernelSources.swift).
///
/// The command is re-planned on every build; it reruns when a kernel file is added, removed or edited.
@main
struct EmbedKernelSources: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let kernels = module.sourceFiles
            .filter { $0.url.pathExtension == "cu" || $0.url.pathExtension == "cuh" }
            .map(\.url)
            .sorted { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedKernelSources.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(kernels.count) CUDA kernel sources of \(target.name)",
                executable: try context.tool(named: "EmbedKernelSourcesTool").url,
                arguments: [output.path] + kernels.map(\.path),
                inputFiles: kernels,
                outputFiles: [output]
            ),
        ]
    }
}
