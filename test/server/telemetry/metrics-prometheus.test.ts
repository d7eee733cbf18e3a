/**
 * GET /metrics in the Prometheus text format: what a person watching a
 * Coda server in Grafana reads - turns by outcome, stage latencies, clients,
 * events and bytes sent, dropped clients by reason, command errors by code,
 * memory and tool calls by result, process and event-loop defaults - under
 * the token rule of every HTTP route; the JSON figures stay at /metrics.json
 * (and /metrics with Accept: application/json), equal to
 * get_performance_metrics.
 */
import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "../pipeline/bridge-fixture.js";
import { startCoda } from "../client/fixture.js";
import { TestClient } from "../../helpers/client.js";
import { useServers } from "../../helpers/server.js";

const TOKEN = "metrics-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
const rawSocket = (c: TestClient) => (c.ws as unknown as { _socket: Socket })._socket;

/** The samples of an exposition text: one per line, `name{labels} value`. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(httpUrl: string, headers: Record<string, string> = auth) {
  const res = await fetch(`${httpUrl}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await res.text();
  const all = samples(text);
  const value = (name: string, labels: Record<string, string> = {}) => {
    const hits = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    if (hits.length !== 1) throw new Error(`${hits.length} samples for ${name} ${JSON.stringify(labels)}`);
    return hits[0]!.value;
  };
  return { text, all, value };
}

describe("GET /metrics with a voice pipeline", () => {
  const { track, connect } = useServers();

  it("counts a turn, its stages, tools, memory, clients, events, bytes and command errors", async () => {
    const coda = track(await startCoda({ token: TOKEN }));
    expect((await fetch(`${coda.httpUrl}/metrics`)).status).toBe(401);
    const c = await connect(coda.wsUrl, { headers: auth });
    await c.waitForType("replay");
    c.send({ type: "demo_flow", data: { text: "what is 12 times 7" } });
    const trace = await c.waitForType("latency_trace");
    await c.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    c.ws.send("{not json");
    c.send({ type: "no_such_command", data: {} });
    c.send({ type: "stt_stop", data: {} }); // idle: invalid_state
    await c.waitFor((m) => m.type === "command_error" && m.data.code === "invalid_state");

    const m = await scrape(coda.httpUrl);
    // One completed demo turn, every stage it ran observed once.
    expect(m.value("coda_turns_total", { outcome: "completed", mode: "demo" })).toBe(1);
    for (const stage of ["stt_final", "memory_recall", "llm_first_token", "llm_total", "tools", "tts_first_audio", "input_to_first_audio", "end_to_end"]) {
      expect(m.value("coda_stage_duration_seconds_count", { stage }), stage).toBe(1);
    }
    expect(m.value("coda_stage_duration_seconds_sum", { stage: "end_to_end" })).toBeCloseTo(trace.data.total_ms / 1000, 6);
    expect(m.value("coda_stage_duration_seconds_bucket", { stage: "end_to_end", le: "+Inf" })).toBe(1);
    // The demo turn's stages waited for no engine: one observation of 0 each.
    for (const engine of ["stt", "vad", "tts"]) {
      expect(m.value("coda_engine_queued_seconds_count", { engine }), engine).toBe(1);
      expect(m.value("coda_engine_queued_seconds_sum", { engine }), engine).toBe(0);
    }
    expect(m.value("coda_tool_calls_total", { tool: "calculate", result: "ok" })).toBe(1);
    expect(m.value("coda_memory_operations_total", { operation: "recall", result: "ok" })).toBe(1);
    expect(m.value("coda_memory_operations_total", { operation: "store", result: "ok" })).toBe(1);
    expect(m.value("coda_memory_operations_total", { operation: "recall", result: "error" })).toBe(0);
    expect(m.value("coda_clients_connected")).toBe(1);
    // Every text frame this (only) client received was counted, with its bytes.
    expect(m.value("coda_events_sent_total")).toBe(c.messages.length);
    // The server writes compact JSON, so re-serialising what arrived gives back the bytes sent.
    expect(m.value("coda_sent_bytes_total", { kind: "event" })).toBe(c.messages.reduce((n, msg) => n + Buffer.byteLength(JSON.stringify(msg)), 0));
    expect(m.value("coda_audio_frames_sent_total")).toBe(0);
    expect(m.value("coda_command_errors_total", { code: "invalid_json" })).toBe(1);
    expect(m.value("coda_command_errors_total", { code: "unknown_type" })).toBe(1);
    expect(m.value("coda_command_errors_total", { code: "invalid_state" })).toBe(1);
    expect(m.value("coda_command_errors_total", { code: "busy" })).toBe(0);
    for (const reason of ["slow", "heartbeat", "rate_limit"]) expect(m.value("coda_clients_dropped_total", { reason })).toBe(0);
    // prom-client's process and event-loop defaults.
    expect(m.value("process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(m.all.some((s) => s.name === "nodejs_eventloop_lag_p99_seconds")).toBe(true);
    expect(m.text).toContain("# HELP coda_turns_total Finished turns by outcome");
    expect(m.text).toContain("# TYPE coda_stage_duration_seconds histogram");
  });

  it("keeps the JSON figures at /metrics.json and for Accept: application/json, the same as get_performance_metrics", async () => {
    const coda = track(await startCoda({ token: TOKEN }));
    const c = await connect(coda.wsUrl, { headers: auth });
    c.send({ type: "demo_flow", data: { text: "hello" } });
    await c.waitForType("latency_trace");
    c.send({ type: "get_performance_metrics", data: {}, id: "pm" });
    const answer = await c.waitForType("performance_metrics");
    expect(answer.data.turns).toBe(1);
    const byRoute = await fetch(`${coda.httpUrl}/metrics.json`, { headers: auth });
    expect(byRoute.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await byRoute.json()).toEqual(answer.data);
    const byAccept = await fetch(`${coda.httpUrl}/metrics`, { headers: { ...auth, accept: "application/json" } });
    expect(await byAccept.json()).toEqual(answer.data);
    // What Prometheus itself sends gets the text format.
    const prom = await fetch(`${coda.httpUrl}/metrics`, { headers: { ...auth, accept: "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1" } });
    expect(prom.headers.get("content-type")).toContain("text/plain");
    expect((await fetch(`${coda.httpUrl}/metrics.json`)).status).toBe(401);
  });
});

describe("turn outcomes", () => {
  const { server, client } = useServers();
  let fixture: Fixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it("a turn whose model fails counts as failed; one cut by stop_speaking as interrupted", async () => {
    fixture = createFixture({ llm: { failWith: { code: "unreachable", message: "Cannot reach the model" } } });
    const failing = await server({ pipeline: fixture.bridge });
    const c = await client(failing.wsUrl);
    c.send({ type: "text_input", data: { text: "hello" } });
    await c.waitFor((m) => m.type === "latency_trace");
    const m = await scrape(`http://127.0.0.1:${failing.port}`, {});
    expect(m.value("coda_turns_total", { outcome: "failed", mode: "text" })).toBe(1);
    expect(m.all.filter((s) => s.name === "coda_turns_total").map((s) => s.labels.outcome)).toEqual(["failed"]);
    await fixture.close();

    fixture = createFixture({ llm: { hang: true } });
    const hanging = await server({ pipeline: fixture.bridge });
    const h = await client(hanging.wsUrl);
    h.send({ type: "text_input", data: { text: "hello" } });
    await h.waitFor((e) => e.type === "llm_start");
    h.send({ type: "stop_speaking", data: {} });
    const trace = await h.waitFor((e) => e.type === "latency_trace");
    expect(trace.data).toMatchObject({ interrupted: true });
    const n = await scrape(`http://127.0.0.1:${hanging.port}`, {});
    expect(n.value("coda_turns_total", { outcome: "interrupted", mode: "text" })).toBe(1);
  });
});

describe("dropped clients", () => {
  const { server, client } = useServers();

  it("counts clients cut as slow, for missing pongs and for repeated floods, by reason", async () => {
    const s = await server({ replaySize: 0, maxBufferedBytes: 64 * 1024, closeTimeoutMs: 50, heartbeatMs: 100_000, ratePerSecond: 1, rateBurst: 1, rateViolationsBeforeClose: 3 });
    const url = `http://127.0.0.1:${s.port}`;
    const slow = await client(s.wsUrl);
    rawSocket(slow).pause();
    const big = "x".repeat(50_000);
    for (let i = 0; i < 400 && s.clientCount > 0; i++) {
      await s.broadcast({ type: "llm_progress", data: { turn_id: "t1", delta: big, index: i } });
      await new Promise((r) => setImmediate(r));
    }
    rawSocket(slow).resume();
    await slow.closed();
    expect(slow.closeCode === 1013 || slow.closeCode === 1006).toBe(true);
    // End that turn, so a new client's conversation replay folds its megabytes of progress away.
    await s.broadcast({ type: "turn_interrupted", data: { turn_id: "t1", reason: "stop", state: "speaking", by: null, heard_ms: 0, heard_text: "" } });
    const flood = await client(s.wsUrl);
    for (let i = 0; i < 5; i++) flood.send({ type: "get_system_info", data: {} });
    await flood.closed();
    expect(flood.closeCode).toBe(1008);
    const m = await scrape(url, {});
    expect(m.value("coda_clients_dropped_total", { reason: "slow" })).toBe(1);
    expect(m.value("coda_clients_dropped_total", { reason: "rate_limit" })).toBe(1);
    expect(m.value("coda_clients_dropped_total", { reason: "heartbeat" })).toBe(0);
    expect(m.value("coda_command_errors_total", { code: "rate_limited" })).toBe(2);
    expect(m.value("coda_clients_connected")).toBe(0);
  });

  it("counts a peer terminated by the heartbeat", async () => {
    const s = await server({ heartbeatMs: 50 });
    const dead = await client(s.wsUrl);
    rawSocket(dead).pause();
    await expect.poll(() => s.clientCount, { timeout: 5000 }).toBe(0);
    const m = await scrape(`http://127.0.0.1:${s.port}`, {});
    expect(m.value("coda_clients_dropped_total", { reason: "heartbeat" })).toBe(1);
    rawSocket(dead).resume();
  });
});

describe("metrics off", () => {
  const { server } = useServers();

  it("answers /metrics with 404 and says where the JSON figures are", async () => {
    const s = await server({ metrics: false });
    const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Prometheus metrics are off (metrics: false); the latency figures are at /metrics.json" });
    expect(await (await fetch(`http://127.0.0.1:${s.port}/metrics.json`)).json()).toEqual({ window: 0, turns: 0, figures: {} });
  });
});
