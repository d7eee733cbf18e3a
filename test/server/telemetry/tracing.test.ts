/**
 * OpenTelemetry traces: off by default; on with the tracing setting or the
 * standard OTEL_* variables; one trace per turn exported over OTLP/HTTP
 * (JSON) to a local collector written here, with a root span and children
 * for STT, memory recall, each model round, each tool call and TTS, the
 * right parent links and the attributes a latency investigation needs -
 * and no user speech or memory text unless tracingContent allows it.
 */
import { describe, expect, it } from "vitest";
import { createCodaServer, type CodaServer as App } from "../../../server/app/app.js";
import { loadConfig } from "../../../server/app/config.js";
import { silentLogger } from "../../../server/app/logger.js";
import { tracesUrl, tracingEnabled } from "../../../server/telemetry/tracing.js";
import { TestClient } from "../../helpers/client.js";
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from "../../helpers/otlp-collector.js";
import { useCleanup } from "../../helpers/cleanup.js";

const cleanups = useCleanup();

async function collector(): Promise<OtlpCollector> {
  const c = await startOtlpCollector();
  cleanups.push(() => c.close());
  return c;
}

/** The app as `npm start` builds it: built-in responder and tools, in-process memory, embedded default voice, scripted demo recogniser. */
async function app(argv: string[]): Promise<App> {
  const { config } = loadConfig(["--host", "127.0.0.1", "--port", "0", "--memory-db", "off", "--stt-engine", "none", "--llm-engine", "builtin", "--timezone", "UTC", ...argv], {});
  return createCodaServer({ ...config, logger: silentLogger });
}

/** Run one demo turn through a real client and stop the app (which flushes the spans). */
async function demoTurn(a: App, text: string) {
  const c = await TestClient.connect(`ws://127.0.0.1:${a.server.port}`);
  await c.waitForType("replay");
  c.send({ type: "demo_flow", data: { text } });
  const trace = await c.waitForType("latency_trace", { timeoutMs: 45_000 }); // eSpeak's first synthesis compiles its WebAssembly: slow on a busy machine
  await c.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { timeoutMs: 15_000 });
  const events = [...c.messages];
  await c.close();
  await a.stop();
  return { trace: trace.data, events };
}

