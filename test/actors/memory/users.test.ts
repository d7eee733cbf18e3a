/**
 * Memory owned by a user (issue 22): every store keeps each memory for one
 * user and recalls, searches, lists, counts and forgets the memories of the
 * user it is asked for only; without a user it is `default`; a bad user id
 * is refused before anything is read or written.
 */
import { describe, expect, it } from "vitest";
import { InMemoryStore } from "../../../actors/memory/in-memory.js";
import type { MemoryStore } from "../../../actors/memory/types.js";
import { tickingClock, useMemoryStores } from "../../helpers/memory-stores.js";

const databases = useMemoryStores();
const kinds = [
  ...databases.map((kind) => ({ name: kind.name, open: () => kind.open({ now: tickingClock() }) as Promise<MemoryStore> })),
  { name: "in-memory", open: async (): Promise<MemoryStore> => new InMemoryStore({ now: tickingClock() }) },
];

describe.each(kinds)("$name store", ({ open }) => {
  it("recalls a user's memories for that user only, in any of their calls, and never for another", async () => {
    const store = await open();
    const ana = await store.remember({ text: "My sister lives in Lisbon", userId: "ana" });
    const ben = await store.remember({ text: "My sister lives in Porto", userId: "ben" });
    const anaTurn = await store.storeTurn({ turnId: "t1", user: "Where is my sister?", assistant: "In Lisbon.", userId: "ana" });

    expect((await store.recall("where does my sister live", { userId: "ana" })).map((h) => h.item.id).sort()).toEqual([ana.id, anaTurn.id].sort());
    expect((await store.recall("where does my sister live", { userId: "ben" })).map((h) => h.item.id)).toEqual([ben.id]);
    expect(await store.recall("lisbon", { userId: "ben" })).toEqual([]);
    expect(await store.recall("sister", { userId: "carla" })).toEqual([]);
    expect((await store.list({ userId: "ana" })).map((m) => m.id)).toEqual([anaTurn.id, ana.id]);
    expect((await store.list({ userId: "ben" })).map((m) => m.id)).toEqual([ben.id]);
  });

  it("acts for `default` when no user is given, apart from named users", async () => {
    const store = await open();
    const mine = await store.remember({ text: "The garage code is 4711" });
    await store.remember({ text: "The garage code is 1234", userId: "ben" });
    expect((await store.recall("garage code")).map((h) => h.item.id)).toEqual([mine.id]);
    expect((await store.recall("garage code", { userId: "default" })).map((h) => h.item.id)).toEqual([mine.id]);
    expect((await store.list()).map((m) => m.id)).toEqual([mine.id]);
  });

  it("forgets only the asking user's memory: another user's id is not found and stays", async () => {
    const store = await open();
    const ben = await store.remember({ text: "Ben's locker is 17", userId: "ben" });
    expect(await store.forget(ben.id, { userId: "ana" })).toBe(false);
    expect(await store.forget(ben.id)).toBe(false);
    expect((await store.list({ userId: "ben" })).map((m) => m.id)).toEqual([ben.id]);
    expect(await store.forget(ben.id, { userId: "ben" })).toBe(true);
    expect(await store.list({ userId: "ben" })).toEqual([]);
  });

  it("refuses a user id outside [A-Za-z0-9_-]{1,64} with a TypeError, writing nothing", async () => {
    const store = await open();
    for (const bad of ["", "a b", "ana/..", "é", "x".repeat(65), "ana;DROP TABLE"]) {
      await expect(store.remember({ text: "secret", userId: bad })).rejects.toThrow(/Invalid user id .*1 to 64 letters, digits, '_' or '-'/);
      await expect(store.recall("secret", { userId: bad })).rejects.toThrow(TypeError);
      await expect(store.list({ userId: bad })).rejects.toThrow(TypeError);
      await expect(store.forget("mem_x", { userId: bad })).rejects.toThrow(TypeError);
    }
    expect(await store.list()).toEqual([]);
    await store.remember({ text: "ok", userId: "A-Za-z_09" });
    expect((await store.list({ userId: "A-Za-z_09" })).length).toBe(1);
  });
});

describe.each(databases)("$name store: search and count by user", (kind) => {
  it("searches and counts the asking user's memories only", async () => {
    const store = await kind.open();
    const ana = await store.remember({ text: "green tea in the morning", userId: "ana" });
    await store.remember({ text: "green tea at night", userId: "ben" });
    expect((await store.search("green te", { userId: "ana" })).map((h) => h.item.id)).toEqual([ana.id]);
    expect(await store.search("green", { userId: "carla" })).toEqual([]);
    expect(await store.count({ userId: "ana" })).toBe(1);
    expect(await store.count()).toBe(0);
    expect(await store.get(ana.id, { userId: "ben" })).toBeNull();
    expect((await store.get(ana.id, { userId: "ana" }))?.text).toBe("green tea in the morning");
  });
});
