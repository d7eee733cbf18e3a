/**
 * Speech end to end over a real WebSocket (WebSocketServer + createBridge),
 * with real recognisers:
 * - the OpenAI-compatible transcription engine against a local HTTP server
 *   written here that speaks /v1/audio/transcriptions (multipart WAV in,
 *   {"text"} out): push-to-talk, binary PCM frames, stt_stop, partials from
 *   re-transcribing the growing buffer, the server's text as the result, then
 *   the rest of the turn;
 * - PocketSphinx (Debian packages pocketsphinx, pocketsphinx-en-us) on real
 *   words spoken in the default voice (Flite) and streamed as binary frames,
 *   through the built-in responder and real tools: the transcript word for
 *   word, the answer (twelve times seven is 84), and a closed loop in which
 *   the server's own spoken answer comes back as microphone audio and is
 *   recognised as that answer. Skipped, saying why, when PocketSphinx is not
 *   installed.
 */
import { describe, expect, it } from "vitest";
import { BuiltinResponder } from "../../actors/llm/builtin.js";
import { ScriptedLlmEngine } from "../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../actors/memory/testing/in-memory.js";
import { OpenAiStt } from "../../actors/stt/openai.js";
import { PocketSphinxStt } from "../../actors/stt/pocketsphinx.js";
import type { SttEngine } from "../../actors/stt/types.js";
import { createBuiltinTools } from "../../actors/tools/builtins/index.js";
import { ToolRegistry } from "../../actors/tools/registry.js";
import { selectTtsEngine } from "../../actors/tts/select.js";
import { concatBytes, decodeWav } from "../../actors/wav.js";
import { createBridge } from "../../server/pipeline/bridge.js";
import { validateEvent } from "../../server/protocol/index.js";
import { normaliseWords } from "../../bench/voice-sentences.js";
import { TestClient, type Received } from "../helpers/client.js";
import { fastClock } from "../helpers/clock.js";
import { startServer } from "../helpers/server.js";
import { useCleanup } from "../helpers/cleanup.js";
import { startPipeline } from "../helpers/pipeline.js";
import { startHttpServer } from "../helpers/http-server.js";
import { speak } from "../helpers/speech.js";

const closers = useCleanup();

