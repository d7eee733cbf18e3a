/**
 * The memory stage actors: recall returns hits (word overlap in the
 * in-memory store), stopping a recall aborts it with nothing afterwards,
 * failures reject with the store's code, and a finished turn is stored.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRecallLogic, createStoreLogic } from "../../../actors/memory/actor.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { host, type Hosted } from "../host.js";
import { sleep } from "../../helpers/wait.js";

let h: Hosted;
afterEach(() => h.close());

describe("memory actors", () => {
  it("recall resolves with the best hits first", async () => {
    const store = new InMemoryStore({ seed: [{ text: "My sister lives in Porto" }, { text: "I like green tea" }, { text: "Porto has great tea houses" }] });
    h = host(createRecallLogic({ store }), { query: "Where does my sister live in Porto?", limit: 2 });
    const done = await h.waitFor((e) => e.type.startsWith("xstate.done.actor"));
    expect(done.output.map((hit: { item: { id: string } }) => hit.item.id)).toEqual(["m1", "m3"]);
  });

  it("stopping a recall aborts it and nothing arrives afterwards", async () => {
    const store = new InMemoryStore({ hangRecall: true });
    h = host(createRecallLogic({ store }), { query: "anything", limit: 3 });
    await sleep(10);
    h.stopChild();
    expect(store.recallSignals[0]!.aborted).toBe(true);
    await sleep(30);
    expect(h.received).toEqual([]);
  });

  it("a store failure rejects with the store's code", async () => {
    const store = new InMemoryStore({ failWith: { code: "locked", operations: ["recall"], message: "database is locked" } });
    h = host(createRecallLogic({ store }), { query: "x", limit: 3 });
    const err = await h.waitFor((e) => e.type.startsWith("xstate.error.actor"));
    expect(err.error).toMatchObject({ name: "EngineError", code: "locked", message: "database is locked" });
  });

  it("recall and store act for the turn's user, `default` when it names none", async () => {
    const store = new InMemoryStore({ seed: [{ text: "My sister lives in Porto", userId: "ana" }, { text: "My sister lives in Lyon" }] });
    h = host(createRecallLogic({ store }), { query: "where does my sister live", limit: 3, userId: "ana" });
    const ana = await h.waitFor((e) => e.type.startsWith("xstate.done.actor"));
    expect(ana.output.map((hit: { item: { text: string } }) => hit.item.text)).toEqual(["My sister lives in Porto"]);
    h.close();
    h = host(createRecallLogic({ store }), { query: "where does my sister live", limit: 3 });
    const nobody = await h.waitFor((e) => e.type.startsWith("xstate.done.actor"));
    expect(nobody.output.map((hit: { item: { text: string } }) => hit.item.text)).toEqual(["My sister lives in Lyon"]);
    h.close();
    h = host(createStoreLogic({ store }), { turnId: "t1", userId: "ana", user: "hi", assistant: "hello", interrupted: false });
    await h.waitFor((e) => e.type.startsWith("xstate.done.actor"));
    expect((await store.list({ userId: "ana" })).map((i) => i.turnId)).toEqual(["t1", null]);
    expect((await store.list()).map((i) => i.turnId)).toEqual([null]);
  });

  it("store keeps the finished turn", async () => {
    const store = new InMemoryStore();
    h = host(createStoreLogic({ store }), { turnId: "t7", user: "hi", assistant: "hello" });
    const done = await h.waitFor((e) => e.type.startsWith("xstate.done.actor"));
    expect(done.output).toMatchObject({ id: "m1", kind: "turn", text: "User: hi\nAssistant: hello", turnId: "t7" });
    expect((await store.list()).map((i) => i.id)).toEqual(["m1"]);
  });
});
