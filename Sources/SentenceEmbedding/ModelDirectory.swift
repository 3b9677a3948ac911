package import Foundation

/// Where the model files live: `MEMCTX_MODEL_DIR`, else `models/all-MiniLM-L6-v2` in the memctx home
/// (`MEMCTX_HOME`, else `$XDG_DATA_HOME/memctx`, else `~/.local/share/memctx`) — the folder
/// scripts/fetch-model.sh installs into. A pure function of the environment it is given.
package enum ModelDirectory {
    package static let folderName = "models/all-MiniLM-L6-v2"

    package static func resolve(environment: [String: String], home: String? = nil) -> URL {
        if let directory = environment["MEMCTX_MODEL_DIR"], !directory.isEmpty {
            return URL(fileURLWithPath: directory, isDirectory: true)
        }
        let base: String
        if let home {
            base = home
        } else if let home = environment["MEMCTX_HOME"], !home.isEmpty {
            base = home
        } else if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            base = (xdg as NSString).appendingPathComponent("memctx")
        } else {
            let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            base = (user as NSString).appendingPathComponent(".local/share/memctx")
        }
        return URL(fileURLWithPath: (base as NSString).appendingPathComponent(folderName), isDirectory: true)
    }

    /// Whether `directory` holds every file the model needs.
    package static func isComplete(_ directory: URL) -> Bool {
        SentenceEmbeddingModel.requiredFiles.allSatisfy {
            FileManager.default.isReadableFile(atPath: directory.appendingPathComponent($0).path)
        }
    }
}
