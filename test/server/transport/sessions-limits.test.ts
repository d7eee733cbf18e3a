/**
 * The limits of sessions, through real sockets: a session or user id that
 * is not one is refused at the upgrade with 400 and a plain reason;
 * `maxSessions` refuses with 503 a join (or a broadcast) that would open
 * one session more, and lets it in once one has closed; a session with no
 * clients and its machine at rest is closed after `sessionIdleMs` (on a
 * clock the test moves, never by waiting), its pipeline stopped, so a later
 * join makes it anew and says so; a join in time keeps it; a busy machine
 * keeps it until it rests; `default` is never closed.
 */
import { describe, expect, it } from "vitest";
import type { LlmChunk, LlmEngine } from "../../../actors/llm/types.js";
import type { EventData } from "../../../server/protocol/index.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { TestClient } from "../../helpers/client.js";
import { ManualClock } from "../../helpers/clock.js";
import { startSessions } from "../../helpers/pipeline.js";
import { useServers } from "../../helpers/server.js";
import { until } from "../../helpers/wait.js";

const cleanup = useCleanup();
const { server, client } = useServers();

const welcome = (c: TestClient) => c.ofType("connection_status")[0]!.data as EventData<"connection_status">;
const IDLE_MS = 600_000;

/** A model that answers only when the test lets it. */
class GatedLlm implements LlmEngine {
  readonly name = "gated";
  readonly model = "gated-1";
  release!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.release = resolve));
  async *generate(): AsyncIterable<LlmChunk> {
    await this.#gate;
    yield { kind: "delta", text: "Done." };
    yield { kind: "done", finishReason: "stop" };
  }
  async close(): Promise<void> {}
}

describe("session and user ids", () => {
  const bad = ["", "a b", "x".repeat(65), "caf%C3%A9", "..%2Fetc", "a.b", "semi;colon"];

  it.each(bad.map((id) => [id]))("refuses ?session=%s with 400 and the rule", async (id) => {
    const s = await server();
    await expect(TestClient.connect(`${s.wsUrl}/?session=${id}`)).rejects.toMatchObject({ status: 400, body: "session must be 1 to 64 letters, digits, '_' or '-'" });
  });

  it.each(bad.map((id) => [id]))("refuses ?user=%s with 400 and the rule", async (id) => {
    const s = await server();
    await expect(TestClient.connect(`${s.wsUrl}/?user=${id}`)).rejects.toMatchObject({ status: 400, body: "user must be 1 to 64 letters, digits, '_' or '-'" });
  });

  it("takes ids of 1 to 64 letters, digits, _ and -, and keeps serving after refusals", async () => {
    const s = await server();
    const long = `A-z_0${"9".repeat(59)}`;
    await expect(TestClient.connect(`${s.wsUrl}/?session=x%20y`)).rejects.toMatchObject({ status: 400 });
    const c = await client(`${s.wsUrl}/?session=${long}&user=U-1_b`);
    expect(welcome(c)).toMatchObject({ session: long, user: "U-1_b", session_new: true });
  });
});

describe("maxSessions", () => {
  it("refuses with 503 a join that would open one more session, takes joins of open ones, and lets it in once one closed", async () => {
    const clock = new ManualClock();
    const { connect, server: s } = await startSessions(cleanup, { server: { maxSessions: 3, sessionIdleMs: IDLE_MS, sessionClock: clock } });
    await connect("session=a");
    const b = await connect("session=b");
    await expect(TestClient.connect(`${s.wsUrl}/?session=c`)).rejects.toMatchObject({
      status: 503,
      body: "Too many sessions (limit 3); join an open one or try again later",
    });
    await expect(s.broadcast({ type: "system_info", data: { version: "1", uptime: 1, memory: 1 } }, { session: "c" })).rejects.toMatchObject({ code: "unavailable" });
    expect(welcome(await connect("session=a")).session_new).toBe(false);
    expect(welcome(await connect()).session).toBe("default");
    await b.close();
    clock.advance(IDLE_MS);
    await until(() => s.sessions().length === 2, "b closed as idle");
    expect(welcome(await connect("session=c")).session_new).toBe(true);
  });
});

