/**
 * Speech end to end over a real WebSocket (WebSocketServer + createBridge),
 * with real recognisers:
 * - the OpenAI-compatible transcription engine against a local HTTP server
 *   written here that speaks /v1/audio/transcriptions (multipart WAV in,
 *   {"text"} out): push-to-talk, binary PCM frames, stt_stop, partials from
 *   re-transcribing the growing buffer, the server's text as the result, then
 *   the rest of the turn;
 * - PocketSphinx (Debian packages pocketsphinx, pocketsphinx-en-us) on speech
 *   synthesised by the embedded eSpeak NG engine, resampled to 16 kHz and
 *   streamed as binary frames; the voice-activity detector ends the utterance.
 *   Skipped, saying why, when PocketSphinx is not installed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../actors/audio.js";
import { convertPcm } from "../../actors/audio-resample.js";
import { ScriptedLlmEngine } from "../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../actors/memory/testing/in-memory.js";
import { OpenAiStt } from "../../actors/stt/openai.js";
import { PocketSphinxStt } from "../../actors/stt/pocketsphinx.js";
import type { SttEngine } from "../../actors/stt/types.js";
import { FakeToolRunner } from "../../actors/tools/testing/fake-runner.js";
import { EspeakTts } from "../../actors/tts/espeak.js";
import { ScriptedTtsEngine } from "../../actors/tts/testing/scripted.js";
import { concatBytes, decodeWav } from "../../actors/wav.js";
import { createBridge } from "../../server/bridge.js";
import { validateEvent } from "../../server/protocol/index.js";
import { TestClient, type Received } from "../helpers/client.js";
import { startServer } from "../helpers/server.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A WebSocket server whose bridge uses `stt` (other stages scripted), and one connected client. */
async function pipelineWith(stt: SttEngine) {
  const errors: string[] = [];
  const bridge = createBridge({
    engines: { stt, llm: new ScriptedLlmEngine({ answer: "It is noon. Have a good day." }), tts: new ScriptedTtsEngine(), memory: new InMemoryStore(), tools: new FakeToolRunner() },
    logger: { info() {}, warn() {}, error: (msg, fields) => errors.push(`${msg} ${JSON.stringify(fields)}`) },
  });
  closers.push(async () => {
    await bridge.stop();
    expect(errors).toEqual([]);
  });
  const server = await startServer({ pipeline: bridge });
  closers.push(() => server.stop());
  const client = await TestClient.connect(server.wsUrl);
  closers.push(() => client.close());
  await client.waitForType("replay");
  return client;
}

/** Send 16 kHz s16le mono PCM as 100 ms binary frames (the dashboard's size; frames count against the rate limit). */
function stream(client: TestClient, pcm: Uint8Array): number {
  let frames = 0;
  for (let at = 0; at < pcm.byteLength; at += 3200, frames++) client.ws.send(pcm.subarray(at, at + 3200), { binary: true });
  return frames;
}

/** `ms` of a 300 Hz tone: loud all through, so the VAD does not end the utterance and stt_stop does. */
function tone(ms: number): Uint8Array {
  const samples = new Int16Array(ms * 16);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16000));
  return new Uint8Array(samples.buffer);
}

/** The turn's pipeline events (no state changes), each checked against the wire schema. */
function turnEvents(client: TestClient, turnId: string): Received[] {
  return client.messages.filter((m) => (m.data as { turn_id?: unknown }).turn_id === turnId && m.type !== "state_change").map((m) => validateEvent(m as never) as Received);
}

/** Collapse each run of `*_progress` events (one or more) into `*_progress+`. */
function runs(types: string[]): string[] {
  const out: string[] = [];
  for (const t of types) {
    const mark = t.endsWith("_progress") ? `${t}+` : t;
    if (mark.endsWith("+") && out.at(-1) === mark) continue;
    out.push(mark);
  }
  return out;
}

// --- a local OpenAI-compatible transcription server ------------------------------

const WORDS = ["what", "time", "is", "it"];

interface Upload {
  model: string;
  responseFormat: string;
  /** Audio length of the uploaded WAV, ms. */
  ms: number;
}

/**
 * POST /v1/audio/transcriptions: parses the multipart form, checks the WAV is
 * 16 kHz s16le mono, and "hears" one word of WORDS per 250 ms of audio.
 */
async function startTranscriptionServer(): Promise<{ baseUrl: string; uploads: Upload[] }> {
  const uploads: Upload[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      void (async () => {
        if (req.method !== "POST" || req.url !== "/v1/audio/transcriptions") {
          res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
          return;
        }
        const form = await new Response(new Uint8Array(Buffer.concat(parts)), { headers: { "content-type": String(req.headers["content-type"]) } }).formData();
        const file = form.get("file");
        if (!(file instanceof Blob)) {
          res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "file is required" } }));
          return;
        }
        const wav = decodeWav(new Uint8Array(await file.arrayBuffer()));
        const ok = wav.format.sample_rate === 16000 && wav.format.channels === 1 && wav.format.sample_type === "s16le";
        if (!ok) {
          res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "expected 16 kHz s16le mono" } }));
          return;
        }
        const ms = wav.data.byteLength / 32;
        uploads.push({ model: String(form.get("model")), responseFormat: String(form.get("response_format")), ms });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ text: ` ${WORDS.slice(0, Math.ceil(ms / 250)).join(" ")} ` }));
      })().catch((err: unknown) => res.writeHead(500).end(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, uploads };
}

