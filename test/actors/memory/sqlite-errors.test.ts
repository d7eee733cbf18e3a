/**
 * SQLite failures to EngineError codes, as libsql reports them: the
 * extended result code as a number (`rawCode`) and as a name (`code`),
 * where extended codes libsql has no name for read
 * "UNKNOWN_SQLITE_ERROR_<n>" and still map by their primary code.
 */
import Database from "libsql";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { SchemaTooNewError } from "../../../actors/memory/migrations.js";
import { memoryErrorCode, toMemoryError } from "../../../actors/memory/sqlite-errors.js";

describe("memoryErrorCode", () => {
  it.each([
    ["SQLITE_BUSY", "locked"],
    ["SQLITE_BUSY_SNAPSHOT", "locked"],
    ["SQLITE_LOCKED_SHAREDCACHE", "locked"],
    ["SQLITE_FULL", "full"],
    ["SQLITE_CORRUPT", "corrupt"],
    ["SQLITE_CORRUPT_VTAB", "corrupt"],
    ["SQLITE_NOTADB", "corrupt"],
    ["SQLITE_READONLY", "storage_error"],
    ["SQLITE_IOERR_WRITE", "storage_error"],
    ["SQLITE_CANTOPEN", "storage_error"],
    ["", "storage_error"],
    [undefined, "storage_error"],
  ] as const)("name %s is %s", (name, code) => {
    expect(memoryErrorCode(name)).toBe(code);
  });

  it.each([
    [5, "locked"], // SQLITE_BUSY
    [517, "locked"], // SQLITE_BUSY_SNAPSHOT
    [773, "locked"], // SQLITE_BUSY_TIMEOUT, which libsql has no name for
    [6, "locked"], // SQLITE_LOCKED
    [13, "full"], // SQLITE_FULL
    [11, "corrupt"], // SQLITE_CORRUPT
    [779, "corrupt"], // SQLITE_CORRUPT_INDEX, which libsql has no name for
    [26, "corrupt"], // SQLITE_NOTADB
    [8, "storage_error"], // SQLITE_READONLY
    [778, "storage_error"], // SQLITE_IOERR_WRITE
    [3091, "storage_error"], // SQLITE_CONSTRAINT_DATATYPE
  ] as const)("number %i is %s", (rawCode, code) => {
    expect(memoryErrorCode(rawCode)).toBe(code);
  });
});

describe("toMemoryError", () => {
  it("maps libsql's SqliteError by its number, also when libsql has no name for it", () => {
    const err = toMemoryError(new Database.SqliteError("database disk image is malformed", "UNKNOWN_SQLITE_ERROR_779", 779), "Recalling memories");
    expect(err).toBeInstanceOf(EngineError);
    expect(err.code).toBe("corrupt");
    expect(err.message).toBe("Recalling memories: The memory database file is corrupt or not a database; it was left untouched (database disk image is malformed)");
  });

  it("maps a real libsql error by its code (no such table: SQLITE_ERROR, storage_error), keeping SQLite's message and the error as the cause", () => {
    const one = new Database(":memory:");
    let thrown: unknown;
    try {
      one.exec("SELECT * FROM missing_table");
    } catch (e) {
      thrown = e;
    }
    one.close();
    const err = toMemoryError(thrown, "Listing memories");
    expect(err.code).toBe("storage_error");
    expect(err.message).toBe("Listing memories: The memory database failed (no such table: missing_table)");
    expect(err.cause).toBe(thrown);
    expect((thrown as { code: string; rawCode: number }).code).toBe("SQLITE_ERROR");
    expect((thrown as { code: string; rawCode: number }).rawCode).toBe(1);
  });

  it("maps failures without an SQLite code (libsql's code is an empty string) to storage_error, and passes EngineErrors through", () => {
    const plain = Object.assign(new Error("ConnectionFailed(\"unable to open\")"), { code: "" });
    expect(toMemoryError(plain, "Opening memory database").code).toBe("storage_error");
    expect(toMemoryError(new TypeError("The database connection is not open"), "Reading a memory").message).toBe("Reading a memory: The memory database failed (The database connection is not open)");
    const own = new EngineError("corrupt", "quick_check failed");
    expect(toMemoryError(own, "Opening memory database")).toBe(own);
    expect(toMemoryError(new SchemaTooNewError(9, 3), "Opening memory database").message).toBe("Opening memory database: Memory database schema version 9 is newer than this server supports (3)");
  });
});
