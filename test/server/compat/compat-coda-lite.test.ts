/**
 * The coda-lite profile, driven by a client shaped like Coda Lite's own
 * (dashboard-v3's WebSocketClient and the Python test clients, as
 * docs/compat-coda-lite.md describes them): commands with `_debug`
 * and no ids, epoch-millisecond timestamps, legacy commands, and the legacy
 * events read field by field, through the whole composition root (built-in
 * responder, real SQLite memory, real tools) over a real socket.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createCodaServer, type CodaServer } from "../../../server/app/app.js";
import { loadConfig } from "../../../server/app/config.js";
import { silentLogger } from "../../../server/app/logger.js";
import { createCodaLiteProfile } from "../../../server/compat/index.js";
import { useCleanup } from "../../helpers/cleanup.js";

const cleanups = useCleanup();

type Frame = { type: string; data?: Record<string, any>; events?: Frame[]; timestamp: string; [k: string]: unknown };

/** What Coda Lite's dashboard does: one socket, every frame kept, commands with `_debug` and an ISO timestamp, never an id. */
class CodaLiteClient {
  readonly frames: Frame[] = [];
  #counter = 0;
  readonly #clientId = `client_${Math.random().toString(36).slice(2, 10)}`;
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (raw) => {
      this.frames.push(JSON.parse(raw.toString()) as Frame);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async connect(url: string): Promise<CodaLiteClient> {
    // No subprotocol, header or token, as the dashboard. Listen before open: the welcome may come in the same packet.
    const c = new CodaLiteClient(new WebSocket(url));
    await new Promise<void>((resolve, reject) => {
      c.ws.once("open", () => resolve());
      c.ws.once("error", reject);
    });
    cleanups.push(() => c.close());
    return c;
  }

  /** dashboard-v3 `sendMessage`. */
  send(type: string, data: Record<string, unknown> = {}): void {
    this.#counter += 1;
    const _debug = { messageId: `${this.#clientId}_${this.#counter}_${Math.random().toString(36).slice(2, 10)}`, clientId: this.#clientId, counter: this.#counter };
    this.ws.send(JSON.stringify({ type, data, timestamp: new Date().toISOString(), _debug }));
  }

  sendRaw(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  async waitFor(pred: (f: Frame) => boolean, from = 0, what = "frame"): Promise<Frame> {
    for (;;) {
      const hit = this.frames.slice(from).find(pred);
      if (hit) return hit;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${this.frames.map((f) => f.type).join(",")}`)), 15_000);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The turn is over for the avatar: mode_change back to idle after `from`. */
  idle(from: number): Promise<Frame> {
    return this.waitFor((f) => f.type === "mode_change" && f.data?.mode === "idle", from, "mode_change idle");
  }

  /** A turn is complete once its latency_trace came (it follows the return to idle). */
  turnDone(from: number): Promise<Frame> {
    return this.waitFor((f) => f.type === "latency_trace", from, "latency_trace");
  }

  of(type: string, from = 0): Frame[] {
    return this.frames.slice(from).filter((f) => f.type === type);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}

async function app(argv: string[] = ["--compat", "coda-lite"]): Promise<CodaServer> {
  const dir = mkdtempSync(join(tmpdir(), "coda-compat-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const { config } = loadConfig(
    ["--host", "127.0.0.1", "--port", "0", "--memory-db", join(dir, "memory.db"), "--llm-engine", "builtin", "--tts-engine", "none", "--stt-engine", "none", ...argv],
    {},
  );
  const a = await createCodaServer({ ...config, logger: silentLogger, profiles: [createCodaLiteProfile({ systemMetricsIntervalMs: 100 })] });
  cleanups.push(() => a.stop());
  return a;
}

const turnOf = (f: Frame) => String(f.data?.turn_id ?? "");

describe("compat: coda-lite", () => {
  it("drives a demo turn, a typed question and a memory, and reads every legacy event field by field", async () => {
    const a = await app();
    const lite = await CodaLiteClient.connect(a.url);
    const v1 = await CodaLiteClient.connect(`${a.url}/?compat=none`);
    // On connect: Coda Lite reads `events` at the top level of `replay`.
    const welcome = await lite.waitFor((f) => f.type === "replay");
    expect(welcome.events).toEqual([]);

    // Run Demo: the dashboard's demo_flow with its text.
    let from = lite.frames.length;
    lite.send("demo_flow", { text: "Tell me a short joke about programming." });
    await lite.turnDone(from);
    const modes = lite.of("mode_change", from).map((f) => f.data!.mode);
    expect(modes[0]).toBe("listening");
    expect(modes).toContain("thinking");
    expect(modes.at(-1)).toBe("idle");
    for (const f of lite.of("mode_change", from)) {
      expect(f.data).toEqual({ mode: expect.stringMatching(/^(idle|listening|thinking|speaking)$/), previous_mode: expect.stringMatching(/^(idle|listening|thinking|speaking)$/) });
      expect(Number.isNaN(new Date(f.timestamp).getTime())).toBe(false);
    }
    const demoTurns = lite.of("conversation_turn", from);
    expect(demoTurns.map((f) => [f.data!.role, f.data!.turn_id])).toEqual([
      ["user", `${turnOf(lite.of("latency_trace", from)[0]!)}:user`],
      ["assistant", `${turnOf(lite.of("latency_trace", from)[0]!)}:assistant`],
    ]);
    expect(demoTurns[0]!.data!.content).toBe("Tell me a short joke about programming.");
    expect(demoTurns[1]!.data!.content).toEqual(expect.any(String));
    expect(demoTurns[1]!.data!.content.length).toBeGreaterThan(10);

    // Latency in seconds under the old names, from the v1 milliseconds of the same event.
    const trace = lite.of("latency_trace", from)[0]!.data!;
    expect(trace.total_seconds).toBeGreaterThan(0);
    expect(trace.total_seconds).toBe(Math.round(trace.total_ms) / 1000);
    expect(trace.total_processing_seconds).toBe(trace.total_seconds);
    expect(trace.llm_seconds).toBe(Math.round(trace.llm_total_ms) / 1000);
    expect(trace.stt_seconds).toBe(Math.round(trace.stt_ms ?? 0) / 1000);
    expect(trace.memory_seconds).toBe(Math.round(trace.memory_ms ?? 0) / 1000);
    for (const k of ["tts_seconds", "tool_seconds", "stt_audio_duration", "tts_audio_duration"]) expect(typeof trace[k]).toBe("number");

    // A typed question (Send Message): the user's words and the answer in the conversation.
    from = lite.frames.length;
    lite.send("text_input", { text: "what is 12 times 7" });
    await lite.turnDone(from);
    const typed = lite.of("conversation_turn", from);
    expect(typed.map((f) => f.data!.role)).toEqual(["user", "assistant"]);
    expect(typed[0]!.data!.content).toBe("what is 12 times 7");
    expect(typed[1]!.data!.content).toMatch(/84/);
    expect(typed[0]!.data!.turn_id).not.toBe(typed[1]!.data!.turn_id);
    // The recall of that turn as Coda Lite's memory_retrieve.
    const retrieve = lite.of("memory_retrieve", from)[0]!.data!;
    expect(retrieve).toMatchObject({ query: "what is 12 times 7", results: expect.any(Array), results_count: retrieve.results.length });

    // A memory: the remember tool's fact becomes a memory card with the legacy fields.
    from = lite.frames.length;
    lite.send("text_input", { text: "remember that my favourite colour is green" });
    await lite.turnDone(from);
    const stores = lite.of("memory_store", from);
    const fact = stores.find((f) => f.data!.memory_type === "fact");
    expect(fact?.data).toMatchObject({ memory_id: expect.any(String), content_preview: "my favourite colour is green", memory_type: "fact" });
    expect(fact!.data!.importance).toBeGreaterThan(0);
    expect(fact!.data!.importance).toBeLessThanOrEqual(1);
    // The stored turn too, as a conversation card, with v1's own fields still there.
    const turnCard = stores.find((f) => f.data!.memory_type === "conversation");
    expect(turnCard?.data).toMatchObject({ memory_id: turnCard!.data!.id, kind: "turn", content_preview: expect.any(String), importance: 0.3 });
    expect(lite.of("memory_debug_operation", from).map((f) => f.data!.operation_type)).toEqual(expect.arrayContaining(["retrieve", "store"]));

    // System Resources: system_metrics every few seconds (100 ms here).
    const metrics = await lite.waitFor((f) => f.type === "system_metrics", 0, "system_metrics");
    expect(metrics.data!.memory_mb).toBeGreaterThan(1);
    expect(metrics.data!.cpu_percent).toBeGreaterThanOrEqual(0);
    expect(metrics.data!.gpu_vram_mb).toBe(0);

    // A connection without the profile saw protocol v1 only, and the same turns.
    await v1.waitFor((f) => f.type === "latency_trace" && f.data?.turn_id === turnOf(lite.of("latency_trace").at(-1)!));
    expect(v1.frames.map((f) => f.type)).not.toEqual(expect.arrayContaining(["conversation_turn"]));
    for (const t of ["mode_change", "memory_retrieve", "memory_debug_operation", "system_metrics"]) expect(v1.of(t)).toEqual([]);
    expect(v1.of("latency_trace")).toHaveLength(3);
    for (const f of v1.of("latency_trace")) expect(f.data).not.toHaveProperty("total_seconds");
    for (const f of v1.of("memory_store")) expect(f.data).not.toHaveProperty("memory_id");

    // Reload: a new socket gets the conversation back as top-level replay events.
    const reloaded = await CodaLiteClient.connect(a.url);
    const replay = await reloaded.waitFor((f) => f.type === "replay");
    const conversation = replay.events!.filter((e) => e.type === "conversation_turn").map((e) => [e.data!.role, e.data!.content]);
    expect(conversation).toEqual([
      ["user", "Tell me a short joke about programming."],
      ["assistant", demoTurns[1]!.data!.content],
      ["user", "what is 12 times 7"],
      ["assistant", typed[1]!.data!.content],
      ["user", "remember that my favourite colour is green"],
      ["assistant", expect.stringMatching(/remember/i)],
    ]);
    expect(replay.events!.filter((e) => e.type === "memory_store").map((e) => e.data!.content_preview)).toContain("my favourite colour is green");
    expect(replay.events!.filter((e) => e.type === "latency_trace").map((e) => e.data!.total_seconds)).toHaveLength(3);
    // Only what a reload rebuilds its views from: no token deltas, no mode changes.
    expect(new Set(replay.events!.map((e) => e.type))).toEqual(new Set(["conversation_turn", "memory_store", "memory_retrieve", "latency_trace"]));
  });

  it("accepts Coda Lite's legacy commands: test and ping are dropped silently, tts_stop is stop_speaking, stt_start's continuous and duration", async () => {
    const a = await app();
    const lite = await CodaLiteClient.connect(a.url);
    await lite.waitFor((f) => f.type === "replay");
    const from = lite.frames.length;
    // test_websocket_client.py: an epoch-ms timestamp; the debugger's raw frames.
    lite.sendRaw({ type: "test", timestamp: Date.now() });
    lite.sendRaw({ type: "ping", data: { timestamp: Date.now() } });
    lite.sendRaw({ type: "test_message", data: { message: "hello" } });
    lite.sendRaw({ type: "client_message", data: { message_type: "test", message_data: {} } });
    // tts_stop is stop_speaking: refused as such while idle, not as an unknown command.
    lite.sendRaw({ type: "tts_stop", data: {}, id: "stop" });
    const stop = await lite.waitFor((f) => f.type === "command_error" && f.data?.id === "stop");
    expect(stop.data).toMatchObject({ command: "stop_speaking", code: "invalid_state" });
    // test_websocket.py's stt_start: duration is ignored, the mode kept.
    lite.sendRaw({ type: "stt_start", data: { mode: "push_to_talk", duration: 5 }, id: "ptt" });
    const ack = await lite.waitFor((f) => f.data?.id === "ptt");
    expect(ack).toMatchObject({ type: "command_ack", data: { command: "stt_start", ignored: ["data.duration"] } });
    const started = await lite.waitFor((f) => f.type === "stt_start" || f.type === "stt_error", from);
    expect(started.data).toMatchObject({ mode: "push_to_talk" });
    // Nothing answered the test and ping messages.
    const answered = lite.frames.slice(from).filter((f) => f.type === "command_error" || f.type === "command_ack");
    expect(answered.map((f) => f.data!.id)).toEqual(["stop", "ptt"]);

    // continuous: true means continuous mode.
    const v1 = await CodaLiteClient.connect(`${a.url}/?compat=coda-lite`);
    await v1.waitFor((f) => f.type === "replay");
    await lite.idle(from);
    const c2 = lite.frames.length;
    v1.sendRaw({ type: "stt_start", data: { continuous: true }, id: "cont" });
    await v1.waitFor((f) => f.data?.id === "cont");
    expect((await lite.waitFor((f) => f.type === "stt_start" || f.type === "stt_error", c2)).type).toBeDefined();
    expect(lite.of("mode_change", c2)[0]?.data).toMatchObject({ mode: "listening" });
    v1.sendRaw({ type: "stt_stop" });
  });

  it("answers get_replay with Coda Lite's replay too (top-level events), and a v1 client with the v1 replay", async () => {
    const a = await app();
    const lite = await CodaLiteClient.connect(a.url);
    const v1 = await CodaLiteClient.connect(`${a.url}/?compat=none`);
    await lite.waitFor((f) => f.type === "replay");
    await v1.waitFor((f) => f.type === "replay");
    let from = lite.frames.length;
    lite.send("text_input", { text: "what is 6 times 7" });
    await lite.turnDone(from);
    const answer = lite.of("conversation_turn", from).find((f) => f.data!.role === "assistant")!.data!.content as string;

    // The whole conversation, as on connect.
    from = lite.frames.length;
    lite.sendRaw({ type: "get_replay", data: {}, id: "r1" });
    await lite.waitFor((f) => f.type === "command_ack" && f.data?.id === "r1", from);
    const asked = lite.of("replay", from)[0]!;
    expect(asked.data).toMatchObject({ kind: "conversation", since: null });
    expect(asked.events!.filter((e) => e.type === "conversation_turn").map((e) => [e.data!.role, e.data!.content])).toEqual([
      ["user", "what is 6 times 7"],
      ["assistant", answer],
    ]);
    expect(asked.events!.filter((e) => e.type === "latency_trace")[0]!.data).toHaveProperty("total_seconds");
    // A resume from a seq: the events after it, translated the same way.
    const userSeq = (asked.data!.events as { type: string; seq: number }[]).find((e) => e.type === "llm_start")!.seq;
    from = lite.frames.length;
    lite.sendRaw({ type: "get_replay", data: { since: userSeq }, id: "r2" });
    await lite.waitFor((f) => f.type === "command_ack" && f.data?.id === "r2", from);
    const resumed = lite.of("replay", from)[0]!;
    expect(resumed.data).toMatchObject({ kind: "resume", since: userSeq, missed: 0 });
    expect(resumed.events!.filter((e) => e.type === "conversation_turn").map((e) => e.data!.role)).toEqual(["assistant"]);

    // A v1 client asking the same gets the v1 replay only.
    from = v1.frames.length;
    v1.sendRaw({ type: "get_replay", data: {}, id: "r3" });
    await v1.waitFor((f) => f.type === "command_ack" && f.data?.id === "r3", from);
    expect(v1.of("replay", from)[0]).not.toHaveProperty("events");
  });

  it("is chosen per connection with ?compat=coda-lite; an unknown profile is refused with 400", async () => {
    const a = await app([]);
    const plain = await CodaLiteClient.connect(a.url);
    const lite = await CodaLiteClient.connect(`${a.url}/?compat=coda-lite`);
    expect((await plain.waitFor((f) => f.type === "replay")).events).toBeUndefined();
    expect((await lite.waitFor((f) => f.type === "replay")).events).toEqual([]);
    const from = lite.frames.length;
    lite.send("text_input", { text: "hello" });
    await lite.idle(from);
    expect(lite.of("conversation_turn", from).map((f) => f.data!.role)).toEqual(["user", "assistant"]);
    expect(plain.of("conversation_turn")).toEqual([]);
    expect(plain.of("mode_change")).toEqual([]);

    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${a.url}/?compat=coda-pro`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("error", () => {});
    });
    expect(status).toBe(400);
  });
});
