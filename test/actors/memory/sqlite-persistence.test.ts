/** The SQLite memory store across restarts: migrations, WAL, checkpoint on close, durability of commits. */
import { spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { MIGRATIONS, SCHEMA_VERSION, migrate } from "../../../actors/memory/migrations.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { pragmaValue, type SqliteDatabase } from "../../../actors/memory/sqlite-driver.js";
import { columns, openReadOnly } from "../../helpers/sqlite.js";
import { tempDir } from "../../helpers/temp-dir.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

describe("restart", () => {
  it("keeps turns and facts across close and reopen", async () => {
    const path = tmp.file();
    const first = new SqliteMemoryStore({ path });
    const fact = await first.remember({ text: "The user's favourite colour is teal", kind: "preference", importance: 0.8 });
    const turn = await first.storeTurn({ turnId: "t1", user: "Call me Sam", assistant: "Hello Sam" });
    await first.close();

    const second = new SqliteMemoryStore({ path });
    try {
      expect((await second.list()).map((m) => m.id).sort()).toEqual([fact.id, turn.id].sort());
      const hits = await second.recall("favourite colour");
      expect(hits.map((h) => h.item)).toEqual([fact]);
      expect((await second.recall("Sam")).map((h) => h.item)).toEqual([turn]);
    } finally {
      await second.close();
    }
  });

  it("creates missing directories for the database file", async () => {
    const path = join(tmp.dir, "a", "b", "memory.db");
    const store = new SqliteMemoryStore({ path });
    await store.close();
    expect(existsSync(path)).toBe(true);
  });

  it("uses WAL and checkpoints it into the main file on close", async () => {
    const path = tmp.file();
    const store = new SqliteMemoryStore({ path });
    for (let i = 0; i < 20; i++) await store.remember({ text: `fact number ${i}` });
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    await store.close();
    await store.close(); // idempotent
    // Either the WAL file is gone (last connection) or truncated to zero.
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);

    const raw = openReadOnly(path);
    try {
      expect(pragmaValue(raw, "journal_mode")).toBe("wal");
      expect((raw.prepare("SELECT count(*) AS n FROM memories").get() as { n: number }).n).toBe(20);
    } finally {
      raw.close();
    }
  });

  it("fails with storage_error after close", async () => {
    const store = new SqliteMemoryStore({ path: tmp.file() });
    await store.close();
    const err = await store.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("storage_error");
  });

  it("keeps a turn whose write resolved even when the process is killed right after", async () => {
    const path = tmp.file();
    // A child process stores a turn, then dies by SIGKILL without close().
    const script = `
      import { SqliteMemoryStore } from ${JSON.stringify(new URL("../../../actors/memory/sqlite.ts", import.meta.url).pathname)};
      const store = new SqliteMemoryStore({ path: ${JSON.stringify(path)} });
      const item = await store.storeTurn({ turnId: "t9", user: "remember the blue door", assistant: "Noted" });
      process.stdout.write(item.id);
      process.kill(process.pid, "SIGKILL");
    `;
    const scriptPath = join(tmp.dir, "child.mts");
    writeFileSync(scriptPath, script);
    const child = spawnSync(process.execPath, ["--import", "tsx", scriptPath], { encoding: "utf8", timeout: 30_000 });
    expect(child.signal).toBe("SIGKILL");
    const id = child.stdout;
    expect(id).toMatch(/^mem_/);

    const store = new SqliteMemoryStore({ path });
    try {
      const hits = await store.recall("blue door");
      expect(hits.map((h) => [h.item.id, h.item.turnId])).toEqual([[id, "t9"]]);
    } finally {
      await store.close();
    }
  });
});

describe("migrations", () => {
  it("migrates an empty (zero-byte) file to the current schema", async () => {
    const path = tmp.file();
    writeFileSync(path, "");
    const store = new SqliteMemoryStore({ path });
    await store.remember({ text: "works" });
    await store.close();
    const raw = openReadOnly(path);
    try {
      expect(pragmaValue(raw, "user_version")).toBe(SCHEMA_VERSION);
      const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name").all() as { name: string }[]).map((r) => r.name);
      expect(tables).toContain("memories");
      expect(tables).toContain("memories_fts");
    } finally {
      raw.close();
    }
  });

  it("applies each migration once and reports what it applied", () => {
    const db = new Database(":memory:");
    try {
      expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(migrate(db)).toEqual([]);
      expect(pragmaValue(db, "user_version")).toBe(SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it("rolls a failing migration back completely", () => {
    const db = new Database(":memory:");
    try {
      const broken = [
        ...MIGRATIONS,
        {
          version: MIGRATIONS.length + 1,
          description: "creates a table, then fails",
          up(d: SqliteDatabase) {
            d.exec("CREATE TABLE half_done (x)");
            throw new Error("boom");
          },
        },
      ];
      expect(() => migrate(db, broken)).toThrow("boom");
      expect(pragmaValue(db, "user_version")).toBe(SCHEMA_VERSION);
      expect(columns(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'").all())).toEqual([{ n: 0 }]);
    } finally {
      db.close();
    }
  });

  it("refuses a database from a newer schema with storage_error and leaves it alone", () => {
    const path = tmp.file();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
    raw.close();
    let err: unknown;
    try {
      new SqliteMemoryStore({ path });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe("storage_error");
    expect((err as EngineError).message).toContain(`schema version ${SCHEMA_VERSION + 5} is newer`);
    const check = openReadOnly(path);
    expect(pragmaValue(check, "user_version")).toBe(SCHEMA_VERSION + 5);
    check.close();
  });
});
