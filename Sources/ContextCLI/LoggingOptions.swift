import ArgumentParser
import Foundation
import Logging

/// `--log-level`, defaulting to `MEMCTX_LOG_LEVEL`, then `info`. Logs always go to stderr.
struct LoggingOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Log level for stderr: trace, debug, info, notice, warning, error or critical.",
            discussion: "Overrides MEMCTX_LOG_LEVEL; the default is info.",
            valueName: "level"
        )
    )
    var logLevel: String?

    func validate() throws {
        _ = try resolvedLevel()
    }

    func resolvedLevel(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Logger.Level {
        if let logLevel {
            guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
                throw ValidationError("--log-level: '\(logLevel)' is not one of \(Self.levelNames)")
            }
            return level
        }
        if let value = environment["MEMCTX_LOG_LEVEL"], !value.isEmpty {
            guard let level = Logger.Level(rawValue: value.lowercased()) else {
                throw ValidationError("MEMCTX_LOG_LEVEL: '\(value)' is not one of \(Self.levelNames)")
            }
            return level
        }
        return .info
    }

    private static let levelNames = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")

    /// Sends every log line to stderr at the resolved level; called once per process.
    func bootstrap(label: String) throws -> Logger {
        let level = try resolvedLevel()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
