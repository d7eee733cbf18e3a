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
 * Barge-in by voice: a continuous session with echo-cancelled audio (the
 * energy VAD, the default 300 ms minimum). Each round waits for the answer's
 * first audio and then streams 300 ms of tone in 100 ms frames. Measured,
 * server side: from the arrival of the frame that completes the 300 ms of
 * speech to the turn_interrupted event leaving the bridge. Baseline in the
 * same process: a typed barge-in (stt_start) from its arrival to
 * turn_interrupted, in the same kind of session.
 *
 * Run: npm run bench:interrupt [-- --rounds 100 --lead 1000]
 */
import WebSocket from "ws";
import { ScriptedLlmEngine } from "../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../actors/tts/testing/scripted.js";
import type { EventInput } from "../server/protocol/index.js";
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

type Message = { type: string; data: Record<string, unknown> };

/** A WebSocket server for `bridge`, and one audio client (?audio=1) with a way to wait for its next matching message. */
async function serve(bridge: ReturnType<typeof createBridge>) {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, pipeline: bridge, logger: silentLogger, ratePerSecond: 1000, rateBurst: 1000 });
  await server.start();
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/?audio=1`, ["coda.v1"]);
  const waiting: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  ws.on("message", (raw, binary) => {
    if (binary) return;
    const m = JSON.parse(String(raw)) as Message;
    for (const w of [...waiting]) {
      if (!w.pred(m)) continue;
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(m);
    }
  });
  const next = (pred: (m: Message) => boolean) =>
    new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("bench timed out")), 10_000);
      waiting.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  await next((m) => m.type === "replay");
  return { server, ws, next };
}

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
  const { server, ws, next } = await serve(bridge);
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

/** 300 ms of a 440 Hz tone (speech to the energy VAD) as three 100 ms frames of 16 kHz s16le mono. */
const SPEECH_FRAMES = (() => {
  const frame = (k: number) => {
    const out = Buffer.alloc(3200);
    for (let i = 0; i < 1600; i++) out.writeInt16LE(Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * 440 * (k * 1600 + i)) / 16000)), i * 2);
    return out;
  };
  return [frame(0), frame(1), frame(2)];
})();

/**
 * ROUNDS barge-ins on answers that have started playing: by voice (300 ms of
 * speech) or typed (stt_start). Returns, per round, the ms from the arrival
 * of what triggered it (the third speech frame, or the stt_start) to the
 * turn_interrupted event leaving the bridge.
 */
async function runBargeIn(kind: "voice" | "typed"): Promise<number[]> {
  const bridge = createBridge({
    engines: {
      stt: new ScriptedSttEngine({ utterances: Array.from({ length: ROUNDS + 1 }, () => "keep talking") }),
      llm: new ScriptedLlmEngine({ answer: ANSWER }),
      tts: new ScriptedTtsEngine({ msPerChar: 60, chunkMs: 100 }),
      memory: new InMemoryStore(),
      tools: new FakeToolRunner(),
    },
    vad: {},
  });
  let triggeredAt = 0;
  let framesThisRound = 0;
  const push = bridge.pushAudio.bind(bridge);
  bridge.pushAudio = (source, chunk) => {
    if (++framesThisRound === SPEECH_FRAMES.length) triggeredAt = performance.now();
    push(source, chunk);
  };
  const dispatch = bridge.dispatch.bind(bridge);
  bridge.dispatch = (command, source) => {
    if (kind === "typed" && command.type === "stt_start") triggeredAt = performance.now();
    dispatch(command, source);
  };
  const cutAt = new Map<string, number>();
  bridge.subscribe((e: EventInput) => {
    if (e.type === "turn_interrupted") cutAt.set(e.data.turn_id, performance.now());
  });
  const { server, ws, next } = await serve(bridge);
  const start = JSON.stringify({ type: "stt_start", data: { mode: "continuous", echo_cancellation: true } });
  ws.send(start);
  const rounds: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const turnId = `t${i + 1}`;
    await next((m) => m.type === "tts_audio" && m.data.turn_id === turnId);
    const cut = next((m) => m.type === "turn_interrupted" && m.data.turn_id === turnId);
    framesThisRound = 0;
    if (kind === "voice") for (const frame of SPEECH_FRAMES) ws.send(frame);
    else ws.send(start);
    await cut;
    rounds.push(cutAt.get(turnId)! - triggeredAt);
  }
  ws.close();
  await server.stop();
  await bridge.stop();
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

const voice = await runBargeIn("voice");
const typed = await runBargeIn("typed");
process.stdout.write(`\nbarge-in, ${ROUNDS} per kind, on answers that have started playing (continuous session, echo-cancelled audio, energy VAD)\n`);
const row = (label: string, xs: number[]) => process.stdout.write(`  ${label.padEnd(52)}${fmt(pct(xs, 50))}  ${fmt(pct(xs, 95))}  ${fmt(Math.max(...xs))}\n`);
process.stdout.write(`${"".padEnd(54)}     p50       p95       max\n`);
row("by voice: 300th ms of speech -> turn_interrupted (ms)", voice);
row("typed (baseline): stt_start -> turn_interrupted (ms)", typed);
process.stdout.write(`by voice / typed, p50: ${(pct(voice, 50) / Math.max(0.001, pct(typed, 50))).toFixed(2)}x\n`);
