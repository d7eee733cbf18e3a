/**
 * The turn's user through the bridge: a command's source names the user
 * (the connection's, issue 22), and the turn it starts recalls and stores
 * that user's memories only; a continuous session's next turns keep the
 * user of the stt_start that opened it; a command naming no user acts for
 * `default`. (A turn cut while answering is remembered for its own user:
 * test/machines/session-cut-memory.test.ts.)
 */
import { afterEach, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx.close();
});

const ana = { clientId: "c1", userId: "ana" };
const bob = { clientId: "c2", userId: "bob" };

/** The recall of turn `turnId`: how many memories it found. */
const recalled = (f: Fixture, turnId: string) => (f.events.find((e) => e.type === "memory_recall" && e.data.turn_id === turnId)?.data as { hits: unknown[] } | undefined)?.hits.length;

describe("a turn acts for the user of the command that started it", () => {
  it("stores the turn for that user; recall finds it for that user only", async () => {
    fx = createFixture({ llm: { answer: "Noted." } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "my sister lives in lisbon" } }, ana);
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t1");
    expect((await fx.memory.list({ userId: "ana" })).map((m) => m.turnId)).toEqual(["t1"]);
    expect(await fx.memory.list({ userId: "bob" })).toEqual([]);
    expect(await fx.memory.list()).toEqual([]);

    fx.bridge.dispatch({ type: "text_input", data: { text: "where does my sister live" } }, bob);
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t2");
    expect(recalled(fx, "t2")).toBe(0);
    fx.bridge.dispatch({ type: "text_input", data: { text: "where does my sister live" } }, ana);
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t3");
    expect(recalled(fx, "t3")).toBeGreaterThan(0);
    expect((await fx.memory.list({ userId: "ana" })).map((m) => m.turnId).sort()).toEqual(["t1", "t3"]);
    expect((await fx.memory.list({ userId: "bob" })).map((m) => m.turnId)).toEqual(["t2"]);
  });

  it("a command naming no user acts for default (the demo too)", async () => {
    fx = createFixture({ llm: { answer: "Noted." }, demoPartialDelayMs: 0 });
    fx.bridge.dispatch({ type: "demo_flow", data: {} }, { clientId: "c1" });
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t1");
    expect((await fx.memory.list({ userId: "default" })).map((m) => m.turnId)).toEqual(["t1"]);
  });

  it("a continuous session's turns all belong to the user whose stt_start opened it", async () => {
    fx = createFixture({ stt: { utterances: ["first question", "second question"] }, llm: { answer: "An answer." } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "continuous" } }, ana);
    await fx.waitFor((e) => e.type === "stt_start" && e.data.turn_id === "t3", "third listening turn");
    fx.bridge.dispatch({ type: "stt_stop", data: {} }, ana);
    await fx.waitForState("idle");
    expect((await fx.memory.list({ userId: "ana" })).map((m) => m.turnId).sort()).toEqual(["t1", "t2"]);
    expect(await fx.memory.list()).toEqual([]);
  });
});
