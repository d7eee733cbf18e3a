/**
 * The SQLite driver seam (actors/memory/sqlite-driver.ts) where libsql
 * differs from better-sqlite3: a pragma's value read from its own column,
 * and a transaction whose failure is reported as itself even when SQLite
 * already rolled it back (SQLITE_FULL), where libsql's own transaction()
 * reports "cannot rollback - no transaction is active" instead; and a
 * clear error when this platform's binary is missing.
 */
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { immediateTransaction, loadLibsql, openSqlite, pragmaValue, type SqliteDatabase } from "../../../actors/memory/sqlite-driver.js";
import { tempDir, type TempDir } from "../../helpers/temp-dir.js";

let tmp: TempDir;
let db: SqliteDatabase;
beforeEach(() => {
  tmp = tempDir();
  db = openSqlite(tmp.file(), 0);
});
afterEach(() => {
  db.close();
  tmp.remove();
});

const rowCount = () => (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;

describe("pragmaValue", () => {
  it("returns the pragma's value, sets one, and is undefined for a pragma that returns no row", () => {
    expect(pragmaValue(db, "user_version")).toBe(0);
    expect(pragmaValue(db, "user_version", 7)).toBeUndefined();
    expect(pragmaValue(db, "user_version")).toBe(7);
    expect(pragmaValue(db, "journal_mode", "WAL")).toBe("wal");
    expect(pragmaValue(db, "quick_check")).toBe("ok");
    expect(pragmaValue(db, "page_size")).toBe(4096);
  });
});

describe("immediateTransaction", () => {
  beforeEach(() => db.exec("CREATE TABLE t (x TEXT)"));

  it("commits what the function wrote and returns its result", () => {
    expect(immediateTransaction(db, () => db.prepare("INSERT INTO t VALUES ('a')").run().changes)).toBe(1);
    expect(db.inTransaction).toBe(false);
    expect(rowCount()).toBe(1);
  });

  it("rolls back everything when the function throws, and rethrows that error", () => {
    const boom = new Error("boom");
    expect(() =>
      immediateTransaction(db, () => {
        db.prepare("INSERT INTO t VALUES ('a')").run();
        throw boom;
      }),
    ).toThrow(boom);
    expect(db.inTransaction).toBe(false);
    expect(rowCount()).toBe(0);
  });

  it("reports SQLITE_FULL as itself when SQLite already rolled the transaction back, and the connection keeps working", () => {
    pragmaValue(db, "max_page_count", 20);
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    let full: { code?: string } | undefined;
    let kept = 0;
    for (let i = 0; i < 1000 && !full; i++) {
      try {
        immediateTransaction(db, () => insert.run("x".repeat(800)));
        kept++;
      } catch (err) {
        full = err as { code?: string };
      }
    }
    expect(full?.code).toBe("SQLITE_FULL");
    expect(db.inTransaction).toBe(false);
    expect(rowCount()).toBe(kept);
    // libsql's own transaction() hides that failure behind its ROLLBACK's:
    const libsqlTransaction = db.transaction(() => insert.run("x".repeat(800)));
    expect(() => libsqlTransaction.immediate()).toThrow("cannot rollback - no transaction is active");
    db.prepare("DELETE FROM t").run();
    immediateTransaction(db, () => insert.run("small"));
    expect(rowCount()).toBe(1);
  });
});

describe("loadLibsql", () => {
  function failure(load: (id: string) => unknown): EngineError {
    try {
      loadLibsql(load);
    } catch (err) {
      expect(err).toBeInstanceOf(EngineError);
      return err as EngineError;
    }
    throw new Error("expected loadLibsql to fail");
  }

  it("loads libsql with this platform's binary", () => {
    const Database = loadLibsql();
    const memory = new Database(":memory:");
    expect(pragmaValue(memory, "journal_mode")).toBe("memory");
    memory.close();
  });

  it("says what to do when this platform's binary package was not installed", () => {
    // Node's own error for the require libsql makes of its platform package, as when npm omitted optional dependencies.
    const require = createRequire(join(tmpdir(), "nowhere.js"));
    const err = failure((id) => require(id === "libsql" ? "@libsql/linux-x64-gnu" : id));
    expect(err.code).toBe("storage_error");
    expect(err.message).toBe(
      `SQLite's binary for ${process.platform} ${process.arch} (@libsql/linux-x64-gnu, an optional dependency of libsql) is not installed: install without --omit=optional, or keep memory elsewhere (--memory-db postgres://..., or --memory-db off)`,
    );
  });

  it("says what to do on a platform libsql has no binary for", () => {
    // What libsql's loader (@neon-rs/load) throws there.
    const err = failure(() => {
      throw new Error("Neon: unsupported system: aix");
    });
    expect(err.code).toBe("storage_error");
    expect(err.message).toBe(`SQLite is not available on ${process.platform} ${process.arch}: libsql has no prebuilt binary for it; keep memory elsewhere (--memory-db postgres://..., or --memory-db off)`);
  });

  it("lets any other failure through as it is", () => {
    const other = new Error("something else");
    expect(() =>
      loadLibsql(() => {
        throw other;
      }),
    ).toThrow(other);
  });
});
