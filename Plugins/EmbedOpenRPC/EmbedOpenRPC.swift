import Foundation
import PackagePlugin

/// Generates `OpenRPCDocument+Embedded.swift` from `protocol/openrpc.json`, so the binary answers
/// `rpc.discover` from the very document the repository ships, without reading files at run time.
@main
struct EmbedOpenRPC: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let input = context.package.directoryURL.appending(path: "protocol/openrpc.json")
        let output = context.pluginWorkDirectoryURL.appending(path: "OpenRPCDocument+Embedded.swift")
        return [
            .buildCommand(
                displayName: "Embedding protocol/openrpc.json",
                executable: try context.tool(named: "EmbedResourceTool").url,
                arguments: [input.path(), output.path(), "embeddedOpenRPCDocument"],
                inputFiles: [input],
                outputFiles: [output]
            )
        ]
    }
}
