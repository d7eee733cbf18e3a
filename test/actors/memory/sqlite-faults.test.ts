/** Faults of the SQLite memory store: corrupt, locked and full databases map to EngineError codes; user data is never destroyed. */
import { randomBytes } from "node:crypto";
import { openSync, readdirSync, readFileSync, writeFileSync, writeSync, closeSync } from "node:fs";
import Database from "libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { tempDir } from "../../helpers/temp-dir.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

function openError(options: ConstructorParameters<typeof SqliteMemoryStore>[0]): EngineError {
  try {
    const store = new SqliteMemoryStore(options);
    void store.close();
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    return err as EngineError;
  }
  throw new Error("expected the store to refuse to open");
}

describe("corrupt database", () => {
  it("refuses a file that is not a database with code corrupt and leaves it byte-for-byte untouched", () => {
    const path = tmp.file();
    const garbage = Buffer.concat([Buffer.from("this is not sqlite, it is someone's notes\n"), randomBytes(8192)]);
    writeFileSync(path, garbage);

    const err = openError({ path });
    expect(err.code).toBe("corrupt");
    expect(err.message).toMatch(/^Opening memory database: The memory database file is corrupt or not a database; it was left untouched/);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    // No -wal / -shm side files were created next to it.
    expect(readdirSync(tmp.dir)).toEqual(["memory.db"]);
    // And asking again gives the same answer: nothing was "repaired".
    expect(openError({ path }).code).toBe("corrupt");
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it("refuses a real database whose pages were damaged, without rewriting it", async () => {
    const path = tmp.file();
    const store = new SqliteMemoryStore({ path });
    for (let i = 0; i < 200; i++) await store.remember({ text: `memory ${i} ${"padding ".repeat(20)}` });
    await store.close();

    // Smash everything after the first page (the header stays valid).
    const size = readFileSync(path).length;
    const fd = openSync(path, "r+");
    writeSync(fd, Buffer.alloc(size - 4096, 0xab), 0, size - 4096, 4096);
    closeSync(fd);
    const damaged = readFileSync(path);

    const err = openError({ path });
    expect(err.code).toBe("corrupt");
    expect(readFileSync(path).equals(damaged)).toBe(true);
  });
});

describe("locked database", () => {
  it("fails a write with code locked while another connection holds the write lock, then recovers", async () => {
    const path = tmp.file();
    const store = new SqliteMemoryStore({ path, busyTimeoutMs: 0 });
    try {
      const before = await store.remember({ text: "written before the lock" });
      const other = new Database(path);
      other.exec("BEGIN IMMEDIATE");
      try {
        const err = await store.remember({ text: "blocked" }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EngineError);
        expect((err as EngineError).code).toBe("locked");
        expect((err as EngineError).message).toMatch(/^Storing a memory: The memory database is locked/);
        // WAL: readers are not blocked by the writer.
        expect((await store.list()).map((m) => m.id)).toEqual([before.id]);
      } finally {
        other.exec("ROLLBACK");
        other.close();
      }
      await store.remember({ text: "after the lock" });
      expect(await store.count()).toBe(2);
    } finally {
      await store.close();
    }
  });
});

describe("full database", () => {
  it("fails a write with code full, keeps what was committed and commits nothing partial", async () => {
    const path = tmp.file();
    const store = new SqliteMemoryStore({ path, maxBytes: 256 * 1024 });
    try {
      let err: unknown;
      let stored = 0;
      for (let i = 0; i < 10_000 && !err; i++) {
        try {
          await store.remember({ text: `entry ${i} ${randomBytes(400).toString("hex")}` });
          stored++;
        } catch (e) {
          err = e;
        }
      }
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).code).toBe("full");
      expect(stored).toBeGreaterThan(0);
      // The failed insert left no row (and no orphan index entry): count and FTS agree.
      expect(await store.count()).toBe(stored);
      expect((await store.recall("entry", { limit: 100 })).length).toBe(Math.min(stored, 100));
      // Forgetting makes room again.
      const [oldest] = (await store.list({ limit: 100 })).slice(-1);
      expect(await store.forget(oldest!.id)).toBe(true);
      expect(await store.get(oldest!.id)).toBeNull();
    } finally {
      await store.close();
    }
    const reopened = new SqliteMemoryStore({ path });
    await reopened.close();
  });
});

describe("options", () => {
  it("throws one TypeError per invalid option", () => {
    expect(() => new SqliteMemoryStore({ path: ":memory:", maxItems: 0 })).toThrow(new TypeError("maxItems must be a positive integer"));
    expect(() => new SqliteMemoryStore({ path: ":memory:", busyTimeoutMs: -1 })).toThrow(TypeError);
    expect(() => new SqliteMemoryStore({ path: ":memory:", maxBytes: 10 })).toThrow(TypeError);
  });
});
