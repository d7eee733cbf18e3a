/**
 * Retention cap of both database stores: least important first, then
 * oldest; the new memory is never the one evicted; the cap counts each
 * user's memories apart, so one user's chatter never evicts another's.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { tickingClock, useMemoryStores } from "../../helpers/memory-stores.js";

describe.each(useMemoryStores())("$name store", (kind) => {
  let now: () => Date;
  beforeEach(() => {
    now = tickingClock();
  });

  const open = (maxItems: number) => kind.open({ maxItems, now });

  it("evicts the least important memory first, the oldest among equals", async () => {
    const store = await open(3);
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
    const store = await open(2);
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
    const big = await open(10);
    for (let i = 0; i < 6; i++) await big.remember({ text: `m${i}`, importance: 0.5 });
    await big.close();
    const small = await open(4);
    try {
      expect(await small.count()).toBe(6);
      await small.remember({ text: "new", importance: 0.5 });
      expect((await small.list()).map((m) => m.text)).toEqual(["new", "m5", "m4", "m3"]);
    } finally {
      await small.close();
    }
  });

  it("caps each user's memories apart: another user's writes evict nothing of yours", async () => {
    const store = await open(2);
    const mine = [await store.remember({ text: "mine one", userId: "ana" }), await store.remember({ text: "mine two", userId: "ana" })];
    for (let i = 0; i < 5; i++) await store.remember({ text: `theirs ${i}`, userId: "ben", importance: 1 });
    expect((await store.list({ userId: "ana" })).map((m) => m.id)).toEqual([mine[1]!.id, mine[0]!.id]);
    expect((await store.list({ userId: "ben" })).map((m) => m.text)).toEqual(["theirs 4", "theirs 3"]);
    expect(await store.count({ userId: "ana" })).toBe(2);
    expect(await store.count({ userId: "ben" })).toBe(2);
  });
});
