extension PostgresDocumentStore {
    /// For `memctx doctor`: the extensions memctx needs that the database lacks. Looks only.
    package func missingExtensions() async throws -> [String] {
        let installed = Set(try await fetchStrings(unsafeSQL: "SELECT extname FROM pg_extension"))
        return PostgresSchema.extensions.filter { !installed.contains($0) }
    }

    /// The schema version this build of memctx migrates to.
    package static var expectedSchemaVersion: String { PostgresSchema.currentVersion }
}
