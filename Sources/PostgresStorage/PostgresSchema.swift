import PostgresNIO

/// The versioned schema of the central repository. A migration is a list of statements applied in one
/// transaction, recorded in `db_metadata` (`schema_version`, and `migration:<name>` with the time it was
/// applied); migrations are never edited once released: a change is a new migration.
///
/// The nine tables mirror the local SQLite schema (docs/decisions/0002) with PostgreSQL types: ids are
/// `uuid`, times `timestamptz`, JSON `jsonb`, flags `boolean`. Differences from SQLite:
/// - no `seq` column (no FTS5 rowid to key on): full-text search reads a generated, weighted `tsvector`
///   column per searchable table (GIN), and fuzzy matching a trigram GIN index on the name or title;
/// - `embedding_status` instead of `embeddings`: which items have a vector in ChromaDB, by which model
///   (the vectors themselves live in ChromaDB);
/// - no `outbox` / `sync_state`: those are local-only.
enum PostgresSchema {
    struct Migration: Sendable {
        var name: String
        var statements: [PostgresQuery]
    }

    /// The extensions v1 needs: pg_trgm for fuzzy names, pgcrypto (`gen_random_uuid()` on PostgreSQL < 13)
    /// and uuid-ossp for ids made by hand in SQL. Created by `migrate()` when missing.
    static let extensions = ["pg_trgm", "pgcrypto", "uuid-ossp"]

    static let migrations = [Migration(name: "v1", statements: v1), Migration(name: "v2", statements: v2)]

    static var currentVersion: String { migrations.last!.name }

    /// Key of the transaction-level advisory lock that serialises migrations across processes ("memctx" in
    /// ASCII, then 1); fixed, so every version of memctx takes the same lock.
    static let migrationLockKey: Int64 = 0x6D65_6D63_7478_0001

    /// Words of text for the full-text index: punctuation becomes space first, so the index splits words the
    /// way the search terms do (`TextTerms`: runs of letters and digits) rather than keeping URLs, paths,
    /// `snake_case` names or hyphenated words whole.
    private static func words(_ expression: String) -> String {
        "to_tsvector('simple'::regconfig, regexp_replace(coalesce(\(expression), ''), '[[:punct:]]+', ' ', 'g'))"
    }

    private static func weighted(_ parts: [(String, Character)]) -> String {
        parts.map { "setweight(\(words($0.0)), '\($0.1)')" }.joined(separator: "\n            || ")
    }

