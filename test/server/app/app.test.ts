/**
 * The composition root (`createCodaServer`, what `npm start` runs): settings
 * reach the engines they configure, custom tools reach the model and its
 * answer, engines can be given as plain objects, the LLM engine's backstop
 * deadline is on, and bad options or tool modules fail with a clear error.
 * The model is a local HTTP server speaking Ollama's wire format; clients
 * are real WebSocket clients.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { LlmChunk, LlmEngine } from "../../../actors/llm/types.js";
import { PocketSphinxStt } from "../../../actors/stt/pocketsphinx.js";
import type { FliteTts } from "../../../actors/tts/flite.js";
import { AppConfigError, createCodaServer, LLM_BACKSTOP_GRACE_MS, type CodaServer, type CodaServerOptions } from "../../../server/app/app.js";
import { loadConfig } from "../../../server/app/config.js";
import { defineTool } from "../../../server/index.js";
import { silentLogger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { startFakeOllama, type FakeOllamaOptions } from "../../helpers/fake-ollama.js";
import { useCleanup } from "../../helpers/cleanup.js";

const cleanups = useCleanup();

async function ollama(options?: FakeOllamaOptions) {
  const server = await startFakeOllama(options);
  cleanups.push(() => server.close());
  return server;
}

/** What every test here does not care about: loopback, a free port, no disk, no speech. */
const QUIET = { host: "127.0.0.1", port: 0, memoryDb: "off", ttsEngine: "none", sttEngine: "none", logger: silentLogger } as const;

async function start(options: CodaServerOptions): Promise<CodaServer> {
  const coda = await createCodaServer({ ...QUIET, ...options });
  cleanups.push(() => coda.stop());
  return coda;
}

async function client(coda: CodaServer): Promise<TestClient> {
  const c = await TestClient.connect(coda.url);
  cleanups.push(() => c.close());
  await c.waitForType("replay");
  return c;
}

const convert = defineTool({
  name: "convert_temperature",
  description: "Convert a temperature between Celsius (C) and Fahrenheit (F).",
  input: z.object({ value: z.number(), from: z.enum(["C", "F"]), to: z.enum(["C", "F"]) }),
  handler: ({ value, from, to }) => ({ value: from === to ? value : from === "C" ? (value * 9) / 5 + 32 : ((value - 32) * 5) / 9, unit: to }),
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "coda-app-"));
}

