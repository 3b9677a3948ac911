#!/usr/bin/env python3
"""Builds a legacy MEMORY-CONTEXT database (memory-context.db) for tests and benchmarks of `memctx migrate`.

The tables come from memory-context-schema.sql (next to this file, a copy of ../shared/legacy/). The rows
are realistic and deterministic (--seed): sessions with checkpoints, decisions, conversation and file
changes; patterns with tags, parents and source sessions; context loads; privacy audits; a few secrets and
e-mail addresses to redact; timestamps in every form legacy writers used. --malformed adds rows that break a
constraint or a reference, each of which memctx must report and skip (or repair), never drop silently.
--variant minimal drops optional ("assumed") columns and adds extra ones.

Prints a JSON summary on stdout: rows per table, and what a correct migration makes of them.

    python3 make_legacy_db.py OUT.db --sessions 300 --malformed
"""
import argparse
import json
import os
import random
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = ["workflow", "decision", "code", "error", "architecture", "configuration"]
WORDS = ("deploy cache index query schema migration token session pattern release build review rollback "
         "latency queue worker retry timeout backup restore search embedding vector cluster replica shard "
         "config secret rotate audit login upload parser compiler linter formatter bundle router handler").split()


def when(rng, day, form):
    """A time on 2025-01-01 + day in one of the legacy writers' forms."""
    h, m, s = rng.randrange(24), rng.randrange(60), rng.randrange(60)
    month, dom = 1 + (day // 28) % 12, 1 + day % 28
    base = f"2025-{month:02d}-{dom:02d}"
    if form == 0:
        return f"{base} {h:02d}:{m:02d}:{s:02d}"            # datetime('now')
    if form == 1:
        return f"{base}T{h:02d}:{m:02d}:{s:02d}Z"
    if form == 2:
        return f"{base}T{h:02d}:{m:02d}:{s:02d}.{rng.randrange(1000000):06d}+02:00"
    return f"{base}T{h:02d}:{m:02d}:{s:02d}"


def sentence(rng, n=8):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--patterns", type=int, default=0, help="default: 2/3 of --sessions")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--malformed", action="store_true")
    parser.add_argument("--variant", choices=["full", "minimal"], default="full")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if os.path.exists(args.out):
        sys.exit(f"{args.out} exists")
    db = sqlite3.connect(args.out)
    with open(os.path.join(HERE, "memory-context-schema.sql")) as schema:
        db.executescript(schema.read())
    if args.variant == "minimal":
        # Optional columns a real file may lack, and extra ones it may carry.
        for table, column in [("checkpoints", "created_at"), ("sessions", "related_sessions_json"),
                              ("sessions", "file_changes_json"), ("patterns", "related_patterns_json"),
                              ("context_loads", "relevance_score")]:
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        db.execute("ALTER TABLE sessions ADD COLUMN owner_email TEXT")
        db.execute("ALTER TABLE patterns ADD COLUMN legacy_score REAL")
    full = args.variant == "full"
    expect = {"sessions": 0, "checkpoints": 0, "patterns": 0, "context_loads": 0, "privacy_audit": 0}
    skipped = {}
    secrets = []

    def skip(table, n=1):
        skipped[table] = skipped.get(table, 0) + n

    tags = [f"{rng.choice(WORDS)}-{i}" for i in range(40)]
    for i, tag in enumerate(tags):
        db.execute("INSERT INTO tags(tag_name, tag_type, description) VALUES (?, ?, ?)", (tag, "topic", f"tag {i}"))

    sessions = []
    checkpoint_count = 0
    for i in range(args.sessions):
        key = f"sess-{i:05d}"
        level = ["team", "team", "private", "public"][i % 4]
        ts = when(rng, i % 330, i % 4)
        description = sentence(rng, 14)
        if i % 25 == 0:
            secret = f"AKIA{rng.randrange(16**16):016X}"
            secrets.append(secret)
            description += f" aws key {secret} leaked"
        if i % 30 == 1:
            description += f" mail dev{i}@example.com"
        decisions = [sentence(rng, 6), {"decision": sentence(rng, 5), "why": "speed"}]
        conversation = [{"role": "user", "content": sentence(rng, 10)}, {"role": "assistant", "content": sentence(rng, 12)}]
        parent = sessions[rng.randrange(len(sessions))] if sessions and i % 10 == 3 else None
        columns = {
            "session_id": key, "timestamp": ts, "privacy_level": level, "title": f"Session {i}: {sentence(rng, 4)}",
            "description": description, "conversation_json": json.dumps(conversation),
            "metadata_json": json.dumps({"project": "legacy-app" if i % 3 else "tools", "agent": "claude"}),
            "decisions_json": json.dumps(decisions), "context_summary": sentence(rng, 20),
            "tags_json": json.dumps([rng.choice(tags)]), "status": ["active", "archived", "active"][i % 3],
            "session_type": "coding", "duration_minutes": rng.randrange(5, 240), "messages_count": rng.randrange(2, 80),
            "files_changed": rng.randrange(0, 30), "created_at": ts, "updated_at": ts,
            "parent_session_id": parent, "pii_detected": 1 if i % 30 == 1 else 0,
        }
        if full:
            columns["file_changes_json"] = json.dumps([{"path": f"src/{rng.choice(WORDS)}.swift", "lines": rng.randrange(1, 200)}])
            columns["related_sessions_json"] = json.dumps([sessions[-1]] if sessions else [])
        else:
            columns["owner_email"] = f"owner{i}@example.com"
        names = ", ".join(columns)
        db.execute(f"INSERT INTO sessions({names}) VALUES ({', '.join('?' * len(columns))})", list(columns.values()))
        sessions.append(key)
        expect["sessions"] += 1
        for t in rng.sample(range(len(tags)), 2):
            db.execute("INSERT OR IGNORE INTO session_tags(session_id, tag_id) VALUES (?, ?)", (key, t + 1))
        db.execute("INSERT INTO privacy_audit(session_id, audit_timestamp, privacy_level, pii_detected, pii_redacted, "
                   "redaction_summary_json, user_consent) VALUES (?, ?, ?, ?, ?, ?, 1)",
                   (key, ts, level, 1 if i % 25 == 0 else 0, 1 if i % 25 == 0 else 0,
                    json.dumps({"aws-access-key": 1}) if i % 25 == 0 else "{}"))
        expect["privacy_audit"] += 1
        for c in range(rng.randrange(0, 9)):
            ckey = f"cp-{i:05d}-{c}"
            row = {"checkpoint_id": ckey, "checkpoint_path": f".checkpoints/{ckey}.md", "timestamp": when(rng, i % 330, c % 4),
                   "git_commit_hash": f"{rng.randrange(16**40):040x}", "description": f"Checkpoint {c} of {key}: {sentence(rng, 9)}"}
            if full:
                row["session_id"] = key
                row["created_at"] = row["timestamp"]
            else:
                row["session_id"] = key
            names = ", ".join(row)
            db.execute(f"INSERT INTO checkpoints({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
            checkpoint_count += 1
            expect["checkpoints"] += 1

    pattern_total = args.patterns or max(1, args.sessions * 2 // 3)
    patterns = []
    for i in range(pattern_total):
        key = f"pat-{i:05d}"
        row = {"pattern_id": key, "pattern_type": TYPES[i % len(TYPES)], "name": f"{sentence(rng, 3)} {i}",
               "description": sentence(rng, 12), "template": "; ".join(sentence(rng, 4) for _ in range(3)),
               "pattern_json": json.dumps({"steps": [sentence(rng, 3) for _ in range(3)]}),
               "confidence": round(rng.random(), 3), "quality_score": round(rng.random(), 3), "frequency": rng.randrange(1, 20),
               "reuse_count": rng.randrange(0, 50), "success_rate": round(rng.random(), 3),
               "source_session_id": sessions[rng.randrange(len(sessions))] if sessions and i % 2 == 0 else None,
               "parent_pattern_id": patterns[rng.randrange(len(patterns))] if patterns and i % 7 == 3 else None,
               "version": 1 + i % 3, "is_latest": 1, "deprecated": 1 if i % 17 == 0 else 0,
               "created_at": when(rng, i % 330, 0), "updated_at": when(rng, i % 330, 1)}
        if full:
            row["related_patterns_json"] = json.dumps(patterns[-2:])
        names = ", ".join(row)
        db.execute(f"INSERT INTO patterns({names}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
        patterns.append(key)
        expect["patterns"] += 1
        for t in rng.sample(range(len(tags)), 1 + i % 3):
            db.execute("INSERT OR IGNORE INTO pattern_tags(pattern_id, tag_id) VALUES (?, ?)", (key, t + 1))

    for i in range(args.sessions):
        items = [rng.choice(patterns)] + ([{"type": "decision", "text": "x"}] if i % 2 else [])
        db.execute("INSERT INTO context_loads(session_id, query, loaded_items_json, token_count, loaded_at) VALUES (?, ?, ?, ?, ?)",
                   (rng.choice(sessions), sentence(rng, 4), json.dumps(items), rng.randrange(100, 4000), when(rng, i % 330, 0)))
        expect["context_loads"] += 1

    warnings = 0
    created_sessions = 0
    if args.malformed:
        db.commit()
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("PRAGMA ignore_check_constraints = ON")
        # Skipped: constraint breakers.
        db.execute("INSERT INTO patterns(pattern_id, pattern_type, name, template, pattern_json, confidence) "
                   "VALUES ('pat-bad-confidence', 'workflow', 'too sure', 't', '{}', 1.7)"); skip("patterns")
        db.execute("INSERT INTO patterns(pattern_id, pattern_type, name, template, pattern_json) "
                   "VALUES ('pat-bad-type', 'misc', 'unknown type', 't', '{}')"); skip("patterns")
        db.execute("INSERT INTO sessions(session_id, timestamp, privacy_level, title) "
                   "VALUES ('sess-bad-level', '2025-02-01 10:00:00', 'secret', 'bad level')"); skip("sessions")
        db.execute("INSERT INTO sessions(session_id, timestamp, privacy_level, title, created_at) "
                   "VALUES ('sess-bad-time', 'yesterday', 'team', 'bad time', 'last week')"); skip("sessions")
        # Imported with created_at instead of an unreadable timestamp.
        db.execute("INSERT INTO sessions(session_id, timestamp, privacy_level, title) "
                   "VALUES ('sess-odd-time', 'yesterday', 'team', 'odd time')"); expect["sessions"] += 1; warnings += 1
        db.execute("INSERT INTO sessions(session_id, timestamp, privacy_level, title, description) "
                   "VALUES ('sess-ephemeral', '2025-02-01 10:00:00', 'ephemeral', 'never stored', 'ephemeral text')"); skip("sessions")
        db.execute("INSERT INTO checkpoints(checkpoint_id, timestamp, description, session_id) "
                   "VALUES ('cp-ephemeral', '2025-02-01 10:05:00', 'of an ephemeral session', 'sess-ephemeral')"); skip("checkpoints")
        db.execute("INSERT INTO privacy_audit(session_id, audit_timestamp, privacy_level) "
                   "VALUES ('sess-missing', '2025-02-01 10:00:00', 'team')"); skip("privacy_audit")
        db.execute("INSERT INTO pattern_tags(pattern_id, tag_id) VALUES ('pat-00000', 999)"); skip("pattern_tags")
        db.execute("INSERT INTO session_tags(session_id, tag_id) VALUES ('sess-missing', 1)"); skip("session_tags")
        # Imported with a repair (reported as warnings).
        db.execute("INSERT INTO sessions(session_id, timestamp, privacy_level, title, conversation_json) "
                   "VALUES ('sess-bad-json', '2025-02-02T08:00:00Z', 'team', 'broken json', '{not json')"); expect["sessions"] += 1; warnings += 1
        db.execute("INSERT INTO privacy_audit(session_id, audit_timestamp, privacy_level) "
                   "VALUES ('sess-bad-json', '2025-02-02T08:00:00Z', 'team')"); expect["privacy_audit"] += 1
        db.execute("INSERT INTO checkpoints(checkpoint_id, timestamp, description, session_id) "
                   "VALUES ('cp-orphan', '2025-02-03 09:00:00', 'its session is gone', 'sess-gone')"); expect["checkpoints"] += 1; warnings += 1
        db.execute("INSERT INTO checkpoints(checkpoint_id, timestamp, description) "
                   "VALUES ('cp-no-session', '2025-02-03 09:30:00', 'never had a session')"); expect["checkpoints"] += 1; warnings += 1
        created_sessions = 1
        db.execute("INSERT INTO patterns(pattern_id, pattern_type, name, template, pattern_json, source_session_id) "
                   "VALUES ('pat-gone-source', 'code', 'source gone', 't', '{}', 'sess-gone')"); expect["patterns"] += 1; warnings += 1
    db.execute("INSERT OR REPLACE INTO db_metadata(key, value) VALUES ('schema_version', '1.0')")
    skip("db_metadata")
    db.commit()
    rows = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in
            ["sessions", "checkpoints", "patterns", "tags", "session_tags", "pattern_tags", "context_loads", "privacy_audit", "db_metadata"]}
    db.close()
    json.dump({"rows": rows, "expected": expect, "skipped": skipped, "warningsAtLeast": warnings,
               "createdSessions": created_sessions, "secrets": secrets}, sys.stdout, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
