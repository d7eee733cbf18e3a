/**
 * Several sessions on one server, through real sockets: a client joins the
 * session its URL names (`default` when it names none) as the user it
 * names, and its welcome says which and whether the join made the session;
 * each session's events (its turns, its presence, its replay and resume)
 * reach its own clients only, with seqs of its own that run gapless and an
 * epoch of its own; `GET /sessions` lists the open sessions and `/health`
 * counts them; `broadcast` writes to `default` unless told another session.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import type { EventData } from "../../../server/protocol/index.js";
import { useCleanup } from "../../helpers/cleanup.js";
import type { Received, TestClient } from "../../helpers/client.js";
import { startSessions } from "../../helpers/pipeline.js";
import { useServers } from "../../helpers/server.js";

const cleanup = useCleanup();
const { server, client } = useServers();

/** The model answers with what the user said, so every answer names its session. */
const echo = () => new ScriptedLlmEngine({ answer: ({ messages }) => `You said: ${messages.filter((m) => m.role === "user").at(-1)?.content ?? ""}.` });

const welcome = (c: TestClient) => c.ofType("connection_status")[0]!.data as EventData<"connection_status">;
const logged = (c: TestClient) => c.messages.filter((m): m is Received & { seq: number } => typeof m.seq === "number");
const answers = (c: TestClient) => c.ofType("llm_result").map((m) => m.data.text);
const ended = (c: TestClient, turnId: string) => c.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === turnId);

describe("joining a session", () => {
  it("joins the session and user the URL names, default otherwise; the welcome says which and whether the join made it", async () => {
    const { connect } = await startSessions(cleanup);
    const plain = await connect();
    expect(welcome(plain)).toMatchObject({ status: "connected", session: "default", session_new: false, user: "default", clients: 1 });
    const first = await connect("session=kitchen&user=ana");
    expect(welcome(first)).toMatchObject({ session: "kitchen", session_new: true, user: "ana", clients: 1, last_seq: 0, state: "idle" });
    const second = await connect("session=kitchen");
    expect(welcome(second)).toMatchObject({ session: "kitchen", session_new: false, user: "default", clients: 2 });
    // A session of its own: its own log, so its own epoch.
    expect(welcome(first).epoch).toBe(welcome(second).epoch);
    expect(welcome(first).epoch).not.toBe(welcome(plain).epoch);
  });
});

