import ContextCore
import Foundation
import SentenceEmbedding

/// Configuration read from the environment and the working directory (DESIGN.md §8), resolved once by the
/// composition root. Library modules never read the environment themselves.
struct MemctxEnvironment: Sendable {
    /// The local data folder: `MEMCTX_HOME`, else `$XDG_DATA_HOME/memctx`, else `~/.local/share/memctx`.
    var home: String
    /// The default project: `MEMCTX_PROJECT`, else the git repository the process runs in, else `default`.
    var project: String
    /// The embedding model's files: `MEMCTX_MODEL_DIR`, else `models/all-MiniLM-L6-v2` in `home`.
    var modelDirectory: URL
    /// The central repository: `MEMCTX_DATABASE_URL` (PostgreSQL) and `MEMCTX_CHROMA_URL` (ChromaDB), both or
    /// neither. Secrets in them are never logged.
    var databaseURL: String?
    var chromaURL: String?
    /// `MEMCTX_CHROMA_TOKEN`, sent as `X-Chroma-Token`.
    var chromaToken: String?
    /// `MEMCTX_DATABASE_SCHEMA`: the PostgreSQL schema for memctx's tables (default: `public`).
    var databaseSchema: String?
    /// `MEMCTX_CHROMA_PREFIX`: put before the three collection names, to share one ChromaDB database.
    var chromaPrefix: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment, directory: String = FileManager.default.currentDirectoryPath) {
        if let home = environment["MEMCTX_HOME"], !home.isEmpty {
            self.home = home
        } else if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            self.home = (xdg as NSString).appendingPathComponent("memctx")
        } else {
            let base = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            self.home = (base as NSString).appendingPathComponent(".local/share/memctx")
        }
        modelDirectory = ModelDirectory.resolve(environment: environment, home: home)
        func value(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingWhitespace(), !value.isEmpty else { return nil }
            return value
        }
        databaseURL = value("MEMCTX_DATABASE_URL")
        chromaURL = value("MEMCTX_CHROMA_URL")
        chromaToken = value("MEMCTX_CHROMA_TOKEN")
        databaseSchema = value("MEMCTX_DATABASE_SCHEMA")
        chromaPrefix = value("MEMCTX_CHROMA_PREFIX")
        if let project = environment["MEMCTX_PROJECT"]?.trimmingWhitespace(), !project.isEmpty {
            self.project = String(project.prefix(Limits.project))
        } else {
            self.project = Self.gitRepositoryName(startingAt: directory) ?? "default"
        }
    }

    /// Whether a central repository is configured.
    var isCentral: Bool { databaseURL != nil || chromaURL != nil }

    /// The local database file.
    var databasePath: String { (home as NSString).appendingPathComponent("memctx.db") }

    /// The name of the folder holding `.git`, walking up from `directory`.
    static func gitRepositoryName(startingAt directory: String) -> String? {
        var current = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) {
                let name = current.lastPathComponent
                return name.isEmpty || name == "/" ? nil : name
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }
}
