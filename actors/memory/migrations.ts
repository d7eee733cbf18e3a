/**
 * Versioned schema migrations for the SQLite memory store. The schema
 * version lives in SQLite's own `PRAGMA user_version`, which is written in
 * the same transaction as the migration, so a crash mid-migration leaves the
 * previous version intact. Migrations are append-only: never edit a shipped
 * one, add the next.
 */
import { immediateTransaction, pragmaValue, type SqliteDatabase } from "./sqlite-driver.js";

/** One schema step: `up` runs inside a transaction together with the version bump. */
export interface Migration {
  version: number;
  description: string;
  up(db: SqliteDatabase): void;
}

/** Every migration in order; `version` is 1-based and contiguous. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "memories table with an external-content FTS5 index kept in sync by triggers",
    up(db) {
      db.exec(`
        CREATE TABLE memories (
          seq        INTEGER PRIMARY KEY,            -- internal row id, the FTS content_rowid
          id         TEXT    NOT NULL UNIQUE,        -- public id, never reused
          kind       TEXT    NOT NULL CHECK (kind IN ('turn', 'fact', 'preference')),
          text       TEXT    NOT NULL,               -- what recall searches and viewers show
          user_text  TEXT,                           -- turns only: the user's words
          answer     TEXT,                           -- turns only: the assistant's answer
          importance REAL    NOT NULL CHECK (importance >= 0 AND importance <= 1),
          created_at TEXT    NOT NULL,               -- ISO 8601 UTC
          created_ms INTEGER NOT NULL,               -- same instant, for ordering
          turn_id    TEXT
        );
        CREATE INDEX memories_by_time ON memories (created_ms DESC, seq DESC);
        CREATE INDEX memories_by_eviction ON memories (importance ASC, created_ms ASC, seq ASC);
        CREATE VIRTUAL TABLE memories_fts USING fts5(
          text,
          content = 'memories',
          content_rowid = 'seq',
          tokenize = 'porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER memories_after_insert AFTER INSERT ON memories BEGIN
          INSERT INTO memories_fts (rowid, text) VALUES (new.seq, new.text);
        END;
        CREATE TRIGGER memories_after_delete AFTER DELETE ON memories BEGIN
          INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
        END;
        CREATE TRIGGER memories_after_update AFTER UPDATE OF text ON memories BEGIN
          INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
          INSERT INTO memories_fts (rowid, text) VALUES (new.seq, new.text);
        END;
      `);
    },
  },
  {
    version: 2,
    description: "interrupted flag: a turn cut short keeps only what was heard of its answer",
    up(db) {
      // ADD COLUMN with a constant default rewrites no row: every existing memory reads as not interrupted.
      db.exec("ALTER TABLE memories ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1))");
    },
  },
  {
    version: 3,
    description: "memory owned by a user: every memory kept before users existed belongs to 'default'",
    up(db) {
      // A constant default again: no row is rewritten, every existing memory reads as the default user's.
      // The CHECK is the user-id rule of actors/contracts/user.ts (GLOB has no repetition count, so length and characters apart).
      db.exec(`
        ALTER TABLE memories ADD COLUMN user_id TEXT NOT NULL DEFAULT 'default'
          CHECK (length(user_id) BETWEEN 1 AND 64 AND user_id NOT GLOB '*[^A-Za-z0-9_-]*');
        DROP INDEX memories_by_time;
        DROP INDEX memories_by_eviction;
        CREATE INDEX memories_by_user_time ON memories (user_id, created_ms DESC, seq DESC);
        CREATE INDEX memories_by_user_eviction ON memories (user_id, importance ASC, created_ms ASC, seq ASC);
      `);
    },
  },
];

/** The version a fully migrated database has. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Thrown (and mapped to EngineError by the store) when the file was written by a newer Coda. */
export class SchemaTooNewError extends Error {
  override readonly name = "SchemaTooNewError";
  constructor(readonly found: number, readonly supported: number) {
    super(`Memory database schema version ${found} is newer than this server supports (${supported})`);
  }
}

/**
 * Bring `db` to SCHEMA_VERSION. Each step runs in its own IMMEDIATE
 * transaction (so two processes cannot migrate at once) and re-reads the
 * version inside it. Returns the versions applied.
 */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = [];
  const target = migrations.length;
  const readVersion = () => pragmaValue(db, "user_version") as number;
  const initial = readVersion();
  if (initial > target) throw new SchemaTooNewError(initial, target);
  for (const migration of migrations) {
    const step = () => {
      const current = readVersion();
      if (current >= migration.version) return false;
      if (current !== migration.version - 1) throw new Error(`Cannot apply migration ${migration.version} to schema version ${current}`);
      migration.up(db);
      // PRAGMA takes no bound parameters; the value is our own integer.
      pragmaValue(db, "user_version", migration.version);
      return true;
    };
    if (immediateTransaction(db, step)) applied.push(migration.version);
  }
  return applied;
}
