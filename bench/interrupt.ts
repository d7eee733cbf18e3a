/**
 * bench:interrupt — what a stop leaves playing.
 *
 * A real WebSocket server with the voice machine; one audio client
 * (?audio=1) that never reports playback (so the server assumes real-time
 * playback from its first audio). Each round asks for a long answer (about
 * 12 s of speech, synthesised in a few ms), waits a random 0-400 ms into
 * playback and sends stop_speaking. Measured, server side, per round:
 * - from the stop_speaking dispatch to the last audio frame sent for that
 *   turn (0 when nothing was sent after the stop);
 * - the audio the client held unplayed at the stop: audio sent minus
 *   turn_interrupted.heard_ms, against the configured lead.
 * Baseline in the same process: the same rounds with pacing off (a lead
 * longer than any answer, i.e. the whole answer sent as soon as it is
 * synthesised, as before pacing).
 *
 * Run: npm run bench:interrupt [-- --rounds 100 --lead 1000]
 */
import WebSocket from "ws";
import { ScriptedLlmEngine } from "../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../actors/tts/testing/scripted.js";
import { createBridge } from "../server/pipeline/bridge.js";
import { silentLogger } from "../server/app/logger.js";
import { WebSocketServer } from "../server/transport/server.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = Math.min(1000, arg("rounds", 100));
const LEAD = arg("lead", 1000);
const SENTENCE = "This is one sentence of a long spoken answer that goes on for a while.";
const ANSWER = Array.from({ length: 3 }, () => SENTENCE).join(" ");

interface Round {
  stopToLastFrameMs: number;
  bufferedAtStopMs: number;
}

async function run(leadMs: number): Promise<Round[]> {
  const bridge = createBridge({
    engines: {
      stt: new ScriptedSttEngine(),
      llm: new ScriptedLlmEngine({ answer: ANSWER }),
      tts: new ScriptedTtsEngine({ msPerChar: 60, chunkMs: 100 }),
      memory: new InMemoryStore(),
      tools: new FakeToolRunner(),
    },
    audioLeadMs: leadMs,
  });
  // Server-side record of each audio frame sent, per turn.
  const sent = new Map<string, { at: number; ms: number }[]>();
  const open = bridge.openAudioOutput.bind(bridge);
  bridge.openAudioOutput = (id, sink, o) =>
    open(id, { ...sink, send: (c) => (sink.send(c), (sent.get(c.turnId) ?? sent.set(c.turnId, []).get(c.turnId)!).push({ at: performance.now(), ms: c.audioMs })) }, o);
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, pipeline: bridge, logger: silentLogger, ratePerSecond: 1000, rateBurst: 1000 });
  await server.start();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?audio=1`, ["coda.v1"]);
  const waiting: { pred: (m: { type: string; data: Record<string, unknown> }) => boolean; resolve: (m: { type: string; data: Record<string, unknown> }) => void }[] = [];
  ws.on("message", (raw, binary) => {
    if (binary) return;
    const m = JSON.parse(String(raw)) as { type: string; data: Record<string, unknown> };
    for (const w of [...waiting]) if (w.pred(m)) waiting.splice(waiting.indexOf(w), 1) && w.resolve(m);
  });
  const next = (pred: (m: { type: string; data: Record<string, unknown> }) => boolean) =>
    new Promise<{ type: string; data: Record<string, unknown> }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("bench timed out")), 10_000);
      waiting.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  await next((m) => m.type === "replay");
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const turnId = `t${i + 1}`;
    const firstAudio = next((m) => m.type === "tts_audio" && m.data.turn_id === turnId);
    ws.send(JSON.stringify({ type: "text_input", data: { text: "talk" } }));
    await firstAudio;
    await new Promise((r) => setTimeout(r, Math.random() * 400));
    const cut = next((m) => m.type === "turn_interrupted" && m.data.turn_id === turnId);
    const idle = next((m) => m.type === "state_change" && m.data.state === "idle");
    const stopAt = performance.now();
    const sentAtStop = (sent.get(turnId) ?? []).reduce((n, f) => n + f.ms, 0);
    ws.send(JSON.stringify({ type: "stop_speaking", data: {} }));
    const heard = (await cut).data.heard_ms as number;
    await idle;
    await new Promise((r) => setTimeout(r, 20)); // any frame still to come would come now
    const frames = sent.get(turnId) ?? [];
    const last = frames.at(-1)!.at;
    rounds.push({ stopToLastFrameMs: Math.max(0, last - stopAt), bufferedAtStopMs: Math.max(0, sentAtStop - heard) });
    sent.delete(turnId);
  }
  ws.close();
  await server.stop();
  return rounds;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (n: number) => n.toFixed(1).padStart(8);

const paced = await run(LEAD);
const unpaced = await run(600_000);
process.stdout.write(`bench:interrupt  ${ROUNDS} stops ~0-400 ms into a ${((ANSWER.length * 60) / 1000).toFixed(1)} s answer; one audio client that never reports\n`);
process.stdout.write(`                                      p50       p95       max\n`);
for (const [name, rounds] of [[`paced (lead ${LEAD} ms)`, paced], ["unpaced (baseline)", unpaced]] as const) {
  const a = rounds.map((r) => r.stopToLastFrameMs);
  const b = rounds.map((r) => r.bufferedAtStopMs);
  process.stdout.write(`${name}\n`);
  process.stdout.write(`  stop -> last frame sent (ms) ${fmt(pct(a, 50))}  ${fmt(pct(a, 95))}  ${fmt(Math.max(...a))}\n`);
  process.stdout.write(`  audio buffered at stop (ms)  ${fmt(pct(b, 50))}  ${fmt(pct(b, 95))}  ${fmt(Math.max(...b))}\n`);
}
const ratio = pct(unpaced.map((r) => r.bufferedAtStopMs), 50) / Math.max(1, pct(paced.map((r) => r.bufferedAtStopMs), 50));
process.stdout.write(`buffered at stop, p50: unpaced / paced = ${ratio.toFixed(1)}x; paced max ${Math.max(...paced.map((r) => r.bufferedAtStopMs)).toFixed(1)} ms against a lead of ${LEAD} ms\n`);