describe("tracing switch", () => {
  it("is off by default, on with the setting or OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, off again with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none", () => {
    expect(tracingEnabled({}, {})).toBe(false);
    expect(tracingEnabled({ tracing: true }, {})).toBe(true);
    expect(tracingEnabled({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://tempo:4318" })).toBe(true);
    expect(tracingEnabled({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://tempo:4318/v1/traces" })).toBe(true);
    expect(tracingEnabled({ tracing: true }, { OTEL_SDK_DISABLED: "true" })).toBe(false);
    expect(tracingEnabled({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://tempo:4318", OTEL_TRACES_EXPORTER: "none" })).toBe(false);
    expect(tracesUrl({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://tempo:4318/" })).toBe("http://tempo:4318/v1/traces");
    expect(tracesUrl({ tracingEndpoint: "http://jaeger:4318/v1/traces" }, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://x" })).toBe("http://jaeger:4318/v1/traces");
    expect(tracesUrl({}, {})).toBe("http://localhost:4318/v1/traces");
  });

  it("exports nothing when off", async () => {
    const col = await collector();
    const a = await app([]);
    expect(a.descriptions.join("\n")).not.toContain("Tracing");
    await demoTurn(a, "what is 12 times 7");
    expect(col.spans).toEqual([]);
  });
});

describe("one trace per turn", () => {
  it("a demo turn's spans reach an OTLP/HTTP JSON collector with the right parents and latency attributes", async () => {
    const col = await collector();
    const a = await app(["--tracing", "--tracing-endpoint", `${col.url}/v1/traces`]);
    expect(a.descriptions).toContain(`Tracing: one OpenTelemetry trace per turn, over OTLP/HTTP to ${col.url}/v1/traces`);
    const { trace } = await demoTurn(a, "what is 12 times 7");
    expect(col.contentTypes.every((t) => t.startsWith("application/json"))).toBe(true);

    const spans = col.spans;
    const root = spans.find((s) => s.name === "turn")!;
    expect(root).toBeDefined();
    expect(root.parentSpanId).toBe("");
    expect(root.resource).toMatchObject({ "service.name": "coda-core" });
    // Every span belongs to the turn's trace and hangs off the root.
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([root.traceId]));
    const children = spans.filter((s) => s !== root);
    expect(children.every((s) => s.parentSpanId === root.spanId)).toBe(true);
    const names = children.sort((x, y) => x.startMs - y.startMs).map((s) => s.name);
    // The built-in responder asks for the calculator, then answers with its result: two model rounds.
    expect(names).toEqual(["stt", "memory.recall", "chat builtin-responder", "execute_tool calculate", "chat builtin-responder", "tts"]);
    for (const s of children) {
      expect(s.startMs).toBeGreaterThanOrEqual(root.startMs);
      expect(s.endMs).toBeLessThanOrEqual(root.endMs);
      expect(s.endMs).toBeGreaterThanOrEqual(s.startMs);
    }

    expect(root.attributes).toMatchObject({
      "coda.turn.id": trace.turn_id,
      "coda.turn.mode": "demo",
      "coda.interrupted": false,
      "coda.llm.engine": "builtin",
      "coda.llm.rounds": 2,
      "coda.latency.total_ms": trace.total_ms,
      "coda.latency.llm_first_token_ms": trace.llm_first_token_ms,
      "coda.latency.tts_first_audio_ms": trace.tts_first_audio_ms,
      "coda.latency.input_to_first_audio_ms": trace.input_to_first_audio_ms,
    });
    const byName = (n: string) => children.filter((s) => s.name === n);
    expect(byName("stt")[0]!.attributes).toMatchObject({ "coda.stt.engine": "scripted", "coda.stt.source": "scripted", "coda.stt.chars": 18 });
    const [round0, round1] = byName("chat builtin-responder");
    expect(round0!.attributes).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.request.model": "builtin-responder", "coda.llm.round": 0, "gen_ai.response.finish_reasons": ["tool_calls"] });
    expect(round1!.attributes).toMatchObject({ "coda.llm.round": 1, "gen_ai.response.finish_reasons": ["stop"] });
    expect(round1!.attributes["coda.llm.first_token_ms"]).toEqual(expect.any(Number));
    expect(byName("execute_tool calculate")[0]!.attributes).toMatchObject({ "gen_ai.tool.name": "calculate", "gen_ai.operation.name": "execute_tool" });
    expect(byName("execute_tool calculate")[0]!.statusCode).not.toBe(2);
    const tts = byName("tts")[0]!.attributes;
    expect(tts).toMatchObject({ "coda.tts.engine": "flite", "coda.interrupted": false });
    expect(tts["coda.tts.first_audio_ms"]).toEqual(expect.any(Number));
    expect(byName("memory.recall")[0]!.attributes).toMatchObject({ "coda.memory.hits": expect.any(Number) });

    // No user speech, answer or memory text in any attribute or event.
    const strings = spans.flatMap((s) => [...Object.values(s.attributes), ...s.events.flatMap((e) => Object.values(e.attributes))]).flat().filter((v) => typeof v === "string");
    expect(strings.length).toBeGreaterThan(10);
    expect(strings.filter((v) => /12|times|84/.test(v as string))).toEqual([]);
  }, 90_000);

  it("two turns are two traces", async () => {
    const col = await collector();
    const a = await app(["--tracing", "--tracing-endpoint", `${col.url}/v1/traces`, "--tts-engine", "none"]);
    const c = await TestClient.connect(`ws://127.0.0.1:${a.server.port}`);
    await c.waitForType("replay");
    for (const text of ["hello", "what time is it"]) {
      const from = c.messages.length;
      c.send({ type: "text_input", data: { text } });
      await c.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from, timeoutMs: 10_000 });
    }
    await c.close();
    await a.stop();
    const roots = col.spans.filter((s: CollectedSpan) => s.name === "turn");
    expect(roots.map((r) => r.attributes["coda.turn.mode"])).toEqual(["text", "text"]);
    expect(new Set(roots.map((r) => r.traceId)).size).toBe(2);
    for (const s of col.spans) if (s.name !== "turn") expect(roots.some((r) => r.spanId === s.parentSpanId && r.traceId === s.traceId)).toBe(true);
  }, 90_000);

  it("with tracingContent the spans carry the user's words, the answer and the tool arguments", async () => {
    const col = await collector();
    const a = await app(["--tracing", "--tracing-endpoint", `${col.url}/v1/traces`, "--tracing-content", "--tts-engine", "none"]);
    await demoTurn(a, "what is 12 times 7");
    const stt = col.spans.find((s) => s.name === "stt")!;
    expect(stt.attributes["coda.stt.text"]).toBe("what is 12 times 7");
    expect(col.spans.find((s) => s.name === "execute_tool calculate")!.attributes["gen_ai.tool.call.arguments"]).toContain("12");
    expect(JSON.stringify(col.spans.filter((s) => s.name === "chat builtin-responder").map((s) => s.attributes["coda.llm.text"]))).toContain("84");
  }, 90_000);
});
