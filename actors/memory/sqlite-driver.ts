/**
 * The SQLite driver under the memory store: libsql, libSQL's
 * better-sqlite3-compatible API. Its native binary is a platform package
 * from the npm registry (`@libsql/linux-x64-gnu`, ...), so installing it
 * runs no script and compiles nothing. It is loaded with the first store,
 * not with coda-core.
 *
 * Where libsql differs from better-sqlite3, handled here once:
 * - every row carries an extra enumerable `_metadata` property, so callers
 *   read columns by name and never spread a row;
 * - `pluck()` is ignored by `get()` and `pragma(..., { simple: true })`
 *   returns the whole row: `pragmaValue` reads the pragma's own column;
 * - `transaction()` always issues ROLLBACK on failure, which throws "no
 *   transaction is active" (hiding the real error) when SQLite already
 *   rolled back, as it may on SQLITE_FULL: `immediateTransaction` rolls
 *   back only an open transaction;
 * - `close()` releases the connection (its file handles) only once the
 *   statements prepared on it are garbage-collected; nothing is held open
 *   meanwhile (no transaction, no lock beyond WAL's shared one), so callers
 *   checkpoint before closing.
 */
import { createRequire } from "node:module";
import type Libsql from "libsql";
import { EngineError } from "../engine-error.js";

/** An open libsql connection. */
export type SqliteDatabase = Libsql.Database;

const ELSEWHERE = "keep memory elsewhere (--memory-db postgres://..., or --memory-db off)";

/**
 * Load libsql (and with it the native binary of this platform). Throws
 * EngineError `storage_error` saying what to do when the platform has no
 * prebuilt binary (libsql ships Linux x64, arm64 and arm, glibc and musl;
 * macOS x64 and arm64; Windows x64), or when it was not installed (npm's
 * `--omit=optional` leaves out the platform package).
 */
export function loadLibsql(load: (id: string) => unknown = createRequire(import.meta.url)): typeof Libsql {
  try {
    return load("libsql") as typeof Libsql;
  } catch (err) {
    const message = err instanceof Error ? err.message : "";
    const platform = `${process.platform} ${process.arch}`;
    if (message.startsWith("Neon: unsupported")) {
      throw new EngineError("storage_error", `SQLite is not available on ${platform}: libsql has no prebuilt binary for it; ${ELSEWHERE}`, { cause: err });
    }
    const missing = /Cannot find module '(@libsql\/[^']+)'/.exec(message);
    if (missing) {
      throw new EngineError("storage_error", `SQLite's binary for ${platform} (${missing[1]}, an optional dependency of libsql) is not installed: install without --omit=optional, or ${ELSEWHERE}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Open (creating when missing) the database file at `path`, or `":memory:"`.
 * `busyTimeoutMs`: how long a statement waits for another connection's lock
 * before failing with SQLITE_BUSY (0: fail at once).
 */
export function openSqlite(path: string, busyTimeoutMs: number): SqliteDatabase {
  const Database = loadLibsql();
  return new Database(path, { timeout: busyTimeoutMs });
}

/**
 * Run `PRAGMA name` (or `PRAGMA name = value`) and return the first row's
 * `name` column: the pragma's value, or its first result (`quick_check`
 * gives "ok" or the first problem). Undefined when it returns no row.
 *
 * @example pragmaValue(db, "user_version") // 3
 */
export function pragmaValue(db: SqliteDatabase, name: string, value?: string | number): unknown {
  const row = db.prepare(value === undefined ? `PRAGMA ${name}` : `PRAGMA ${name} = ${value}`).get() as Record<string, unknown> | undefined;
  return row?.[name];
}

/**
 * Run `fn` in a BEGIN IMMEDIATE transaction (the write lock taken up front,
 * so two connections cannot both read then write): committed when it
 * returns, rolled back when it throws, and the error it threw (or the
 * COMMIT's) is the one rethrown.
 */
export function immediateTransaction<T>(db: SqliteDatabase, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    // SQLite may already have rolled back (SQLITE_FULL, SQLITE_IOERR, ...).
    if (db.inTransaction) {
      try {
        db.exec("ROLLBACK");
      } catch {
        /* the first failure is the one to report */
      }
    }
    throw err;
  }
}