    /// Version 1: the nine tables, `embedding_status`, their constraints and indexes.
    ///
    /// Listing indexes follow the listing order (project, created_at DESC, id DESC); full-text indexes are GIN
    /// over a stored generated `tsvector` weighted like the SQLite bm25 weights (A: title / name / checkpoint
    /// description; B: decisions, tags, pattern description; C: the rest); trigram indexes are GIN with
    /// `gin_trgm_ops`. Checkpoint content is indexed up to its first 100,000 characters (a `tsvector` holds at
    /// most 1 MB).
    private static let v1: [PostgresQuery] = [
        """
        CREATE TABLE db_metadata (
            key text PRIMARY KEY,
            value text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE sessions (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            project text NOT NULL CHECK (char_length(project) BETWEEN 1 AND 200),
            title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 500),
            description text,
            context_summary text,
            privacy_level text NOT NULL DEFAULT 'team' CHECK (privacy_level IN ('public', 'team', 'private')),
            status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'deleted')),
            session_type text,
            conversation jsonb,
            decisions jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(decisions) = 'array'),
            file_changes jsonb,
            metadata jsonb CHECK (metadata IS NULL OR jsonb_typeof(metadata) = 'object'),
            parent_session_id uuid REFERENCES sessions(id) ON DELETE SET NULL,
            source_checkpoint_id uuid,
            duration_minutes integer CHECK (duration_minutes >= 0),
            messages_count integer CHECK (messages_count >= 0),
            files_changed integer CHECK (files_changed >= 0),
            pii_detected boolean NOT NULL DEFAULT false,
            pii_redacted boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            accessed_at timestamptz,
            archived_at timestamptz,
            search_vector tsvector GENERATED ALWAYS AS (
                \(unescaped: weighted([("title", "A"), ("decisions::text", "B"), ("description", "C"), ("context_summary", "C")]))
            ) STORED
        )
        """,
        "CREATE INDEX sessions_project_created ON sessions (project, created_at DESC, id DESC)",
        "CREATE INDEX sessions_created ON sessions (created_at DESC, id DESC)",
        "CREATE INDEX sessions_parent ON sessions (parent_session_id)",
        "CREATE INDEX sessions_search ON sessions USING gin (search_vector)",
        "CREATE INDEX sessions_title_trgm ON sessions USING gin (title gin_trgm_ops)",
        """
        CREATE TABLE checkpoints (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            project text NOT NULL CHECK (char_length(project) BETWEEN 1 AND 200),
            description text NOT NULL CHECK (char_length(description) >= 1),
            content text,
            checkpoint_path text,
            git_commit_hash text CHECK (char_length(git_commit_hash) BETWEEN 4 AND 64),
            git_branch text,
            tags jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(tags) = 'array'),
            metadata jsonb CHECK (metadata IS NULL OR jsonb_typeof(metadata) = 'object'),
            privacy_level text NOT NULL DEFAULT 'team' CHECK (privacy_level IN ('public', 'team', 'private')),
            created_at timestamptz NOT NULL,
            accessed_at timestamptz,
            search_vector tsvector GENERATED ALWAYS AS (
                \(unescaped: weighted([("description", "A"), ("tags::text", "B"), ("left(content, 100000)", "C")]))
            ) STORED
        )
        """,
        "CREATE INDEX checkpoints_session_created ON checkpoints (session_id, created_at DESC, id DESC)",
        "CREATE INDEX checkpoints_project_created ON checkpoints (project, created_at DESC, id DESC)",
        "CREATE INDEX checkpoints_created ON checkpoints (created_at DESC, id DESC)",
        "CREATE INDEX checkpoints_tags ON checkpoints USING gin (tags jsonb_path_ops)",
        "CREATE INDEX checkpoints_search ON checkpoints USING gin (search_vector)",
        "CREATE INDEX checkpoints_description_trgm ON checkpoints USING gin (description gin_trgm_ops)",
        """
        CREATE TABLE patterns (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            project text NOT NULL CHECK (char_length(project) BETWEEN 1 AND 200),
            pattern_type text NOT NULL
                CHECK (pattern_type IN ('workflow', 'decision', 'code', 'error', 'architecture', 'configuration')),
            name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 500),
            description text,
            template text,
            pattern_json jsonb,
            confidence double precision NOT NULL DEFAULT 0.5 CHECK (confidence BETWEEN 0 AND 1),
            quality_score double precision CHECK (quality_score BETWEEN 0 AND 1),
            frequency integer NOT NULL DEFAULT 1 CHECK (frequency >= 1),
            reuse_count integer NOT NULL DEFAULT 0 CHECK (reuse_count >= 0),
            success_rate double precision CHECK (success_rate BETWEEN 0 AND 1),
            source_session_id uuid REFERENCES sessions(id) ON DELETE SET NULL,
            parent_pattern_id uuid REFERENCES patterns(id) ON DELETE SET NULL,
            version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
            is_latest boolean NOT NULL DEFAULT true,
            deprecated boolean NOT NULL DEFAULT false,
            privacy_level text NOT NULL DEFAULT 'team' CHECK (privacy_level IN ('public', 'team', 'private')),
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            last_used_at timestamptz,
            search_vector tsvector GENERATED ALWAYS AS (
                \(unescaped: weighted([("name", "A"), ("description", "B"), ("template", "C")]))
            ) STORED
        )
        """,
        "CREATE INDEX patterns_project_created ON patterns (project, created_at DESC, id DESC)",
        "CREATE INDEX patterns_created ON patterns (created_at DESC, id DESC)",
        "CREATE INDEX patterns_project_type ON patterns (project, pattern_type)",
        "CREATE INDEX patterns_source_session ON patterns (source_session_id)",
        "CREATE INDEX patterns_parent ON patterns (parent_pattern_id)",
        "CREATE INDEX patterns_search ON patterns USING gin (search_vector)",
        "CREATE INDEX patterns_name_trgm ON patterns USING gin (name gin_trgm_ops)",
        """
        CREATE TABLE tags (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE CHECK (char_length(name) BETWEEN 1 AND 64),
            created_at timestamptz NOT NULL
        )
        """,
        """
        CREATE TABLE session_tags (
            session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            tag_id bigint NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (session_id, tag_id)
        )
        """,
        "CREATE INDEX session_tags_tag ON session_tags (tag_id)",
        """
        CREATE TABLE pattern_tags (
            pattern_id uuid NOT NULL REFERENCES patterns(id) ON DELETE CASCADE,
            tag_id bigint NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (pattern_id, tag_id)
        )
        """,
        "CREATE INDEX pattern_tags_tag ON pattern_tags (tag_id)",
        """
        CREATE TABLE context_loads (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            project text NOT NULL,
            query text NOT NULL,
            session_id uuid REFERENCES sessions(id) ON DELETE SET NULL,
            checkpoint_ids jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(checkpoint_ids) = 'array'),
            pattern_ids jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(pattern_ids) = 'array'),
            decision_count integer NOT NULL DEFAULT 0 CHECK (decision_count >= 0),
            tokens_used integer NOT NULL CHECK (tokens_used >= 0),
            token_budget integer NOT NULL CHECK (token_budget > 0),
            created_at timestamptz NOT NULL
        )
        """,
        "CREATE INDEX context_loads_project_created ON context_loads (project, created_at)",
        "CREATE INDEX context_loads_session ON context_loads (session_id)",
        """
        CREATE TABLE privacy_audit (
            id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            item_kind text NOT NULL CHECK (item_kind IN ('session', 'checkpoint', 'pattern')),
            item_id uuid,
            level text NOT NULL CHECK (level IN ('public', 'team', 'private')),
            detected jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detected) = 'object'),
            redacted jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(redacted) = 'object'),
            anonymized boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL,
            CHECK (anonymized OR item_id IS NOT NULL)
        )
        """,
        "CREATE INDEX privacy_audit_item ON privacy_audit (item_kind, item_id)",
        """
        CREATE TABLE embedding_status (
            kind text NOT NULL CHECK (kind IN ('session', 'checkpoint', 'pattern')),
            item_id uuid NOT NULL,
            model text NOT NULL CHECK (char_length(model) BETWEEN 1 AND 200),
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (kind, item_id, model)
        )
        """,
        "CREATE INDEX embedding_status_model ON embedding_status (model, kind)",
    ]

    /// Version 2 (offline sync): the ids of erased sessions, so that a change still queued on another machine
    /// cannot bring an erased session or its checkpoints back (a purge wins over everything, docs/sync.md),
    /// and the keys of pattern changes applied from replicas, so a replayed merge is counted once. Only ids
    /// and keys are kept, never text.
    private static let v2: [PostgresQuery] = [
        """
        CREATE TABLE purged_sessions (
            id uuid PRIMARY KEY,
            purged_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        """
        CREATE TABLE applied_changes (
            key text PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """,
    ]
}
