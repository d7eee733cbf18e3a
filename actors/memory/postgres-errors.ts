/**
 * Mapping PostgreSQL and connection failures to the EngineError codes the
 * memory_error event carries: `unavailable` (the server cannot be reached
 * or went away: the store reports itself unhealthy and recovers when it
 * answers again), `locked`, `full`, `corrupt`, `timeout`, `storage_error`.
 */
import { EngineError } from "../engine-error.js";
import { SchemaTooNewError } from "./migrations.js";

/** The EngineError codes the PostgreSQL store fails with. */
export type PostgresErrorCode = "unavailable" | "locked" | "full" | "corrupt" | "timeout" | "storage_error";

/** Node socket errors that mean the server is not there (or no longer). */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EPIPE", "ENOENT"]);

/** The stable code for a failure of the pg client: SQLSTATE classes first, then socket errors and pg's own messages. */
export function postgresErrorCode(err: unknown): PostgresErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (SOCKET_CODES.has(code)) return "unavailable";
    // 08: connection exception; 57P01-57P03: the server is shutting down, crashed or is starting.
    if (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03") return "unavailable";
    if (code === "53100") return "full"; // disk_full
    if (code === "40001" || code === "40P01" || code === "55P03") return "locked"; // serialization failure, deadlock, lock not available
    if (code === "XX001" || code === "XX002") return "corrupt"; // data_corrupted, index_corrupted
    if (code === "57014") return "timeout"; // query_canceled (statement_timeout)
    return "storage_error";
  }
  const message = err instanceof Error ? err.message : "";
  // pg's own wording when a connection dies or cannot be made in time.
  if (/Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(message)) return "unavailable";
  return "storage_error";
}

const MESSAGES: Record<PostgresErrorCode, string> = {
  unavailable: "The PostgreSQL memory database cannot be reached",
  locked: "The PostgreSQL memory database could not lock what it needed",
  full: "The PostgreSQL memory database is full (disk full)",
  corrupt: "The PostgreSQL memory database reports corrupt data",
  timeout: "The PostgreSQL memory database did not answer in time",
  storage_error: "The PostgreSQL memory database failed",
};

/**
 * Wrap a pg failure as an EngineError: "<what>: <sentence> (<pg message>)".
 * EngineErrors and TypeErrors (the caller's bad arguments) pass through.
 */
export function toPostgresError(err: unknown, what: string): Error {
  if (err instanceof EngineError || err instanceof TypeError) return err;
  if (err instanceof SchemaTooNewError) return new EngineError("storage_error", `${what}: ${err.message}`, { cause: err });
  const code = postgresErrorCode(err);
  const detail = err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
  return new EngineError(code, `${what}: ${MESSAGES[code]} (${detail})`, { cause: err });
}
