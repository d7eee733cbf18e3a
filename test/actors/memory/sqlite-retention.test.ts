/** Retention cap of the SQLite memory store: least important first, then oldest; the new memory is never the one evicted. */
import { afterEach, beforeEach, expect, it } from "vitest";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { tempDir } from "../../helpers/temp-dir.js";

let tmp: ReturnType<typeof tempDir>;
let clock: number;
beforeEach(() => {
  tmp = tempDir();
  clock = Date.UTC(2026, 0, 1);
});
afterEach(() => tmp.remove());

const open = (maxItems: number) => new SqliteMemoryStore({ path: tmp.file(), maxItems, now: () => new Date((clock += 1000)) });

it("evicts the least important memory first, the oldest among equals", async () => {
  const store = open(3);
  try {
    const importantOld = await store.remember({ text: "important old", importance: 0.9 });
    const trivialOld = await store.remember({ text: "trivial old", importance: 0.1 });
    const trivialNew = await store.remember({ text: "trivial new", importance: 0.1 });
    expect(await store.count()).toBe(3);

    const fourth = await store.remember({ text: "fourth", importance: 0.5 });
    expect((await store.list()).map((m) => m.text)).toEqual(["fourth", "trivial new", "important old"]);
    expect(await store.get(trivialOld.id)).toBeNull();

    const fifth = await store.remember({ text: "fifth", importance: 0.5 });
    expect((await store.list()).map((m) => m.id)).toEqual([fifth.id, fourth.id, importantOld.id]);
    expect(await store.get(trivialNew.id)).toBeNull();
    // Evicted memories are gone from recall as well.
    expect(await store.recall("trivial")).toEqual([]);
  } finally {
    await store.close();
  }
});

it("never evicts the memory being written, even when it is the least important", async () => {
  const store = open(2);
  try {
    const a = await store.remember({ text: "a", importance: 1 });
    const b = await store.remember({ text: "b", importance: 0.8 });
    const trivia = await store.remember({ text: "trivia", importance: 0 });
    expect((await store.list()).map((m) => m.id)).toEqual([trivia.id, a.id]);
    expect(await store.get(b.id)).toBeNull();
    // Turns count against the same cap.
    const t = await store.storeTurn({ turnId: "t1", user: "hi", assistant: "hello" });
    expect((await store.list()).map((m) => m.id)).toEqual([t.id, a.id]);
  } finally {
    await store.close();
  }
});

it("applies a lowered cap on the next write after reopening", async () => {
  const big = open(10);
  for (let i = 0; i < 6; i++) await big.remember({ text: `m${i}`, importance: 0.5 });
  await big.close();
  const small = open(4);
  try {
    expect(await small.count()).toBe(6);
    await small.remember({ text: "new", importance: 0.5 });
    expect((await small.list()).map((m) => m.text)).toEqual(["new", "m5", "m4", "m3"]);
  } finally {
    await small.close();
  }
});