describe("createCodaServer", () => {
  it.each([
    ["-1", -1],
    ["300", 300],
    ["5m", "5m"],
  ])("--ollama-keep-alive %s reaches Ollama as %j", async (flag, expected) => {
    const model = await ollama({ model: "m" });
    const { config } = loadConfig(["--llm-engine", "ollama", "--llm-model", "m", "--ollama-url", model.url, `--ollama-keep-alive=${flag}`, "--llm-temperature", "0.2"], {});
    const coda = await start({ ...config, ...QUIET });
    expect(coda.pipeline.engines()).toMatchObject({ llm: "ollama" });
    const c = await client(coda);
    c.send({ type: "text_input", data: { text: "hi" } });
    await c.waitForType("llm_result");
    expect(model.chats[0]).toMatchObject({ model: "m", keep_alive: expected, options: { temperature: 0.2 } });
  });

  it("listens on the returned url and describes every stage's engine", async () => {
    const coda = await start({ llmEngine: "builtin" });
    expect(coda.url).toBe(`ws://127.0.0.1:${coda.server.port}`);
    expect(coda.server.clientCount).toBe(0);
    expect(coda.descriptions.join("\n")).toMatch(/LLM: built-in rule-based responder[\s\S]*Memory: in this process only[\s\S]*STT: none configured[\s\S]*TTS: none/);
    const c = await client(coda);
    expect((await c.command("get_system_info")).type).toBe("command_ack");
    expect(coda.server.clientCount).toBe(1);
  });

  it("offers a custom tool to the model, runs the call, and the answer uses its result", async () => {
    const model = await ollama({ call: { name: "convert_temperature", arguments: { value: 100, from: "C", to: "F" } }, answer: (r) => `It is ${JSON.parse(r ?? "{}").value} degrees Fahrenheit.` });
    const coda = await start({ llmEngine: "ollama", ollamaUrl: model.url, tools: [convert] });
    const c = await client(coda);
    c.send({ type: "text_input", data: { text: "What is 100 Celsius in Fahrenheit?" } });
    const result = await c.waitForType("llm_result");
    expect(result.data.text).toBe("It is 212 degrees Fahrenheit.");
    expect(c.ofType("tool_call").map((e) => [e.data.name, e.data.arguments])).toEqual([["convert_temperature", { value: 100, from: "C", to: "F" }]]);
    expect(c.ofType("tool_result").map((e) => e.data.preview)).toEqual(['{"value":212,"unit":"F"}']);
    // The model saw it next to the built-ins, described by its JSON Schema.
    const offered = model.chats[0]!.tools!.map((t) => t.function.name);
    expect(offered).toEqual(["get_time", "calculate", "remember", "recall", "system_info", "convert_temperature"]);
    expect(model.chats[0]!.tools![5]!.function.parameters).toMatchObject({ type: "object", required: ["value", "from", "to"] });
    expect(model.chats[1]!.messages.at(-1)).toEqual({ role: "tool", content: '{"value":212,"unit":"F"}', tool_name: "convert_temperature" });
  });

  it("loads tools from the ES modules of the `tools` setting (--tool), one tool or an array", async () => {
    const dir = tempDir();
    const zod = import.meta.resolve("zod");
    writeFileSync(
      join(dir, "one.mjs"),
      `import { z } from ${JSON.stringify(zod)};\nexport default { name: "shout", description: "Upper-case a text", input: z.object({ text: z.string() }), handler: ({ text }) => text.toUpperCase() };\n`,
    );
    writeFileSync(
      join(dir, "two.mjs"),
      `import { z } from ${JSON.stringify(zod)};\nconst t = (name) => ({ name, description: "Say " + name, input: z.object({}), handler: () => name });\nexport default [t("ping"), t("pong")];\n`,
    );
    const model = await ollama({ call: { name: "shout", arguments: { text: "quiet please" } }, answer: (r) => `Shouted: ${r}` });
    const { config } = loadConfig(["--tool", join(dir, "one.mjs"), "--tool", join(dir, "two.mjs"), "--llm-engine", "ollama", "--ollama-url", model.url], {});
    expect(config.tools).toEqual([join(dir, "one.mjs"), join(dir, "two.mjs")]);
    const coda = await start({ ...config, ...QUIET });
    expect(coda.descriptions).toContain("Tools: get_time, calculate, remember, recall, system_info, shout, ping, pong");
    const c = await client(coda);
    c.send({ type: "text_input", data: { text: "shout it" } });
    expect((await c.waitForType("llm_result")).data.text).toBe("Shouted: QUIET PLEASE");
    expect(model.chats[0]!.tools!.map((t) => t.function.name).slice(-3)).toEqual(["shout", "ping", "pong"]);
  });

  it.each([
    ["missing.mjs", null, /^Tool module .*missing\.mjs not found \(looked for .*missing\.mjs\)$/],
    ["none.mjs", "export const x = 1;\n", /none\.mjs: the default export must be a tool made with defineTool\(\{ name, description, input, handler \}\) or an array of them; got no default export$/],
    ["half.mjs", 'export default [{ name: "a" }];\n', /half\.mjs: .*; got element 0 is an object with keys name$/],
    ["throws.mjs", 'throw new Error("boom at load");\n', /^Tool module .*throws\.mjs failed to load: boom at load$/],
    ["hangs.mjs", "await new Promise(() => {});\nexport default 1;\n", /^Tool module .*hangs\.mjs did not finish loading within 300 ms \(a top-level await that never settles\?\); see the toolImportDeadlineMs setting$/],
    ["getter.mjs", 'export default { get name() { throw new Error("getter says no"); } };\n', /^Tool module .*getter\.mjs: reading its default export threw: getter says no$/],
    ["proxy.mjs", 'export default new Proxy({}, { get() { throw new Error("trap says no"); } });\n', /^Tool module .*proxy\.mjs: reading its default export threw: trap says no$/],
    ["revoked.mjs", "const { proxy, revoke } = Proxy.revocable([], {});\nrevoke();\nexport default proxy;\n", /^Tool module .*revoked\.mjs: reading its default export threw: Cannot perform 'IsArray' on a proxy that has been revoked$/],
  ])("a tool module %s that cannot be used is refused with AppConfigError naming it", async (name, content, message) => {
    const dir = tempDir();
    if (content !== null) writeFileSync(join(dir, name), content);
    const error = await createCodaServer({ ...QUIET, llmEngine: "builtin", toolImportDeadlineMs: 300, tools: [join(dir, name)] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it("refuses a custom tool that clashes with a built-in, an unknown option and a bad value, with a TypeError naming it", async () => {
    const clash = defineTool({ name: "calculate", description: "mine", input: z.object({}), handler: () => 1 });
    await expect(createCodaServer({ ...QUIET, llmEngine: "builtin", tools: [clash] })).rejects.toThrow(new TypeError('Custom tool from code: A tool named "calculate" is already registered'));
    // @ts-expect-error not a setting
    await expect(createCodaServer({ ...QUIET, prot: 1 })).rejects.toThrow(/Invalid createCodaServer option: .*prot/);
    await expect(createCodaServer({ ...QUIET, port: 70000 })).rejects.toThrow(/Invalid createCodaServer option: port: /);
    await expect(createCodaServer({ ...QUIET, host: "0.0.0.0" })).rejects.toThrow(/requires a token/);
  });

  it("takes engines as plain objects implementing the stage interfaces", async () => {
    const seen: string[] = [];
    const llm: LlmEngine = {
      name: "mine",
      model: "tiny",
      async *generate(request): AsyncGenerator<LlmChunk> {
        seen.push(request.tools.map((t) => t.name).join(","));
        yield { kind: "delta", text: "From my own engine." };
        yield { kind: "done", finishReason: "stop" };
      },
      close: async () => void seen.push("closed"),
    };
    const coda = await start({ engines: { llm }, tools: [convert] });
    expect(coda.pipeline.engines()).toMatchObject({ llm: "mine" });
    expect(coda.descriptions).toContain('LLM: mine model "tiny" (given by the caller)');
    const c = await client(coda);
    c.send({ type: "text_input", data: { text: "hello" } });
    expect((await c.waitForType("llm_result")).data.text).toBe("From my own engine.");
    expect(seen[0]).toContain("convert_temperature");
    await coda.stop();
    expect(seen).toContain("closed");
  });

  it("sets the HTTP engine's own deadline as a backstop just after the machine's llmDeadlineMs", async () => {
    const model = await ollama({ hang: true });
    const coda = await start({ llmEngine: "ollama", ollamaUrl: model.url, llmDeadlineMs: 200 });
    // Called directly, without the machine's deadline: the engine stops on its own.
    const stream = coda.engines.llm.generate({ messages: [{ role: "user", content: "hi" }], tools: [], signal: new AbortController().signal });
    const error = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "timeout" });
    expect((error as Error).message).toContain(`did not finish within ${200 + LLM_BACKSTOP_GRACE_MS} ms`);
  });

  it.each([
    [["--engine-pool-size", "1"], /^VAD: Silero v5 \(silero_vad_v5\.onnx run in JavaScript, in a worker thread\), speech probability 0\.5, ends after 700 ms of silence; talk more than 6 dB below the speaker's level does not count \(level gate\)$/],
    [["--vad-level-gate-db", "0"], /^VAD: Silero v5 \(.+\), speech probability 0\.5, ends after 700 ms of silence$/],
    [["--vad", "energy", "--vad-hangover-ms", "500"], /^VAD: energy threshold 0\.01 RMS \(--vad energy\), ends after 500 ms of silence$/],
    [["--vad", "off"], /^VAD: off \(--vad off\): only stt_stop or the end of the audio ends an utterance$/],
  ])("says which voice-activity detector runs and why (%j)", async (argv, line) => {
    const { config } = loadConfig(["--llm-engine", "builtin", ...argv], {});
    const a = await start({ ...config, ...QUIET });
    expect(a.descriptions.filter((d) => d.startsWith("VAD:"))).toEqual([expect.stringMatching(line)]);
  });

  it.each([
    [["--vad", "energy"], "Barge-in by voice: auto, after 300 ms of speech, for continuous client streams whose stt_start says echo_cancellation (the dashboard's microphone when the browser applies it)"],
    [["--vad", "energy", "--barge-in", "on", "--barge-in-min-ms", "500"], "Barge-in by voice: on (--barge-in on), after 500 ms of speech, for every continuous client stream (without echo cancellation the assistant may interrupt itself)"],
    [["--vad", "energy", "--barge-in", "off"], "Barge-in by voice: off (--barge-in off): in continuous mode, listening resumes when the answer has been heard"],
    [["--vad", "off"], "Barge-in by voice: unavailable with --vad off (no detector hears speech over the answer); stt_start and text_input still interrupt"],
  ])("says when speaking over an answer interrupts it (%j)", async (argv, line) => {
    const { config } = loadConfig(["--llm-engine", "builtin", ...argv], {});
    const a = await start({ ...config, ...QUIET });
    expect(a.descriptions.filter((d) => d.startsWith("Barge-in"))).toEqual([line]);
  });

  it("refuses VAD settings that cannot work together", async () => {
    const { config } = loadConfig(["--memory-db", "off", "--tts-engine", "none", "--stt-engine", "none", "--llm-engine", "builtin", "--vad-hangover-ms", "5000", "--vad-max-utterance-ms", "4000"], {});
    await expect(createCodaServer({ ...config, ...QUIET })).rejects.toThrow("vad needs startMs >= 0, hangoverMs > 0 and maxUtteranceMs > hangoverMs");
  });

  it("speaks with Flite rms when no speech engine is configured, and names it at start-up", async () => {
    const a = await start({ llmEngine: "builtin", ttsEngine: "auto", enginePoolSize: 1 });
    expect(a.pipeline.engines()).toMatchObject({ tts: "flite" });
    expect(a.descriptions).toContain("TTS: Flite (embedded WebAssembly, in a worker thread), voice rms (--tts-voice rms|slt|awb|kal16|kal; --tts-engine espeak for other languages)");
  });

  it("sizes the shared engines' pools by enginePoolSize, by default one per core, and says so at start-up", async () => {
    const a = await start({ llmEngine: "builtin", ttsEngine: "auto", sttEngine: "auto", enginePoolSize: 3 });
    expect((a.engines.tts as FliteTts).stats).toMatchObject({ size: 3, members: 1 });
    expect(a.descriptions.find((d) => d.startsWith("TTS:"))).toMatch(/^TTS: Flite \(embedded WebAssembly, in up to 3 worker threads\), voice rms /);
    expect(a.descriptions.find((d) => d.startsWith("VAD:"))).toMatch(/^VAD: Silero v5 \(silero_vad_v5\.onnx run in JavaScript, in up to 3 worker threads\), /);
    if (PocketSphinxStt.isAvailable()) {
      expect(a.descriptions).toContain("STT: PocketSphinx (offline, up to 3 processes at once)");
      expect((a.engines.stt as PocketSphinxStt).stats.size).toBe(3);
    }
    const b = await start({ llmEngine: "builtin", ttsEngine: "auto" });
    expect((b.engines.tts as FliteTts).stats.size).toBe(availableParallelism());
    await expect(start({ llmEngine: "builtin", enginePoolSize: 0 })).rejects.toThrow(/^Invalid createCodaServer option: enginePoolSize/);
  });

  it("gives a voice Flite does not have to eSpeak NG, and refuses it with --tts-engine flite", async () => {
    const a = await start({ llmEngine: "builtin", ttsEngine: "auto", ttsVoice: "de" });
    expect(a.pipeline.engines()).toMatchObject({ tts: "espeak-ng" });
    await expect(start({ llmEngine: "builtin", ttsEngine: "flite", ttsVoice: "de" })).rejects.toThrow(
      'Flite speaks English only and has no voice "de" (voices: rms, slt, awb, kal16, kal); use --tts-engine espeak for eSpeak NG voices',
    );
  });
});
