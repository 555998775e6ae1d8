import Foundation
import PackagePlugin

/// Build-tool plugin: compiles the files under the target's Assets/ folder into Swift
/// (`EmbeddedAssets.files`, one string literal per file), so the `bantam` binary serves its console with
/// no files beside it and no Foundation resources. Runs again whenever an asset changes.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let folder = module.directoryURL.appending(path: "Assets")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { !$0.hasPrefix(".") }.sorted()
        let inputs = names.map { folder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [.buildCommand(
            displayName: "Embedding \(inputs.count) console assets into \(target.name)",
            executable: try context.tool(named: "EmbedAssetsTool").url,
            arguments: [output.path] + inputs.map(\.path),
            inputFiles: inputs,
            outputFiles: [output])]
    }
}
