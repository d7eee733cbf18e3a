/**
 * Mapping SQLite failures to EngineError codes the memory_error event
 * carries: locked, full, corrupt, storage_error.
 */
import { EngineError } from "../engine-error.js";
import { SchemaTooNewError } from "./migrations.js";

/** The EngineError codes a memory store fails with (plus `timeout` from callers' deadlines). */
export type MemoryErrorCode = "locked" | "full" | "corrupt" | "storage_error";

/** The stable code for an SQLite result code such as SQLITE_BUSY_SNAPSHOT. */
export function memoryErrorCode(sqliteCode: string | undefined): MemoryErrorCode {
  if (!sqliteCode) return "storage_error";
  if (sqliteCode.startsWith("SQLITE_BUSY") || sqliteCode.startsWith("SQLITE_LOCKED")) return "locked";
  if (sqliteCode === "SQLITE_FULL") return "full";
  if (sqliteCode.startsWith("SQLITE_CORRUPT") || sqliteCode === "SQLITE_NOTADB") return "corrupt";
  return "storage_error";
}

const MESSAGES: Record<MemoryErrorCode, string> = {
  locked: "The memory database is locked by another process or connection",
  full: "The memory database is full (disk full or size limit reached)",
  corrupt: "The memory database file is corrupt or not a database; it was left untouched",
  storage_error: "The memory database failed",
};

/**
 * Wrap any error thrown by better-sqlite3 (or by our own checks) as an
 * EngineError. `what` names the operation for the message; the SQLite
 * message follows so an operator can act on it. EngineErrors pass through.
 */
export function toMemoryError(err: unknown, what: string): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof SchemaTooNewError) return new EngineError("storage_error", `${what}: ${err.message}`, { cause: err });
  const sqliteCode = (err as { code?: unknown } | null)?.code;
  const code = memoryErrorCode(typeof sqliteCode === "string" ? sqliteCode : undefined);
  const detail = err instanceof Error ? err.message : String(err);
  return new EngineError(code, `${what}: ${MESSAGES[code]} (${detail})`, { cause: err });
}
