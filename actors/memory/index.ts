/** The memory stage: store interface, actor logic, the SQLite store and the in-memory store. */
export { DEFAULT_IMPORTANCE, type MemoryHit, type MemoryItem, type MemoryKind, type MemoryStore } from "./types.js";
export { createRecallLogic, createStoreLogic, type MemoryLogicOptions } from "./actor.js";
export { InMemoryStore, contentWords, type InMemoryStoreOptions } from "./in-memory.js";
export { SqliteMemoryStore, defaultMemoryPath, type SqliteMemoryStoreOptions } from "./sqlite.js";
export { MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, migrate, type Migration } from "./migrations.js";
export { memoryErrorCode, toMemoryError, type MemoryErrorCode } from "./sqlite-errors.js";
export { ftsAllQuery, ftsAnyQuery } from "./fts-query.js";
export { INTERRUPTED_LABEL, turnMemoryText } from "./turn-text.js";