describe("what each session's clients receive", () => {
  it("turns in two sessions at once reach their own clients only, each session's seqs from 1 without a gap", async () => {
    const { connect } = await startSessions(cleanup, { engines: { llm: echo() } });
    const a1 = await connect("session=a");
    const a2 = await connect("session=a");
    const b = await connect("session=b");
    const d = await connect();
    a1.send({ type: "text_input", data: { text: "hello from a" } });
    b.send({ type: "text_input", data: { text: "hello from b" } });
    await Promise.all([ended(a1, "t1"), ended(a2, "t1"), ended(b, "t1")]);

    expect(answers(a1)).toEqual(["You said: hello from a."]);
    expect(answers(a2)).toEqual(["You said: hello from a."]);
    expect(answers(b)).toEqual(["You said: hello from b."]);
    for (const c of [a1, b]) {
      const seqs = logged(c).map((m) => m.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    // Both clients of a saw the same log, event for event.
    expect(logged(a2).map((m) => [m.seq, m.type])).toEqual(logged(a1).map((m) => [m.seq, m.type]));
    // The default session heard nothing of either.
    expect(logged(d)).toEqual([]);
    expect(d.messages.filter((m) => m.type !== "connection_status").map((m) => m.type)).toEqual(["replay"]);
  });

  it("presence is per session: a client joining a announces itself to a's clients only", async () => {
    const { connect } = await startSessions(cleanup);
    const a = await connect("session=a");
    const b = await connect("session=b");
    const joiner = await connect("session=a");
    const id = welcome(joiner).client_id!;
    const change = await a.waitFor((m) => m.type === "connection_status" && m.data.status === "clients_changed" && (m.data.joined ?? []).includes(id));
    expect(change.data).toMatchObject({ status: "clients_changed", clients: 2 });
    await joiner.close();
    await a.waitFor((m) => m.type === "connection_status" && (m.data.left ?? []).includes(id));
    // b heard of its own arrival (in its window), never of a's clients.
    await b.command("get_system_info");
    const bChanges = b.messages.filter((m) => m.type === "connection_status" && m.data.status === "clients_changed").map((m) => m.data as EventData<"connection_status">);
    for (const c of bChanges) expect([...(c.joined ?? []), ...(c.left ?? [])]).toEqual([welcome(b).client_id]);
  });

  it("a new client is replayed its own session's conversation; resume with ?since is per session", async () => {
    const { connect } = await startSessions(cleanup, { engines: { llm: echo() } });
    const a = await connect("session=a");
    const b = await connect("session=b");
    a.send({ type: "text_input", data: { text: "first in a" } });
    await ended(a, "t1");
    b.send({ type: "text_input", data: { text: "first in b" } });
    await ended(b, "t1");
    const bSeq = logged(b).at(-1)!.seq;
    b.send({ type: "text_input", data: { text: "second in b" } });
    await ended(b, "t2");

    const late = await connect("session=a");
    const replay = late.ofType("replay")[0]!.data;
    expect(replay.turns).toEqual(["t1"]);
    expect(replay.events.filter((e) => e.type === "llm_result").map((e) => (e.data as { text: string }).text)).toEqual(["You said: first in a."]);

    const resumed = await connect(`session=b&since=${bSeq}`);
    const missed = resumed.ofType("replay")[0]!.data;
    expect(missed).toMatchObject({ kind: "resume", since: bSeq, missed: 0, reset: false, first_seq: bSeq + 1, last_seq: logged(b).at(-1)!.seq });
    expect(missed.events.map((e) => e.seq)).toEqual(logged(b).filter((m) => m.seq > bSeq).map((m) => m.seq));
    expect(missed.events.filter((e) => e.type === "llm_result").map((e) => (e.data as { text: string }).text)).toEqual(["You said: second in b."]);
    // get_replay answers from the asker's session too.
    const asked = await a.command("get_replay", { since: 0 });
    expect(asked.type).toBe("command_ack");
    expect(a.ofType("replay").at(-1)!.data.events.map((e) => e.seq)).toEqual(logged(a).map((m) => m.seq));
  });

  it("get_performance_metrics and /metrics.json?session= give a session's own latency window", async () => {
    const { connect, server: s } = await startSessions(cleanup);
    const a = await connect("session=a");
    await connect("session=b");
    a.send({ type: "text_input", data: { text: "time me" } });
    await ended(a, "t1");
    const mine = a.waitForType("performance_metrics");
    await a.command("get_performance_metrics");
    expect((await mine).data.turns).toBe(1);
    const base = `http://127.0.0.1:${s.port}`;
    expect(await (await fetch(`${base}/metrics.json?session=a`)).json()).toMatchObject({ turns: 1 });
    expect(await (await fetch(`${base}/metrics.json?session=b`)).json()).toMatchObject({ turns: 0 });
    expect(await (await fetch(`${base}/metrics.json`)).json()).toMatchObject({ turns: 0 });
    const missing = await fetch(`${base}/metrics.json?session=nope`);
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'No open session "nope"' }]);
  });
});