/** A WebSocket server whose bridge uses `stt` (other stages scripted), and one connected client. */
async function pipelineWith(stt: SttEngine) {
  const errors: string[] = [];
  // Checked after the bridge has stopped (closers run newest first).
  closers.push(() => expect(errors).toEqual([]));
  const { connect } = await startPipeline(closers, {
    engines: { stt, llm: new ScriptedLlmEngine({ answer: "It is noon. Have a good day." }) },
    logger: { info() {}, warn() {}, error: (msg, fields) => errors.push(`${msg} ${JSON.stringify(fields)}`) },
  });
  return connect();
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
  const server = await startHttpServer(async (req, res) => {
    if (req.method !== "POST" || req.path !== "/v1/audio/transcriptions") {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
      return;
    }
    const form = await new Response(new Uint8Array(req.raw), { headers: { "content-type": String(req.headers["content-type"]) } }).formData();
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
  });
  closers.push(() => server.close());
  return { baseUrl: `${server.url}/v1`, uploads };
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

/**
 * The whole voice path with real words: the server composed as `npm start`
 * composes it (PocketSphinx, the built-in responder with the real built-in
 * tools, the default speech engine from selectTtsEngine), and a client that
 * speaks with that same default voice (Flite rms). The sentences asserted
 * word for word are ones bench:voices shows the default voice's speech
 * recognised exactly (docs/benchmarks.md).
 */
describe.skipIf(!sphinx)("spoken questions in the default voice, recognised by PocketSphinx over a WebSocket", () => {
  const NOW = new Date("2026-05-01T09:30:00Z");

  async function voicePipeline() {
    const memory = new InMemoryStore();
    const { engine: tts } = selectTtsEngine({});
    const errors: string[] = [];
    const bridge = createBridge({
      engines: {
        stt: new PocketSphinxStt(),
        llm: new BuiltinResponder({ timeZone: "UTC" }),
        tts,
        memory,
        tools: new ToolRegistry({ tools: createBuiltinTools({ memory, timezone: "UTC", now: () => NOW }) }),
      },
      logger: { info() {}, warn() {}, error: (msg, fields) => errors.push(`${msg} ${JSON.stringify(fields)}`) },
      // The client hears the answers as binary frames but never reports its playback: the server would wait for
      // it in real time. Nothing here is about that wait, so the playout runs 20 times faster.
      playoutClock: fastClock(20),
    });
    closers.push(async () => {
      await bridge.stop();
      await tts.close();
      expect(errors).toEqual([]);
    });
    const server = await startServer({ pipeline: bridge });
    closers.push(() => server.stop());
    // ?audio=1: this client also hears the server's speech, as binary frames.
    const client = await TestClient.connect(`${server.wsUrl}/?audio=1`);
    closers.push(() => client.close());
    await client.waitForType("replay");
    return { client, tts };
  }

  /** Push to talk with `speech` (a little silence before and after), released with stt_stop; resolves with that turn's events. */
  async function ask(client: TestClient, speech: Uint8Array, turnId: string): Promise<Received[]> {
    expect((await client.command("stt_start", { mode: "push_to_talk" }, `ask-${turnId}`)).type).toBe("command_ack");
    stream(client, concatBytes(new Uint8Array(32 * 300), speech, new Uint8Array(32 * 300)));
    // Push-to-talk ends at release, never at the VAD.
    expect((await client.command("stt_stop", {}, `release-${turnId}`)).type).toBe("command_ack");
    await client.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === turnId, { timeoutMs: 90_000 });
    return turnEvents(client, turnId);
  }

  const textOf = (events: Received[], type: string) => (events.find((e) => e.type === type)!.data as { text: string }).text;

  it("\"What is twelve times seven?\" is heard word for word and answered 84; \"What time is it?\" gets the time", async () => {
    const { client } = await voicePipeline();
    const [question, time] = await Promise.all([speak("What is twelve times seven?"), speak("What time is it?")]);

    const first = await ask(client, question, "t1");
    expect(first[0]!.data).toEqual({ turn_id: "t1", mode: "push_to_talk", engine: "pocketsphinx", source: "client" });
    expect(textOf(first, "stt_result")).toBe("what is twelve times seven");
    expect(first.find((e) => e.type === "tool_call")!.data).toMatchObject({ name: "calculate", arguments: { expression: "12 * 7" } });
    expect(textOf(first, "llm_result")).toBe("12 * 7 is 84.");
    expect(first.find((e) => e.type === "tts_start")!.data).toMatchObject({ engine: "flite", voice: "rms" });
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");

    const second = await ask(client, time, "t2");
    expect(textOf(second, "stt_result")).toBe("what time is it");
    expect(textOf(second, "llm_result")).toBe("It's 9:30 AM (UTC).");
    expect(client.ofType("stt_error")).toEqual([]);
  }, 240_000);

  it("closed loop: the server's own spoken answer, streamed back as client audio, is recognised as that answer", async () => {
    const { client } = await voicePipeline();
    expect((await client.command("text_input", { text: "Remember that my favourite colour is green" }, "typed")).type).toBe("command_ack");
    const heardFrom = client.binary.length;
    await client.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === "t1", { timeoutMs: 60_000 });
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    const answer = textOf(turnEvents(client, "t1"), "llm_result");
    expect(answer).toBe("Okay, I'll remember that your favourite colour is green.");
    const spoken = concatBytes(...client.binary.slice(heardFrom).map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    // Flite's 16 kHz s16le mono is the microphone format too: the frames go back as they came.
    expect(spoken.byteLength).toBeGreaterThan(32 * 1500);

    const events = await ask(client, spoken, "t2");
    const heard = textOf(events, "stt_result");
    // The recogniser writes US spellings and may expand "I'll": the same words to a listener.
    expect(normaliseWords(heard)).toEqual(normaliseWords(answer));
  }, 240_000);
});
