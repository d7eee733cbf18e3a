/**
 * Upgrading a SQLite memory database written before users existed
 * (schema version 2, a real file of that release: fixtures/memory-v2.db):
 * every row is kept with every field, every memory belongs to `default`,
 * recall, search and the interrupted mark keep working, and other users
 * start empty.
 */
import { copyFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, it } from "vitest";
import { SCHEMA_VERSION } from "../../../actors/memory/migrations.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { pragmaValue } from "../../../actors/memory/sqlite-driver.js";
import { columns, openReadOnly } from "../../helpers/sqlite.js";
import { tempDir, type TempDir } from "../../helpers/temp-dir.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/memory-v2.db", import.meta.url));

/** What the version 2 release listed from the fixture, newest first. */
const KEPT = [
  { id: "mem_a00384fb-28f5-494b-ac4c-4abd126dc411", kind: "fact", text: "Café Ñandú opens at nine", importance: 0.6, createdAt: "2026-04-01T09:06:00.000Z", turnId: null, interrupted: false },
  { id: "mem_514fc675-df74-4e2a-a8a4-9ab79e345fee", kind: "fact", text: "The garage code is 4711", importance: 1, createdAt: "2026-04-01T09:05:00.000Z", turnId: "t3", interrupted: false },
  {
    id: "mem_84a189cd-b9c3-43bc-b1df-1d3826844fa3",
    kind: "turn",
    text: "User: Tell me about the lighthouse\nAssistant (interrupted): The lighthouse was built in—",
    importance: 0.3,
    createdAt: "2026-04-01T09:04:00.000Z",
    turnId: "t2",
    interrupted: true,
  },
  {
    id: "mem_fed212b2-31f6-42d6-b3c1-99017a368a3f",
    kind: "turn",
    text: "User: What's my favourite colour?\nAssistant: You told me it is green.",
    importance: 0.3,
    createdAt: "2026-04-01T09:03:00.000Z",
    turnId: "t1",
    interrupted: false,
  },
  { id: "mem_e4521a9e-5784-43bd-846e-f789becd6e6c", kind: "preference", text: "I prefer tea to coffee", importance: 0.8, createdAt: "2026-04-01T09:02:00.000Z", turnId: null, interrupted: false },
  { id: "mem_f3615807-c43a-46c6-aaf7-ab26708fb75f", kind: "fact", text: "My sister lives in Lisbon", importance: 0.6, createdAt: "2026-04-01T09:01:00.000Z", turnId: null, interrupted: false },
];

let tmp: TempDir;
let path: string;
beforeEach(() => {
  tmp = tempDir();
  path = tmp.file();
  copyFileSync(FIXTURE, path);
});
afterEach(() => tmp.remove());

it("the fixture is a version 2 database of six memories", () => {
  const raw = openReadOnly(path);
  expect(pragmaValue(raw, "user_version")).toBe(2);
  expect((raw.prepare("SELECT count(*) AS n FROM memories").get() as { n: number }).n).toBe(6);
  expect(raw.prepare("SELECT name FROM pragma_table_info('memories') WHERE name = 'user_id'").all()).toEqual([]);
  raw.close();
});

it("upgrades with every row kept, every memory the default user's, recall, search and the mark working", async () => {
  const store = new SqliteMemoryStore({ path });
  try {
    expect(await store.list({ limit: 100 })).toEqual(KEPT);
    expect(await store.list({ limit: 100, userId: "default" })).toEqual(KEPT);
    expect(await store.count()).toBe(6);
    expect((await store.recall("where does my sister live?")).map((h) => h.item.id)).toEqual(["mem_f3615807-c43a-46c6-aaf7-ab26708fb75f"]);
    expect((await store.recall("what's my favorite color?")).map((h) => h.item.id)).toEqual(["mem_fed212b2-31f6-42d6-b3c1-99017a368a3f"]);
    expect((await store.search("cafe nan")).map((h) => h.item.id)).toEqual(["mem_a00384fb-28f5-494b-ac4c-4abd126dc411"]);
    expect((await store.recall("lighthouse")).map((h) => h.item.interrupted)).toEqual([true]);
    // Nobody else sees them; a new user starts empty and keeps their own.
    expect(await store.recall("sister", { userId: "ana" })).toEqual([]);
    expect(await store.list({ userId: "ana" })).toEqual([]);
    const ana = await store.remember({ text: "My sister lives in Madrid", userId: "ana" });
    expect((await store.recall("sister", { userId: "ana" })).map((h) => h.item.id)).toEqual([ana.id]);
    expect(await store.forget(KEPT[0]!.id, { userId: "ana" })).toBe(false);
  } finally {
    await store.close();
  }

  // Recorded in the file: the current version, the new column, every old row the default user's.
  const raw = openReadOnly(path);
  expect(pragmaValue(raw, "user_version")).toBe(SCHEMA_VERSION);
  expect(columns(raw.prepare("SELECT user_id, count(*) AS n FROM memories GROUP BY user_id ORDER BY user_id").all())).toEqual([
    { user_id: "ana", n: 1 },
    { user_id: "default", n: 6 },
  ]);
  raw.close();
});

it("an upgraded file opens again unchanged", async () => {
  await new SqliteMemoryStore({ path }).close();
  const again = new SqliteMemoryStore({ path });
  try {
    expect(await again.list({ limit: 100 })).toEqual(KEPT);
  } finally {
    await again.close();
  }
});
