/**
 * Versioned schema migrations of the PostgreSQL memory store. The version
 * is kept in a table of its own (`coda_memory_schema`, one row per applied
 * migration); all pending migrations run in one transaction that first
 * takes a transaction-level advisory lock, so several nodes starting at
 * once migrate exactly once and a crash mid-migration leaves the previous
 * version. Append-only: never edit a shipped migration, add the next.
 */
import type { ClientBase } from "pg";
import { SchemaTooNewError } from "./migrations.js";

/** One schema step (SQL run inside the migration transaction). */
export interface PostgresMigration {
  version: number;
  description: string;
  sql: string;
}

/** The advisory lock key every Coda node takes to migrate the memory schema ("coda_mem" in ASCII). */
const MIGRATION_LOCK = 0x636f64615f6d656dn;

/** Every migration in order; `version` is 1-based and contiguous. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: "coda_memories with a GIN-indexed tsvector (an English stemmer without stop words), users, the interrupted mark",
    sql: `
      -- English stemming like FTS5's porter tokenizer, and no stop words: "who" and "it" stay searchable as in SQLite.
      CREATE TEXT SEARCH DICTIONARY coda_english_stem (TEMPLATE = snowball, LANGUAGE = english);
      CREATE TEXT SEARCH CONFIGURATION coda_english (COPY = english);
      ALTER TEXT SEARCH CONFIGURATION coda_english
        ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH coda_english_stem;
      CREATE TABLE coda_memories (
        seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id          text NOT NULL UNIQUE,                          -- public id, never reused
        user_id     text NOT NULL CHECK (user_id ~ '^[A-Za-z0-9_-]{1,64}$'),
        kind        text NOT NULL CHECK (kind IN ('turn', 'fact', 'preference')),
        text        text NOT NULL,                                 -- what recall searches and viewers show
        user_text   text,                                          -- turns only: the user's words
        answer      text,                                          -- turns only: the assistant's answer (as heard)
        importance  double precision NOT NULL CHECK (importance >= 0 AND importance <= 1),
        created_at  timestamptz NOT NULL,
        turn_id     text,
        interrupted boolean NOT NULL DEFAULT false,
        search      tsvector NOT NULL                              -- to_tsvector('coda_english', text without Latin accents)
      );
      CREATE INDEX coda_memories_search ON coda_memories USING GIN (search);
      CREATE INDEX coda_memories_by_user_time ON coda_memories (user_id, created_at DESC, seq DESC);
      CREATE INDEX coda_memories_by_user_eviction ON coda_memories (user_id, importance, created_at, seq);
    `,
  },
];

/** The version a fully migrated database has. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length;

/**
 * Bring the database `client` is connected to up to the newest version.
 * Returns the versions applied (none when it was current). Throws
 * SchemaTooNewError for a database migrated by a newer Coda.
 */
export async function migratePostgres(client: ClientBase, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS coda_memory_schema (
      version     integer PRIMARY KEY,
      description text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number | null }>("SELECT max(version) AS version FROM coda_memory_schema");
    const current = rows[0]?.version ?? 0;
    if (current > migrations.length) throw new SchemaTooNewError(current, migrations.length);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO coda_memory_schema (version, description) VALUES ($1, $2)", [migration.version, migration.description]);
      applied.push(migration.version);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
  return applied;
}
