import ContextCore
import Foundation
import PostgresStorage
import Testing

@Suite("PostgreSQL schema", .postgresServer)
struct PostgresSchemaTests {
    @Test func migrationsAreRecordedAndIdempotent() async throws {
        let schema = PostgresTestDatabase.makeSchemaName()
        try await PostgresTestDatabase.withStore(schema: schema) { store in
            #expect(try await store.schemaVersion() == "v2")
            #expect(try await store.appliedMigrations() == ["v1", "v2"])
            let keys = try await store.fetchStrings(unsafeSQL: "SELECT key FROM db_metadata ORDER BY key")
            #expect(keys == ["migration:v1", "migration:v2", "schema_version"])

            // Again, and from two more stores at once (as processes starting together would): nothing twice.
            try await store.migrate()
            let configuration = try PostgresTestDatabase.configuration(schema: schema)
            async let first: Void = Self.migrate(configuration)
            async let second: Void = Self.migrate(configuration)
            _ = try await (first, second)
            #expect(try await store.appliedMigrations() == ["v1", "v2"])
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT count(*)::text FROM db_metadata") == ["3"])
        }
    }

    private static func migrate(_ configuration: PostgresConfiguration) async throws {
        let store = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
        try await store.withRunning { try await store.migrate() }
    }

    @Test func tablesUsePostgreSQLTypes() async throws {
        try await PostgresTestDatabase.withStore { store in
            let rows = try await store.fetchStrings(
                unsafeSQL: """
                    SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
                    WHERE table_schema = current_schema()
                    """
            )
            var types: [String: String] = [:]
            for row in rows {
                let parts = row.split(separator: " ", maxSplits: 1).map(String.init)
                types[parts[0]] = parts[1]
            }
            let tables = Set(types.keys.map { String($0.split(separator: ".")[0]) })
            #expect(
                tables == [
                    "sessions", "checkpoints", "patterns", "tags", "session_tags", "pattern_tags", "context_loads",
                    "privacy_audit", "db_metadata", "embedding_status", "purged_sessions", "applied_changes",
                ]
            )
            let expected = [
                "sessions.id": "uuid", "sessions.parent_session_id": "uuid", "sessions.source_checkpoint_id": "uuid",
                "sessions.created_at": "timestamp with time zone", "sessions.archived_at": "timestamp with time zone",
                "sessions.metadata": "jsonb", "sessions.decisions": "jsonb", "sessions.conversation": "jsonb",
                "sessions.file_changes": "jsonb", "sessions.pii_detected": "boolean",
                "sessions.pii_redacted": "boolean",
                "sessions.search_vector": "tsvector",
                "checkpoints.id": "uuid", "checkpoints.session_id": "uuid", "checkpoints.tags": "jsonb",
                "checkpoints.metadata": "jsonb", "checkpoints.created_at": "timestamp with time zone",
                "patterns.id": "uuid", "patterns.pattern_json": "jsonb", "patterns.is_latest": "boolean",
                "patterns.deprecated": "boolean", "patterns.confidence": "double precision",
                "patterns.last_used_at": "timestamp with time zone",
                "session_tags.session_id": "uuid", "pattern_tags.pattern_id": "uuid",
                "context_loads.id": "uuid", "context_loads.pattern_ids": "jsonb",
                "privacy_audit.item_id": "uuid", "privacy_audit.detected": "jsonb",
                "privacy_audit.anonymized": "boolean",
                "embedding_status.item_id": "uuid", "embedding_status.updated_at": "timestamp with time zone",
                "db_metadata.updated_at": "timestamp with time zone",
            ]
            for (column, type) in expected { #expect(types[column] == type, "\(column)") }
            for (column, type) in types where column.hasSuffix("_at") {
                #expect(type == "timestamp with time zone", "\(column) is \(type)")
            }
        }
    }

    @Test func indexesServeListingsFullTextAndFuzzyNames() async throws {
        try await PostgresTestDatabase.withStore { store in
            let definitions = try await store.fetchStrings(
                unsafeSQL: "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            )
            func definition(_ name: String) -> String { definitions.first { $0.hasPrefix(name + " ") } ?? "" }
            #expect(definition("sessions_project_created").contains("(project, created_at DESC, id DESC)"))
            #expect(definition("checkpoints_session_created").contains("(session_id, created_at DESC, id DESC)"))
            #expect(definition("patterns_project_created").contains("(project, created_at DESC, id DESC)"))
            for table in ["sessions", "checkpoints", "patterns"] {
                #expect(definition("\(table)_search").contains("USING gin (search_vector)"), "\(table)")
            }
            #expect(definition("sessions_title_trgm").contains("gin (title gin_trgm_ops)"))
            #expect(definition("patterns_name_trgm").contains("gin (name gin_trgm_ops)"))
            #expect(definition("checkpoints_description_trgm").contains("gin (description gin_trgm_ops)"))
        }
    }

    @Test func constraintsGuardTheData() async throws {
        try await PostgresTestDatabase.withStore { store in
            var pattern = Pattern(
                id: ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00")!, project: "p", patternType: .code, name: "n",
                at: Date())
            pattern.confidence = 1.5
            await #expect { try await store.savePattern(pattern, audit: nil) } throws: { error in
                (error as? ContextError)?.code == .invalidInput
            }
            // A checkpoint needs its session (foreign key).
            let orphan = Checkpoint(
                id: ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f01")!, sessionID: pattern.id, project: "p",
                description: "d", at: Date())
            await #expect(throws: ContextError.self) {
                try await store.saveCheckpoint(orphan, creating: nil, audits: [])
            }
            let checks = try await store.fetchStrings(
                unsafeSQL: """
                    SELECT count(*)::text FROM information_schema.check_constraints c
                    JOIN information_schema.constraint_column_usage u
                        ON u.constraint_schema = c.constraint_schema AND u.constraint_name = c.constraint_name
                    WHERE u.table_schema = current_schema() AND u.table_name = 'patterns' AND u.column_name = 'success_rate'
                    """
            )
            #expect(checks == ["1"])
        }
    }
}