describe("the idle expiry (sessionIdleMs)", () => {
  it("closes a session with no clients and its machine idle after sessionIdleMs; a later join makes it anew", async () => {
    const clock = new ManualClock();
    const fx = await startSessions(cleanup, { server: { sessionIdleMs: IDLE_MS, sessionClock: clock } });
    const first = await fx.connect("session=kitchen&user=ana");
    first.send({ type: "text_input", data: { text: "remember the milk" } });
    await first.waitFor((m) => m.type === "latency_trace");
    const bridge = fx.bridges.get("kitchen")!;
    await first.close();
    await until(() => fx.server.sessions().find((r) => r.id === "kitchen")?.clients === 0, "the client gone");

    clock.advance(IDLE_MS - 1);
    expect(fx.server.sessions().map((r) => r.id)).toEqual(["default", "kitchen"]);
    clock.advance(1);
    expect(fx.server.sessions().map((r) => r.id)).toEqual(["default"]);
    await until(() => bridge.state() === "stopped", "its pipeline stopped");
    expect(await (await fetch(`http://127.0.0.1:${fx.server.port}/health`)).json()).toMatchObject({ sessions: 1 });

    const again = await fx.connect("session=kitchen");
    expect(welcome(again)).toMatchObject({ session: "kitchen", session_new: true, last_seq: 0, replay: { events: 0, turns: 0 } });
    expect(welcome(again).epoch).not.toBe(welcome(first).epoch);
    expect(fx.bridges.get("kitchen")).not.toBe(bridge);
    expect(fx.made()).toBe(3);
    // What the shared store holds is not the session's: the turn stored for ana is still there.
    expect((await fx.engines.memory.list({ userId: "ana" })).length).toBe(1);
  });

  it("a join before the expiry keeps the session, its log and its history", async () => {
    const clock = new ManualClock();
    const fx = await startSessions(cleanup, { server: { sessionIdleMs: IDLE_MS, sessionClock: clock } });
    const first = await fx.connect("session=k");
    first.send({ type: "text_input", data: { text: "hello" } });
    await first.waitFor((m) => m.type === "latency_trace");
    await first.close();
    await until(() => fx.server.sessions()[1]!.clients === 0, "the client gone");
    clock.advance(IDLE_MS - 1);
    const back = await fx.connect("session=k");
    expect(welcome(back)).toMatchObject({ session_new: false, epoch: welcome(first).epoch, replay: { turns: 1 } });
    clock.advance(10 * IDLE_MS);
    expect(fx.server.sessions().map((r) => r.id)).toEqual(["default", "k"]);
    // Left again: the expiry starts over from the new leave.
    await back.close();
    await until(() => clock.pending === 1, "the expiry armed");
    clock.advance(IDLE_MS - 1);
    expect(fx.server.sessions()).toHaveLength(2);
    clock.advance(1);
    expect(fx.server.sessions()).toHaveLength(1);
  });

  it("a machine still answering when the last client leaves keeps its session until it rests, then for sessionIdleMs", async () => {
    const clock = new ManualClock();
    const llm = new GatedLlm();
    const fx = await startSessions(cleanup, { engines: { llm }, server: { sessionIdleMs: IDLE_MS, sessionClock: clock } });
    const c = await fx.connect("session=busy");
    c.send({ type: "text_input", data: { text: "think hard" } });
    await c.waitFor((m) => m.type === "llm_start");
    await c.close();
    await until(() => fx.server.sessions()[1]!.clients === 0, "the client gone");
    clock.advance(10 * IDLE_MS);
    expect(fx.server.sessions()[1]).toMatchObject({ id: "busy", state: "thinking" });
    llm.release();
    await until(() => fx.server.sessions()[1]!.state === "idle", "the turn over");
    expect(fx.server.sessions()[1]!.turns).toBe(1);
    clock.advance(IDLE_MS);
    expect(fx.server.sessions().map((r) => r.id)).toEqual(["default"]);
  });

  it("never closes default; a session made by a broadcast, with nobody in it, closes like any other", async () => {
    const clock = new ManualClock();
    const s = await server({ sessionIdleMs: IDLE_MS, sessionClock: clock });
    const d = await client(s.wsUrl);
    await s.broadcast({ type: "system_info", data: { version: "1", uptime: 1, memory: 1 } });
    await s.broadcast({ type: "system_info", data: { version: "1", uptime: 2, memory: 1 } }, { session: "news" });
    await d.close();
    await until(() => s.clientCount === 0, "the client gone");
    clock.advance(10 * IDLE_MS);
    expect(s.sessions().map((r) => r.id)).toEqual(["default"]);
    const back = await client(s.wsUrl);
    expect(welcome(back)).toMatchObject({ session: "default", session_new: false, epoch: welcome(d).epoch, last_seq: 1 });
  });
});
