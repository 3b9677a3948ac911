import GRDB

/// The versioned schema. Migrations are registered by name and never edited once released (GRDB's rule):
/// a change is a new migration. Each one also records itself in `db_metadata`.
enum SQLiteSchema {
    static let currentVersion = "v3"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
            try record("v1", in: db)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: v2)
            try record("v2", in: db)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: v3)
            try record("v3", in: db)
        }
        return migrator
    }

    private static func record(_ version: String, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO db_metadata(key, value, updated_at) VALUES ('schema_version', ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))
                ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;
                INSERT INTO db_metadata(key, value, updated_at)
                VALUES ('migration:' || ?, strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now'));
                """,
            arguments: [version, version]
        )
    }

    /// Version 3: the outbox is looked up by item (a change already queued for an item is not queued twice,
    /// and a purge drops the item's queued changes), and a pattern merge carries how much it added to the
    /// pattern's frequency (merges made on several machines add up centrally). `cached_items` lists the copies
    /// of central items kept for offline reads (bounded; the oldest are forgotten first).
    private static let v3 = """
        CREATE INDEX outbox_item ON outbox(item_kind, item_id);
        ALTER TABLE outbox ADD COLUMN frequency_delta INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE cached_items (
            item_kind TEXT NOT NULL CHECK (item_kind IN ('session', 'checkpoint', 'pattern')),
            item_id TEXT NOT NULL,
            cached_at INTEGER NOT NULL,
            PRIMARY KEY (item_kind, item_id)
        );
        CREATE INDEX cached_items_age ON cached_items(cached_at);
        """

    /// Version 2: `embeddings` gets a monotonic `seq` (AUTOINCREMENT, renewed by every write since vectors are
    /// written with INSERT OR REPLACE), so a process can pick up the vectors other processes sharing the file
    /// wrote since it last looked: `WHERE seq > ?`.
    private static let v2 = """
        CREATE TABLE embeddings_v2 (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('session', 'checkpoint', 'pattern')),
            item_id TEXT NOT NULL,
            model TEXT NOT NULL,
            dimension INTEGER NOT NULL CHECK (dimension > 0),
            vector BLOB NOT NULL CHECK (length(vector) = dimension * 4),
            created_at INTEGER NOT NULL,
            UNIQUE (kind, item_id, model)
        );
        INSERT INTO embeddings_v2 (kind, item_id, model, dimension, vector, created_at)
            SELECT kind, item_id, model, dimension, vector, created_at FROM embeddings ORDER BY created_at;
        DROP TABLE embeddings;
        ALTER TABLE embeddings_v2 RENAME TO embeddings;
        """

    /// Version 1: the nine tables of DESIGN.md §5, the local-only tables, FTS5 indexes kept in step by
    /// triggers. Item times are INTEGER Unix milliseconds (UTC; exact, sortable); ids are lower-case UUID
    /// text; `db_metadata` and `sync_state` keep readable UTC text.
    /// Tables with FTS have an INTEGER PRIMARY KEY `seq` (stable across VACUUM) for the index's rowid.
    private static let v1 = """
        CREATE TABLE db_metadata (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE sessions (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
            project TEXT NOT NULL CHECK (length(project) BETWEEN 1 AND 200),
            title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
            description TEXT,
            context_summary TEXT,
            privacy_level TEXT NOT NULL DEFAULT 'team' CHECK (privacy_level IN ('public', 'team', 'private')),
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'deleted')),
            session_type TEXT,
            conversation TEXT CHECK (conversation IS NULL OR json_valid(conversation)),
            decisions TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(decisions) AND json_type(decisions) = 'array'),
            file_changes TEXT CHECK (file_changes IS NULL OR json_valid(file_changes)),
            metadata TEXT CHECK (metadata IS NULL OR (json_valid(metadata) AND json_type(metadata) = 'object')),
            parent_session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
            source_checkpoint_id TEXT,
            duration_minutes INTEGER CHECK (duration_minutes IS NULL OR duration_minutes >= 0),
            messages_count INTEGER CHECK (messages_count IS NULL OR messages_count >= 0),
            files_changed INTEGER CHECK (files_changed IS NULL OR files_changed >= 0),
            pii_detected INTEGER NOT NULL DEFAULT 0 CHECK (pii_detected IN (0, 1)),
            pii_redacted INTEGER NOT NULL DEFAULT 0 CHECK (pii_redacted IN (0, 1)),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            accessed_at INTEGER,
            archived_at INTEGER
        );
        CREATE INDEX sessions_project_created ON sessions(project, created_at DESC, id DESC);
        CREATE INDEX sessions_created ON sessions(created_at DESC, id DESC);
        CREATE INDEX sessions_parent ON sessions(parent_session_id);

        CREATE TABLE checkpoints (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            project TEXT NOT NULL CHECK (length(project) BETWEEN 1 AND 200),
            description TEXT NOT NULL CHECK (length(description) >= 1),
            content TEXT,
            checkpoint_path TEXT,
            git_commit_hash TEXT CHECK (git_commit_hash IS NULL OR length(git_commit_hash) BETWEEN 4 AND 64),
            git_branch TEXT,
            tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
            metadata TEXT CHECK (metadata IS NULL OR (json_valid(metadata) AND json_type(metadata) = 'object')),
            privacy_level TEXT NOT NULL DEFAULT 'team' CHECK (privacy_level IN ('public', 'team', 'private')),
            created_at INTEGER NOT NULL,
            accessed_at INTEGER
        );
        CREATE INDEX checkpoints_session_created ON checkpoints(session_id, created_at DESC, id DESC);
        CREATE INDEX checkpoints_project_created ON checkpoints(project, created_at DESC, id DESC);
        CREATE INDEX checkpoints_created ON checkpoints(created_at DESC, id DESC);

        CREATE TABLE patterns (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE CHECK (length(id) = 36),
            project TEXT NOT NULL CHECK (length(project) BETWEEN 1 AND 200),
            pattern_type TEXT NOT NULL
                CHECK (pattern_type IN ('workflow', 'decision', 'code', 'error', 'architecture', 'configuration')),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 500),
            description TEXT,
            template TEXT,
            pattern_json TEXT CHECK (pattern_json IS NULL OR json_valid(pattern_json)),
            confidence REAL NOT NULL DEFAULT 0.5 CHECK (confidence BETWEEN 0 AND 1),
            quality_score REAL CHECK (quality_score IS NULL OR quality_score BETWEEN 0 AND 1),
            frequency INTEGER NOT NULL DEFAULT 1 CHECK (frequency >= 1),
            reuse_count INTEGER NOT NULL DEFAULT 0 CHECK (reuse_count >= 0),
            success_rate REAL CHECK (success_rate IS NULL OR success_rate BETWEEN 0 AND 1),
            source_session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
            parent_pattern_id TEXT REFERENCES patterns(id) ON DELETE SET NULL,
            version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
            is_latest INTEGER NOT NULL DEFAULT 1 CHECK (is_latest IN (0, 1)),
            deprecated INTEGER NOT NULL DEFAULT 0 CHECK (deprecated IN (0, 1)),
            privacy_level TEXT NOT NULL DEFAULT 'team' CHECK (privacy_level IN ('public', 'team', 'private')),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            last_used_at INTEGER
        );
        CREATE INDEX patterns_project_created ON patterns(project, created_at DESC, id DESC);
        CREATE INDEX patterns_created ON patterns(created_at DESC, id DESC);
        CREATE INDEX patterns_project_type ON patterns(project, pattern_type);
        CREATE INDEX patterns_source_session ON patterns(source_session_id);

        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
            created_at INTEGER NOT NULL
        );
        CREATE TABLE session_tags (
            session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (session_id, tag_id)
        ) WITHOUT ROWID;
        CREATE INDEX session_tags_tag ON session_tags(tag_id);
        CREATE TABLE pattern_tags (
            pattern_id TEXT NOT NULL REFERENCES patterns(id) ON DELETE CASCADE,
            tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
            PRIMARY KEY (pattern_id, tag_id)
        ) WITHOUT ROWID;
        CREATE INDEX pattern_tags_tag ON pattern_tags(tag_id);

        CREATE TABLE context_loads (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
            project TEXT NOT NULL,
            query TEXT NOT NULL,
            session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
            checkpoint_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(checkpoint_ids)),
            pattern_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(pattern_ids)),
            decision_count INTEGER NOT NULL DEFAULT 0 CHECK (decision_count >= 0),
            tokens_used INTEGER NOT NULL CHECK (tokens_used >= 0),
            token_budget INTEGER NOT NULL CHECK (token_budget > 0),
            created_at INTEGER NOT NULL
        );
        CREATE INDEX context_loads_project_created ON context_loads(project, created_at);
        CREATE INDEX context_loads_session ON context_loads(session_id);

        CREATE TABLE privacy_audit (
            id INTEGER PRIMARY KEY,
            item_kind TEXT NOT NULL CHECK (item_kind IN ('session', 'checkpoint', 'pattern')),
            item_id TEXT,
            level TEXT NOT NULL CHECK (level IN ('public', 'team', 'private')),
            detected TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detected)),
            redacted TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(redacted)),
            anonymized INTEGER NOT NULL DEFAULT 0 CHECK (anonymized IN (0, 1)),
            created_at INTEGER NOT NULL
        );
        CREATE INDEX privacy_audit_item ON privacy_audit(item_kind, item_id);

        CREATE TABLE embeddings (
            kind TEXT NOT NULL CHECK (kind IN ('session', 'checkpoint', 'pattern')),
            item_id TEXT NOT NULL,
            model TEXT NOT NULL,
            dimension INTEGER NOT NULL CHECK (dimension > 0),
            vector BLOB NOT NULL CHECK (length(vector) = dimension * 4),
            created_at INTEGER NOT NULL,
            PRIMARY KEY (kind, item_id, model)
        ) WITHOUT ROWID;

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            item_kind TEXT NOT NULL CHECK (item_kind IN ('session', 'checkpoint', 'pattern', 'context_load')),
            item_id TEXT NOT NULL,
            operation TEXT NOT NULL CHECK (operation IN ('upsert', 'delete', 'purge')),
            created_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            claimed_by TEXT,
            claimed_until INTEGER,
            last_error TEXT
        );
        CREATE INDEX outbox_pending ON outbox(claimed_until, id);

        CREATE TABLE sync_state (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE VIRTUAL TABLE sessions_fts USING fts5(
            title, description, context_summary, decisions,
            content = 'sessions', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER sessions_fts_insert AFTER INSERT ON sessions BEGIN
            INSERT INTO sessions_fts(rowid, title, description, context_summary, decisions)
            VALUES (new.seq, new.title, new.description, new.context_summary, new.decisions);
        END;
        CREATE TRIGGER sessions_fts_delete AFTER DELETE ON sessions BEGIN
            INSERT INTO sessions_fts(sessions_fts, rowid, title, description, context_summary, decisions)
            VALUES ('delete', old.seq, old.title, old.description, old.context_summary, old.decisions);
        END;
        CREATE TRIGGER sessions_fts_update AFTER UPDATE OF title, description, context_summary, decisions ON sessions BEGIN
            INSERT INTO sessions_fts(sessions_fts, rowid, title, description, context_summary, decisions)
            VALUES ('delete', old.seq, old.title, old.description, old.context_summary, old.decisions);
            INSERT INTO sessions_fts(rowid, title, description, context_summary, decisions)
            VALUES (new.seq, new.title, new.description, new.context_summary, new.decisions);
        END;

        CREATE VIRTUAL TABLE checkpoints_fts USING fts5(
            description, content, tags,
            content = 'checkpoints', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER checkpoints_fts_insert AFTER INSERT ON checkpoints BEGIN
            INSERT INTO checkpoints_fts(rowid, description, content, tags)
            VALUES (new.seq, new.description, new.content, new.tags);
        END;
        CREATE TRIGGER checkpoints_fts_delete AFTER DELETE ON checkpoints BEGIN
            INSERT INTO checkpoints_fts(checkpoints_fts, rowid, description, content, tags)
            VALUES ('delete', old.seq, old.description, old.content, old.tags);
        END;
        CREATE TRIGGER checkpoints_fts_update AFTER UPDATE OF description, content, tags ON checkpoints BEGIN
            INSERT INTO checkpoints_fts(checkpoints_fts, rowid, description, content, tags)
            VALUES ('delete', old.seq, old.description, old.content, old.tags);
            INSERT INTO checkpoints_fts(rowid, description, content, tags)
            VALUES (new.seq, new.description, new.content, new.tags);
        END;

        CREATE VIRTUAL TABLE sessions_vocab USING fts5vocab('sessions_fts', 'row');
        CREATE VIRTUAL TABLE checkpoints_vocab USING fts5vocab('checkpoints_fts', 'row');
        CREATE VIRTUAL TABLE patterns_vocab USING fts5vocab('patterns_fts', 'row');

        CREATE VIRTUAL TABLE patterns_fts USING fts5(
            name, description, template,
            content = 'patterns', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER patterns_fts_insert AFTER INSERT ON patterns BEGIN
            INSERT INTO patterns_fts(rowid, name, description, template)
            VALUES (new.seq, new.name, new.description, new.template);
        END;
        CREATE TRIGGER patterns_fts_delete AFTER DELETE ON patterns BEGIN
            INSERT INTO patterns_fts(patterns_fts, rowid, name, description, template)
            VALUES ('delete', old.seq, old.name, old.description, old.template);
        END;
        CREATE TRIGGER patterns_fts_update AFTER UPDATE OF name, description, template ON patterns BEGIN
            INSERT INTO patterns_fts(patterns_fts, rowid, name, description, template)
            VALUES ('delete', old.seq, old.name, old.description, old.template);
            INSERT INTO patterns_fts(rowid, name, description, template)
            VALUES (new.seq, new.name, new.description, new.template);
        END;
        """
}