describe("GET /sessions and /health", () => {
  it("lists every open session with its clients, state, last seq, turns and times; /health counts them", async () => {
    const { connect, server: s } = await startSessions(cleanup);
    const before = Date.now();
    const a = await connect("session=a");
    await connect("session=a");
    await connect("session=b&user=bob");
    a.send({ type: "text_input", data: { text: "count me" } });
    await ended(a, "t1");
    const base = `http://127.0.0.1:${s.port}`;
    const res = await fetch(`${base}/sessions`);
    expect(res.headers.get("content-type")).toContain("application/json");
    const rows = (await res.json()) as { id: string; created: string; last_active: string }[];
    expect(rows.map(({ created: _c, last_active: _l, ...rest }) => rest)).toEqual([
      { id: "default", clients: 0, state: "idle", last_seq: 0, turns: 0 },
      { id: "a", clients: 2, state: "idle", last_seq: logged(a).at(-1)!.seq, turns: 1 },
      { id: "b", clients: 1, state: "idle", last_seq: 0, turns: 0 },
    ]);
    for (const row of rows) {
      expect(new Date(row.created).toISOString()).toBe(row.created);
      expect(Date.parse(row.last_active)).toBeGreaterThanOrEqual(Date.parse(row.created));
    }
    expect(Date.parse(rows[1]!.created)).toBeGreaterThanOrEqual(before - 1);
    expect(s.sessions().map((r) => r.id)).toEqual(["default", "a", "b"]);
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: "ok", clients: 3, sessions: 3 });
  });

  it("needs the token, like /health", async () => {
    const s = await server({ token: "0123456789abcdef" });
    const base = `http://127.0.0.1:${s.port}`;
    expect((await fetch(`${base}/sessions`)).status).toBe(401);
    const ok = await fetch(`${base}/sessions`, { headers: { authorization: "Bearer 0123456789abcdef" } });
    expect((await ok.json()) as unknown[]).toHaveLength(1);
  });
});

describe("the seed API with sessions", () => {
  it("broadcast goes to default, or to the session it names (made on the spot); each session's clients get only their own", async () => {
    const s = await server();
    const d = await client(s.wsUrl);
    const k = await client(`${s.wsUrl}/?session=kitchen`);
    const info = (uptime: number) => ({ type: "system_info" as const, data: { version: "0.1.1", uptime, memory: 1 } });
    expect((await s.broadcast(info(1))).seq).toBe(1);
    expect((await s.broadcast(info(2), { session: "kitchen" })).seq).toBe(1);
    expect((await s.broadcast(info(3), { session: "garage" })).seq).toBe(1);
    await d.waitFor((m) => m.type === "system_info");
    await k.waitFor((m) => m.type === "system_info");
    await client(s.wsUrl); // a round trip: anything else sent to d would have arrived
    expect(d.ofType("system_info").map((m) => m.data.uptime)).toEqual([1]);
    expect(k.ofType("system_info").map((m) => m.data.uptime)).toEqual([2]);
    expect(s.lastSeq).toBe(1);
    expect(s.conversation("garage").map((e) => e.data)).toEqual([info(3).data]);
    expect(s.sessions().map((r) => r.id)).toEqual(["default", "kitchen", "garage"]);
    // A late client of garage is replayed what was broadcast there.
    const g = await client(`${s.wsUrl}/?session=garage`);
    expect(g.ofType("replay")[0]!.data.events.map((e) => e.data)).toEqual([info(3).data]);
    await expect(s.broadcast(info(4), { session: "no good" })).rejects.toThrow(TypeError);
  });

  it("a server given one pipeline runs it in default; another session's pipeline commands answer unavailable", async () => {
    const { bridge, server: s } = await (await import("../../helpers/pipeline.js")).startPipeline(cleanup);
    const other = await client(`${s.wsUrl}/?session=other`);
    const refused = await other.command("text_input", { text: "hello?" });
    expect(refused.data).toMatchObject({ code: "unavailable", message: 'No voice pipeline runs in session "other" (this server gives one to the default session only), so text_input cannot run' });
    expect(welcome(other).state).toBeNull();
    const main = await client(s.wsUrl);
    expect((await main.command("text_input", { text: "hello" })).type).toBe("command_ack");
    await main.waitFor((m) => m.type === "latency_trace");
    expect(bridge.state()).toBe("idle");
  });
});
