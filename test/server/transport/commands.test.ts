/**
 * Every command and every command_error code, over a real socket. Bad input
 * never closes the connection; ids are answered exactly once.
 */
import { describe, expect, it } from "vitest";
import { ProtocolError, validateEvent, type EventInput } from "../../../server/protocol/index.js";
import type { Pipeline, PipelineCommand } from "../../../server/pipeline/pipeline.js";
import { sleep } from "../../helpers/wait.js";
import { useServers } from "../../helpers/server.js";

const servers = useServers();

async function setup(options: Parameters<typeof servers.server>[0] = {}) {
  const server = await servers.server(options);
  const client = await servers.client(server.wsUrl);
  return { server, client };
}

/** A pipeline double that records dispatched commands and can refuse them. */
function recordingPipeline(refuse?: ProtocolError): Pipeline & { seen: PipelineCommand[]; emit(e: EventInput): void } {
  const listeners = new Set<(e: EventInput) => void>();
  const seen: PipelineCommand[] = [];
  return {
    seen,
    emit: (e) => listeners.forEach((l) => l(e)),
    dispatch(command) {
      if (refuse) throw refuse;
      seen.push(command);
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    state: () => "idle",
    engines: () => ({ stt: "test-stt", llm: "test-llm" }),
    metrics: () => ({ window: 50, turns: 1, figures: { total_ms: { count: 1, p50: 10, p95: 10, p99: 10, max: 10 } } }),
    stop: async () => {},
  };
}

describe("system commands", () => {
  it("get_system_info answers the asking client only, then acks its id", async () => {
    const { server, client } = await setup();
    const other = await servers.client(server.wsUrl);
    await client.waitFor((m) => m.type === "connection_status" && m.data.status === "clients_changed" && m.data.clients === 2);
    const from = client.messages.length;
    const ack = await client.command("get_system_info", {}, "info-1");
    expect(ack).toMatchObject({ type: "command_ack", data: { id: "info-1", command: "get_system_info" } });
    const replies = client.messages.slice(from);
    expect(replies.map((m) => m.type)).toEqual(["system_info", "command_ack"]);
    const info = replies[0]!;
    expect(() => validateEvent(info)).not.toThrow();
    expect(info.seq).toBeUndefined();
    expect(info.data).toMatchObject({ protocol_version: "1.0", clients: 2, state: null, engines: {} });
    expect((info.data as { memory: number }).memory).toBeGreaterThan(1024 * 1024);
    await sleep(50);
    expect(other.ofType("system_info")).toHaveLength(0);
    expect(server.lastSeq).toBe(0);
  });

  it("get_performance_metrics is well-formed and empty without a pipeline", async () => {
    const { client } = await setup();
    client.send({ type: "get_performance_metrics" });
    const m = await client.waitForType("performance_metrics");
    expect(m.data).toEqual({ window: 0, turns: 0, figures: {} });
  });

  it("get_performance_metrics returns the pipeline's figures", async () => {
    const { client } = await setup({ pipeline: recordingPipeline() });
    client.send({ type: "get_performance_metrics", data: {} });
    const m = await client.waitForType("performance_metrics");
    expect(m.data.figures.total_ms).toEqual({ count: 1, p50: 10, p95: 10, p99: 10, max: 10 });
  });

  it("get_system_info reports the pipeline's state and engines", async () => {
    const { client } = await setup({ pipeline: recordingPipeline() });
    client.send({ type: "get_system_info" });
    const info = await client.waitForType("system_info");
    expect(info.data).toMatchObject({ state: "idle", engines: { stt: "test-stt", llm: "test-llm" } });
  });
});

describe("pipeline commands", () => {
  it("are refused as unavailable when no pipeline is attached", async () => {
    const { client } = await setup();
    for (const type of ["stt_start", "stt_stop", "demo_flow", "text_input", "stop_speaking"]) {
      const data = type === "text_input" ? { text: "hi" } : {};
      const reply = await client.command(type, data, `u-${type}`);
      expect(reply).toMatchObject({ type: "command_error", data: { id: `u-${type}`, command: type, code: "unavailable" } });
      expect((reply.data as { message: string }).message).toContain("No voice pipeline");
    }
  });

  it("are validated, defaulted and passed to the pipeline", async () => {
    const pipeline = recordingPipeline();
    const { client } = await setup({ pipeline });
    expect((await client.command("stt_start", undefined, 1)).type).toBe("command_ack");
    expect((await client.command("stt_start", { mode: "continuous" }, 2)).type).toBe("command_ack");
    expect((await client.command("stt_stop", {}, 3)).type).toBe("command_ack");
    expect((await client.command("demo_flow", { text: "  hello there " }, 4)).type).toBe("command_ack");
    expect((await client.command("text_input", { text: "what time is it" }, 5)).type).toBe("command_ack");
    expect((await client.command("stop_speaking", {}, 6)).type).toBe("command_ack");
    expect(pipeline.seen.map((c) => [c.type, c.data])).toEqual([
      ["stt_start", { mode: "push_to_talk" }],
      ["stt_start", { mode: "continuous" }],
      ["stt_stop", {}],
      ["demo_flow", { text: "hello there" }],
      ["text_input", { text: "what time is it" }],
      ["stop_speaking", {}],
    ]);
  });

  it.each(["busy", "invalid_state"] as const)("a pipeline refusal becomes command_error %s", async (code) => {
    const { client } = await setup({ pipeline: recordingPipeline(new ProtocolError(code, `refused: ${code}`)) });
    const reply = await client.command("stt_stop", {}, "r1");
    expect(reply.data).toEqual({ id: "r1", command: "stt_stop", code, message: `refused: ${code}` });
  });

  it("pipeline events are validated, logged with seq and broadcast; invalid ones are dropped", async () => {
    const pipeline = recordingPipeline();
    const { server, client } = await setup({ pipeline });
    pipeline.emit({ type: "llm_progress", data: { turn_id: "t1", delta: "Hel", index: 0 } });
    pipeline.emit({ type: "llm_progress", data: { turn_id: "t1", delta: 5, index: 0 } } as unknown as EventInput);
    pipeline.emit({ type: "llm_progress", data: { turn_id: "t1", delta: "lo", index: 1 } });
    await client.waitFor((m) => m.type === "llm_progress" && (m.data as { index: number }).index === 1);
    expect(client.ofType("llm_progress").map((m) => [m.seq, m.data.delta])).toEqual([
      [1, "Hel"],
      [2, "lo"],
    ]);
    expect(server.lastSeq).toBe(2);
  });
});

describe("command errors", () => {
  const cases: [string, string | Buffer, string, RegExp][] = [
    ["invalid_json", "{not json", "invalid_json", /not valid JSON/],
    ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "invalid_json", /not valid UTF-8/],
    ["a JSON array", "[1,2]", "invalid_data", /must be a JSON object/],
    ["no type", '{"data":{}}', "invalid_data", /type/],
    ["unknown_type", '{"type":"fly_to_moon","data":{},"id":"m"}', "unknown_type", /Unknown command type "fly_to_moon".*get_system_info/],
    ["bad enum", '{"type":"stt_start","data":{"mode":"always"}}', "invalid_data", /data\.mode/],
    ["data not an object", '{"type":"text_input","data":"hi"}', "invalid_data", /data/],
    ["empty text", '{"type":"text_input","data":{"text":"   "}}', "invalid_data", /data\.text/],
    ["bad timestamp", '{"type":"get_system_info","timestamp":"yesterday"}', "invalid_data", /timestamp/],
  ];

  it.each(cases)("%s gets command_error %s and the connection stays open", async (_name, frame, code, message) => {
    const { client } = await setup();
    client.ws.send(frame, { binary: false });
    const err = await client.waitForType("command_error");
    expect(err.data.code).toBe(code);
    expect(err.data.message).toMatch(message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Still serving: a valid request is answered.
    expect((await client.command("get_system_info")).type).toBe("command_ack");
    expect(client.closeCode).toBeNull();
  });

  it("accepts keys no schema names, lists them in the ack, and keeps the meaning strict", async () => {
    const { client } = await setup();
    const ack = await client.command("get_system_info", { verbose: true, __proto__: { polluted: true } } as never, "lenient");
    expect(ack).toMatchObject({ type: "command_ack", data: { id: "lenient", command: "get_system_info", ignored: ["data.verbose"] } });
    client.ws.send('{"type":"get_system_info","id":"env","_debug":{"counter":1},"extra":1,"data":{"__proto__":{"polluted":true}},"timestamp":1767225600000}');
    const ack2 = await client.waitFor((m) => m.type === "command_ack" && m.data.id === "env");
    expect((ack2.data as { ignored?: string[] }).ignored).toEqual(["_debug", "extra", "data.__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Named fields keep their types: a wrong one is still refused, and so is a missing required one.
    client.send({ type: "stt_start", data: { mode: "always", duration: 5 }, id: "bad-mode" });
    expect((await client.waitFor((m) => m.type === "command_error" && m.data.id === "bad-mode")).data).toMatchObject({ code: "invalid_data", issues: [expect.objectContaining({ path: "data.mode" })] });
    client.send({ type: "text_input", data: { words: "hi" }, id: "no-text" });
    expect((await client.waitFor((m) => m.type === "command_error" && m.data.id === "no-text")).data).toMatchObject({ code: "invalid_data", issues: [expect.objectContaining({ path: "data.text" })] });
    // A command with nothing unknown carries no `ignored`.
    expect((await client.command("get_system_info", {}, "plain")).data).not.toHaveProperty("ignored");
  });

  it("takes a timestamp as ISO 8601 or epoch milliseconds, and refuses anything else", async () => {
    const { client } = await setup();
    for (const [i, timestamp] of ["2026-05-01T12:34:56.789Z", "2026-05-01T14:34:56+02:00", 1767225600000].entries()) {
      client.send({ type: "get_system_info", timestamp, id: `ts${i}` } as never);
      expect((await client.waitFor((m) => (m.data as { id?: unknown }).id === `ts${i}` && m.type.startsWith("command_"))).type).toBe("command_ack");
    }
    for (const [i, timestamp] of [-1, true, "1767225600000"].entries()) {
      client.send({ type: "get_system_info", timestamp, id: `bad${i}` } as never);
      expect((await client.waitFor((m) => (m.data as { id?: unknown }).id === `bad${i}` && m.type.startsWith("command_"))).data).toMatchObject({ code: "invalid_data", issues: [expect.objectContaining({ path: "timestamp" })] });
    }
  });

  it("echoes the id and type of a refused command when they were readable", async () => {
    const { client } = await setup();
    client.send({ type: "stt_start", data: { mode: 3 }, id: "abc" });
    const err = await client.waitForType("command_error");
    expect(err.data).toMatchObject({ id: "abc", command: "stt_start", code: "invalid_data" });
    expect(err.data.issues).toEqual([{ path: "data.mode", message: expect.stringContaining("push_to_talk") }]);
  });

  it("too_large: a command over maxCommandBytes", async () => {
    const { client } = await setup({ maxCommandBytes: 1024 });
    client.send({ type: "text_input", data: { text: "x".repeat(2000) }, id: 1 });
    const err = await client.waitForType("command_error");
    expect(err.data).toMatchObject({ code: "too_large", id: null });
    expect(err.data.message).toMatch(/over the 1024-byte limit/);
    expect((await client.command("get_system_info")).type).toBe("command_ack");
  });

  it("a frame over maxFrameBytes closes the connection with 1009", async () => {
    const { client } = await setup({ maxFrameBytes: 4096, maxCommandBytes: 1024 });
    client.send("x".repeat(5000));
    await client.closed();
    expect(client.closeCode).toBe(1009);
  });

  it("unexpected_binary: audio frames when nothing takes audio", async () => {
    const { client } = await setup();
    client.ws.send(Buffer.alloc(320), { binary: true });
    const err = await client.waitForType("command_error");
    expect(err.data.code).toBe("unexpected_binary");
  });

  it("rate_limited past the burst, and 1008 after sustained abuse", async () => {
    const { client } = await setup({ ratePerSecond: 1, rateBurst: 3, rateViolationsBeforeClose: 5 });
    for (let i = 0; i < 3; i++) client.send({ type: "get_system_info", id: i });
    await client.waitFor((m) => m.type === "command_ack" && (m.data as { id: number }).id === 2);
    client.send({ type: "get_system_info", id: "over" });
    const err = await client.waitForType("command_error");
    expect(err.data).toMatchObject({ code: "rate_limited", id: null });
    for (let i = 0; i < 10; i++) client.send({ type: "get_system_info" });
    await client.closed();
    expect(client.closeCode).toBe(1008);
    expect(client.ofType("command_error").filter((m) => m.data.code === "rate_limited")).toHaveLength(4);
  });

  it("internal_error: a failing handler is reported without leaking internals", async () => {
    const { server, client } = await setup();
    server.handle("get_replay", () => {
      throw new Error("secret path /home/x");
    });
    const reply = await client.command("get_replay", {}, 9);
    expect(reply.data).toEqual({ id: 9, command: "get_replay", code: "internal_error", message: expect.not.stringContaining("secret") });
    expect((await client.command("get_system_info")).type).toBe("command_ack");
  });

  it("an async handler's refusal is answered with its id", async () => {
    const { server, client } = await setup();
    server.handle("get_replay", async () => {
      await sleep(5);
      throw new ProtocolError("busy", "later");
    });
    expect((await client.command("get_replay", {}, "a")).data).toEqual({ id: "a", command: "get_replay", code: "busy", message: "later" });
  });

  it("a command with an id gets exactly one answer naming it", async () => {
    const { client } = await setup();
    const ids = ["x1", "x2", "x3"];
    client.send({ type: "get_system_info", id: "x1" });
    client.send({ type: "nope", id: "x2" });
    client.send({ type: "get_replay", data: { since: -1 }, id: "x3" });
    await client.waitFor((m) => (m.data as { id?: unknown }).id === "x3");
    await sleep(50);
    const answers = client.messages.filter((m) => ids.includes((m.data as { id?: string }).id ?? ""));
    expect(answers.map((m) => [m.type, (m.data as { id: string }).id])).toEqual([
      ["command_ack", "x1"],
      ["command_error", "x2"],
      ["command_error", "x3"],
    ]);
  });
});

describe("audio frame rate", () => {
  it("binary frames have their own budget: 50 audio frames/s do not touch the command limit", async () => {
    const pushed: number[] = [];
    const pipeline = { ...recordingPipeline(), pushAudio: (_s: unknown, chunk: Uint8Array) => void pushed.push(chunk.byteLength) };
    const { client } = await setup({ pipeline, ratePerSecond: 1, rateBurst: 2, audioFramesPerSecond: 60 });
    for (let i = 0; i < 50; i++) client.ws.send(Buffer.alloc(640), { binary: true }); // 50 x 20 ms
    expect((await client.command("get_system_info")).type).toBe("command_ack");
    expect(pushed).toHaveLength(50);
    expect(client.ofType("command_error")).toHaveLength(0);
  });

  it("audio frames past audioFramesPerSecond are dropped with rate_limited", async () => {
    const pushed: number[] = [];
    const pipeline = { ...recordingPipeline(), pushAudio: (_s: unknown, chunk: Uint8Array) => void pushed.push(chunk.byteLength) };
    const { client } = await setup({ pipeline, audioFramesPerSecond: 5 });
    for (let i = 0; i < 8; i++) client.ws.send(Buffer.alloc(320), { binary: true });
    const err = await client.waitForType("command_error");
    expect(err.data.code).toBe("rate_limited");
    expect(err.data.message).toMatch(/Too many audio frames: at most 5\/s/);
    await client.waitFor(() => client.ofType("command_error").length === 3);
    expect(pushed).toHaveLength(5);
  });
});

describe("sustained abuse", () => {
  it("accepted audio frames do not reset the count of refused commands", async () => {
    const pipeline = { ...recordingPipeline(), pushAudio: () => {} };
    const { client } = await setup({ pipeline, ratePerSecond: 0.001, rateBurst: 1, rateViolationsBeforeClose: 5 });
    client.send({ type: "get_system_info" });
    for (let i = 0; i < 10; i++) {
      client.send({ type: "get_system_info" });
      client.ws.send(Buffer.alloc(320), { binary: true });
    }
    await client.closed();
    expect([client.closeCode, client.closeReason]).toEqual([1008, "Command rate limit exceeded repeatedly"]);
  });
});
