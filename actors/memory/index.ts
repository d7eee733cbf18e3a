/** The memory stage: store interface, actor logic, the SQLite, PostgreSQL and in-memory stores, relevance and text rules. */
export { DEFAULT_IMPORTANCE, type MemoryHealth, type MemoryHit, type MemoryItem, type MemoryKind, type MemoryStore, type RecallOptions } from "./types.js";
export { createRecallLogic, createStoreLogic, type MemoryLogicOptions } from "./actor.js";
export { InMemoryStore, contentWords, type InMemoryStoreOptions } from "./in-memory.js";
export { SqliteMemoryStore, defaultMemoryPath, type SqliteMemoryStoreOptions } from "./sqlite.js";
// Loads the pg client only when a store is opened.
export { PostgresMemoryStore, type PostgresMemoryStoreOptions } from "./postgres.js";
export { isPostgresUrl, redactUrl } from "./postgres-url.js";
export { MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, migrate, type Migration } from "./migrations.js";
export { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, migratePostgres, type PostgresMigration } from "./postgres-migrations.js";
export { memoryErrorCode, toMemoryError, type MemoryErrorCode } from "./sqlite-errors.js";
export { postgresErrorCode, toPostgresError, type PostgresErrorCode } from "./postgres-errors.js";
export { ftsAllQuery, ftsAnyQuery } from "./fts-query.js";
export { DEFAULT_MIN_SCORE, PRIOR_MEMORIES, relevanceScorer } from "./relevance.js";
export { cutText, memoryText } from "./text.js";
export { INTERRUPTED_LABEL, turnMemoryText } from "./turn-text.js";