describe("client audio through the OpenAI-compatible transcription engine", () => {
  it("push_to_talk: PCM frames, stt_stop, partials and the server's text as stt_result, then the rest of the turn", async () => {
    const { baseUrl, uploads } = await startTranscriptionServer();
    const client = await pipelineWith(new OpenAiStt({ baseUrl, model: "whisper-test", partialIntervalMs: 300 }));
    expect((await client.command("stt_start", { mode: "push_to_talk" }, "s1")).type).toBe("command_ack");
    expect(stream(client, tone(1000))).toBe(10);
    // Partials come from re-transcribing the growing buffer while audio streams.
    await client.waitForType("stt_progress");
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    await client.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === "t1");

    const events = turnEvents(client, "t1");
    expect(runs(events.map((e) => e.type)).slice(0, 6)).toEqual(["stt_start", "stt_progress+", "stt_result", "memory_recall", "llm_start", "llm_progress+"]);
    expect(events.slice(-3).map((e) => e.type)).toEqual(["tts_result", "memory_store", "latency_trace"]);
    expect(events[0]!.data).toEqual({ turn_id: "t1", mode: "push_to_talk", engine: "openai", source: "client" });
    const result = events.find((e) => e.type === "stt_result")!;
    expect(result.data).toMatchObject({ turn_id: "t1", text: "what time is it", confidence: null });
    for (const p of events.filter((e) => e.type === "stt_progress")) expect("what time is it".startsWith((p.data as { text: string }).text)).toBe(true);
    expect(events.find((e) => e.type === "memory_recall")!.data).toMatchObject({ query: "what time is it" });
    expect(events.find((e) => e.type === "llm_result")!.data).toMatchObject({ text: "It is noon. Have a good day.", finish_reason: "stop" });
    expect(events.at(-1)!.data).toMatchObject({ mode: "push_to_talk", interrupted: false, stt_ms: expect.any(Number) });
    // The last upload is the whole utterance: every frame the client sent, as a 16 kHz WAV.
    expect(uploads.at(-1)).toEqual({ model: "whisper-test", responseFormat: "json", ms: 1000 });
    expect(uploads.length).toBeGreaterThanOrEqual(2);
    expect(client.ofType("command_error")).toEqual([]);
  }, 15_000);
});

const sphinx = PocketSphinxStt.isAvailable();
if (!sphinx) {
  console.warn(
    "SKIPPED PocketSphinx end-to-end test: pocketsphinx_continuous or /usr/share/pocketsphinx/model/en-us is missing (apt-get install pocketsphinx pocketsphinx-en-us)",
  );
}

describe.skipIf(!sphinx)("PocketSphinx on eSpeak NG speech streamed over a WebSocket", () => {
  it("yields a non-empty transcript and the whole turn's events, the utterance ended by the VAD", async () => {
    const tts = new EspeakTts({ rate: 150 });
    closers.push(() => tts.close());
    const chunks: Uint8Array[] = [];
    for await (const c of tts.synthesize("Hello world. What time is it?", { signal: new AbortController().signal })) chunks.push(c);
    const speech = convertPcm(concatBytes(...chunks), tts.format, INPUT_PCM);
    expect(speech.byteLength).toBeGreaterThan(32 * 1000); // over a second of speech

    const client = await pipelineWith(new PocketSphinxStt());
    // Continuous mode ends an utterance at the end of speech (push-to-talk waits for stt_stop).
    expect((await client.command("stt_start", { mode: "continuous" }, "s1")).type).toBe("command_ack");
    // Speech, then a second of silence: the detector's 700 ms hangover ends the utterance; no stt_stop is sent.
    stream(client, concatBytes(speech, new Uint8Array(32 * 1000)));
    await client.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === "t1", { timeoutMs: 30_000 });

    const events = turnEvents(client, "t1");
    const types = events.map((e) => e.type).filter((t) => t !== "stt_progress");
    expect(types.slice(0, 4)).toEqual(["stt_start", "stt_result", "memory_recall", "llm_start"]);
    expect(types.slice(-3)).toEqual(["tts_result", "memory_store", "latency_trace"]);
    expect(types).toContain("llm_result");
    expect(events[0]!.data).toEqual({ turn_id: "t1", mode: "continuous", engine: "pocketsphinx", source: "client" });
    const text = (events.find((e) => e.type === "stt_result")!.data as { text: string }).text;
    expect(text.trim().length).toBeGreaterThan(0);
    expect(client.ofType("stt_error")).toEqual([]);
  }, 60_000);
});
