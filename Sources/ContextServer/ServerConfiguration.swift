package import ContextProtocol
package import Foundation

/// What the composition root tells the server about its surroundings.
package struct ServerConfiguration: Sendable {
    /// When the process started; `health` reports it and the uptime.
    package var startedAt: Date = Date()
    /// The monotonic instant of the start, for the uptime.
    package var startInstant: ContinuousClock.Instant = .now
    /// The backends the composition root configured, by role (`local`, `central`, …); empty until storage
    /// exists.
    package var backends: [String: Health.Backend] = [:]
    /// Backends whose state `health` asks for on each call (the central PostgreSQL and ChromaDB), by role;
    /// their answers are listed with `backends`.
    package var backendChecks: [String: @Sendable () async -> Health.Backend] = [:]
    /// The embedding model's state, asked for on each `health` call (it may still be loading at start).
    package var embedding: (@Sendable () async -> Health.Embedding)?
    /// With a central repository: the sync state (`health`, `stats`) and a forced sync (`sync`).
    package var syncState: (@Sendable () async -> Health.SyncState)?
    /// The forced sync reports the changes pushed so far and how many were waiting when it began.
    package var syncNow: (@Sendable (_ progress: (@Sendable (_ pushed: Int, _ total: Int) -> Void)?) async -> Sync.Result)?

    package init() {}
}
