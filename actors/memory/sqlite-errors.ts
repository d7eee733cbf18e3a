/**
 * Mapping SQLite failures to EngineError codes the memory_error event
 * carries: locked, full, corrupt, storage_error.
 */
import { EngineError } from "../engine-error.js";
import { SchemaTooNewError } from "./migrations.js";

/** The EngineError codes a memory store fails with (plus `timeout` from callers' deadlines). */
export type MemoryErrorCode = "locked" | "full" | "corrupt" | "storage_error";

/** The primary result codes (an extended code's low byte) that have a code of their own. */
const BY_PRIMARY_CODE: Record<number, MemoryErrorCode> = { 5: "locked", 6: "locked", 11: "corrupt", 13: "full", 26: "corrupt" };

/**
 * The stable code for an SQLite result code: its name such as
 * SQLITE_BUSY_SNAPSHOT, or its number (extended or primary, 517 or 5).
 */
export function memoryErrorCode(sqliteCode: string | number | undefined): MemoryErrorCode {
  if (typeof sqliteCode === "number") return BY_PRIMARY_CODE[sqliteCode & 0xff] ?? "storage_error";
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
 * Wrap any error thrown by the SQLite driver (or by our own checks) as an
 * EngineError. `what` names the operation for the message; the SQLite
 * message follows so an operator can act on it. EngineErrors pass through.
 * libsql's SqliteError carries the extended result code as a number
 * (`rawCode`, which decides) and as a name (`code`; extended codes libsql
 * has no name for read "UNKNOWN_SQLITE_ERROR_779"); its other failures (a
 * file that cannot be opened, a closed handle) have neither and map to
 * storage_error.
 */
export function toMemoryError(err: unknown, what: string): EngineError {
  if (err instanceof EngineError) return err;
  if (err instanceof SchemaTooNewError) return new EngineError("storage_error", `${what}: ${err.message}`, { cause: err });
  const { code: name, rawCode } = (err ?? {}) as { code?: unknown; rawCode?: unknown };
  const code = memoryErrorCode(typeof rawCode === "number" ? rawCode : typeof name === "string" ? name : undefined);
  const detail = err instanceof Error ? err.message : String(err);
  return new EngineError(code, `${what}: ${MESSAGES[code]} (${detail})`, { cause: err });
}
