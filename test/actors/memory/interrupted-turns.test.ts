/**
 * Interrupted turns in long-term memory: every engine keeps the mark and
 * return it from list, recall and search, the text says the answer was cut
 * (so recall shows it for what it is), and a database written before the
 * mark existed (schema version 1) upgrades with every memory kept, every
 * old memory reading as not interrupted, and recall and search still working.
 */
import Database from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryStore } from "../../../actors/memory/in-memory.js";
import { MIGRATIONS, SCHEMA_VERSION, migrate } from "../../../actors/memory/migrations.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { pragmaValue } from "../../../actors/memory/sqlite-driver.js";
import type { MemoryStore } from "../../../actors/memory/types.js";
import { useMemoryStores } from "../../helpers/memory-stores.js";
import { columns, openReadOnly } from "../../helpers/sqlite.js";
import { tempDir } from "../../helpers/temp-dir.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each([
  ...useMemoryStores().map((kind) => [kind.name, (): Promise<MemoryStore> => kind.open()] as const),
  ["in-memory", async (): Promise<MemoryStore> => new InMemoryStore()] as const,
])("%s store: interrupted turns", (_name, open) => {
  it("keeps the mark, says so in the text, and returns it from list and recall", async () => {
    const store = await open();
    const cut = await store.storeTurn({ turnId: "t1", user: "Tell me about the lighthouse", assistant: "The lighthouse was built in—", interrupted: true });
    const whole = await store.storeTurn({ turnId: "t2", user: "And the harbour?", assistant: "The harbour is older." });
    const fact = await store.remember({ text: "The lighthouse keeper is called Ana" });
    expect(cut).toMatchObject({ kind: "turn", turnId: "t1", interrupted: true, text: "User: Tell me about the lighthouse\nAssistant (interrupted): The lighthouse was built in—" });
    expect(whole).toMatchObject({ interrupted: false, text: "User: And the harbour?\nAssistant: The harbour is older." });
    expect(fact.interrupted).toBe(false);
    expect((await store.list()).map((i) => [i.turnId, i.interrupted])).toEqual([
      [null, false],
      ["t2", false],
      ["t1", true],
    ]);
    const hits = await store.recall("when was the lighthouse built");
    const hit = hits.find((h) => h.item.id === cut.id);
    expect(hit?.item).toMatchObject({ interrupted: true, text: cut.text });
  });
});

describe("sqlite store: a version 1 database upgrades", () => {
  it("keeps every memory, reads old ones as not interrupted, and stores the mark afterwards", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const path = tmp.file();
    // A database exactly as the previous release wrote it: schema version 1 and its rows.
    const old = new Database(path);
    old.pragma("journal_mode = WAL");
    expect(migrate(old, MIGRATIONS.slice(0, 1))).toEqual([1]);
    const insert = old.prepare(
      `INSERT INTO memories (id, kind, text, user_text, answer, importance, created_at, created_ms, turn_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run("mem_old1", "turn", "User: Where is my bicycle?\nAssistant: In the garage.", "Where is my bicycle?", "In the garage.", 0.3, "2026-01-01T10:00:00.000Z", Date.parse("2026-01-01T10:00:00.000Z"), "t4");
    insert.run("mem_old2", "preference", "The user prefers tea to coffee", null, null, 0.7, "2026-01-02T10:00:00.000Z", Date.parse("2026-01-02T10:00:00.000Z"), null);
    old.close();

    const store = new SqliteMemoryStore({ path });
    cleanups.push(() => store.close());
    expect(await store.count()).toBe(2);
    expect(await store.list()).toEqual([
      { id: "mem_old2", kind: "preference", text: "The user prefers tea to coffee", importance: 0.7, createdAt: "2026-01-02T10:00:00.000Z", turnId: null, interrupted: false },
      { id: "mem_old1", kind: "turn", text: "User: Where is my bicycle?\nAssistant: In the garage.", importance: 0.3, createdAt: "2026-01-01T10:00:00.000Z", turnId: "t4", interrupted: false },
    ]);
    expect((await store.recall("bicycle")).map((h) => h.item.id)).toEqual(["mem_old1"]);
    expect((await store.search("tea")).map((h) => h.item.id)).toEqual(["mem_old2"]);

    const cut = await store.storeTurn({ turnId: "t5", user: "Tell me a story", assistant: "Once upon a time there was a—", interrupted: true });
    expect((await store.search("once upon")).map((h) => [h.item.id, h.item.interrupted])).toEqual([[cut.id, true]]);
    await store.close();

    // The upgrade is recorded: the file is at the current version and the mark survives a reopen.
    const raw = openReadOnly(path);
    expect(pragmaValue(raw, "user_version")).toBe(SCHEMA_VERSION);
    expect(columns(raw.prepare("SELECT id, interrupted FROM memories ORDER BY seq").all())).toEqual([
      { id: "mem_old1", interrupted: 0 },
      { id: "mem_old2", interrupted: 0 },
      { id: cut.id, interrupted: 1 },
    ]);
    raw.close();
  });

  it("refuses a value other than 0 or 1 in the new column", () => {
    const db = new Database(":memory:");
    cleanups.push(() => void db.close());
    migrate(db);
    expect(() =>
      db.prepare("INSERT INTO memories (id, kind, text, importance, created_at, created_ms, interrupted) VALUES ('x', 'turn', 't', 0.3, '2026-01-01T00:00:00.000Z', 0, 2)").run(),
    ).toThrow(/CHECK constraint failed/);
  });
});
