/**
 * `npm run bench:replay`: what replay and resume cost, and what a welcome
 * costs at 1,000 clients.
 *
 * 1. Events and bytes per turn, for a short answer (one sentence, ~2.5 s of
 *    speech) and a 30 s answer (500 characters), through the real voice
 *    machine with the scripted model and synthesiser (60 ms of speech per
 *    character, 100 ms chunks: the cadence of eSpeak's tts_progress today).
 *    "log" is every logged event of the turn: what resume keeps, and what
 *    the old replay (the last 100 events) was cut from. "conversation" is
 *    what the turn costs in a new client's replay now.
 * 2. The log after 20 turns of 30 s answers (what the resume defaults are
 *    sized for), and the welcome (connection_status + replay) a new client
 *    gets then, beside what the old 100-event replay held.
 * 3. The time to send that welcome to 1,000 clients connecting at once,
 *    Coda's server against a bare `ws` server sending the same bytes, each
 *    server alone in a child process (bench/welcome-server.ts), the clients
 *    in another (bench/welcome-peers.mjs); interleaved rounds, median.
 * Env: BENCH_CLIENTS (default 1000), BENCH_ROUNDS (default 3).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { exited, lines } from "./child.js";
import { ScriptedLlmEngine } from "../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../actors/stt/testing/scripted.js";
import { ToolRegistry } from "../actors/tools/registry.js";
import { ScriptedTtsEngine } from "../actors/tts/testing/scripted.js";
import { createBridge } from "../server/pipeline/bridge.js";
import { silentLogger } from "../server/app/logger.js";
import { WebSocketServer } from "../server/transport/server.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TURNS = 20;
const OLD_REPLAY = 100;

const SHORT = "The answer is forty two, and that is all.";
const LONG = `${Array.from({ length: 7 }, (_, k) => `Part ${k + 1} of a long answer, spoken slowly so that it takes a good while to say.`).join(" ").slice(0, 499)}.`;

interface Frame {
  text: string;
  bytes: number;
}

/** A server with the voice machine on scripted engines, and one client recording every frame. */
async function start(answer: string) {
  const llm = new ScriptedLlmEngine({ answer });
  const tts = new ScriptedTtsEngine({ msPerChar: 60, chunkMs: 100 });
  const memory = new InMemoryStore();
  const pipeline = createBridge({ engines: { stt: new ScriptedSttEngine({ utterances: ["hello"] }), llm, tts, memory, tools: new ToolRegistry({ tools: [] }) } });
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: silentLogger, pipeline });
  await server.start();
  const url = `ws://127.0.0.1:${server.port}`;
  const frames: Frame[] = [];
  const ws = await open(url, frames);
  return { server, url, frames, ws, close: async () => (ws.close(), await server.stop()) };
}

function open(url: string, frames: Frame[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on("message", (d: Buffer, binary) => {
      if (!binary) frames.push({ text: d.toString(), bytes: d.length });
    });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** Ask `n` typed questions, one after another; resolves once the last is over. */
async function turns(s: Awaited<ReturnType<typeof start>>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const from = s.frames.length;
    s.ws.send(JSON.stringify({ type: "text_input", data: { text: `question ${i + 1}` } }));
    for (let wait = 0; !s.frames.slice(from).some((f) => f.text.startsWith('{"type":"latency_trace"')); wait++) {
      if (wait > 6000) throw new Error("turn did not end within 60 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 20)); // the closing state_change
  }
}

/** The welcome a new client gets now: connection_status and replay frames. */
async function welcome(url: string): Promise<{ status: Frame; replay: Frame }> {
  const frames: Frame[] = [];
  const ws = await open(url, frames);
  for (let wait = 0; frames.length < 2; wait++) {
    if (wait > 500) throw new Error("no welcome within 5 s");
    await new Promise((r) => setTimeout(r, 10));
  }
  ws.close();
  return { status: frames[0]!, replay: frames[1]! };
}

const logged = (frames: Frame[]) => frames.filter((f) => f.text.includes('"seq":'));
const sum = (fs: Frame[]) => fs.reduce((n, f) => n + f.bytes, 0);
const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;

async function perTurn(label: string, answer: string): Promise<void> {
  const s = await start(answer);
  await turns(s, 1);
  const log = logged(s.frames);
  const w = await welcome(s.url);
  const r = JSON.parse(w.replay.text) as { data: { events: unknown[] } };
  const progress = log.filter((f) => /^\{"type":"(tts|llm|stt)_progress"/.test(f.text)).length;
  console.log(
    `${label}: log ${log.length} events / ${kb(sum(log))} per turn (${progress} progress events); ` +
      `conversation ${r.data.events.length} events / ${kb(w.replay.bytes)} per turn (the replay frame of one finished turn)`,
  );
  await s.close();
}

/** Spawn one server child, connect CLIENTS at once from a peers child, return the time until every client had its replay. */
async function fanout(kind: "coda" | "raw", file: string): Promise<{ ms: number; bytes: number }> {
  const server = spawn(process.execPath, ["--import", "tsx", "bench/welcome-server.ts", kind, file], { cwd: ROOT });
  const port = Number((await lines(server)()).split(" ")[1]);
  const peers = spawn(process.execPath, ["bench/welcome-peers.mjs", `ws://127.0.0.1:${port}`, String(CLIENTS)], { cwd: ROOT });
  const line = await Promise.race([lines(peers)(), new Promise<string>((r) => setTimeout(() => r("timeout"), 120_000))]);
  peers.kill("SIGKILL");
  server.kill("SIGKILL");
  await Promise.all([exited(peers), exited(server)]);
  if (line === "timeout") throw new Error(`${kind}: clients did not all get their welcome within 120 s`);
  return JSON.parse(line) as { ms: number; bytes: number };
}

async function main() {
  console.log(`replay and resume; ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}`);
  await perTurn(`short answer (${SHORT.length} chars, ~${((SHORT.length * 60) / 1000).toFixed(1)} s of speech)`, SHORT);
  await perTurn(`30 s answer (${LONG.length} chars, ${((LONG.length * 60) / 1000).toFixed(1)} s of speech)`, LONG);

  const s = await start(LONG);
  await turns(s, TURNS);
  const log = logged(s.frames);
  const w = await welcome(s.url);
  const replay = JSON.parse(w.replay.text) as { data: { events: { type: string }[]; turns: string[] } };
  const old = log.slice(-OLD_REPLAY);
  const turnOf = (f: Frame) => (JSON.parse(f.text) as { data: { turn_id?: string | null } }).data.turn_id ?? null;
  const inOld = new Set(old.map(turnOf));
  const oldWhole = [...inOld].filter((id) => id !== null && log.every((f) => turnOf(f) !== id || old.includes(f))).length;
  console.log(`${TURNS} turns of 30 s answers: log ${log.length} events / ${kb(sum(log))} (${(log.length / TURNS).toFixed(0)} events, ${kb(sum(log) / TURNS)} per turn)`);
  console.log(
    `welcome now: connection_status ${w.status.bytes} B + replay ${kb(w.replay.bytes)} (${replay.data.events.length} events, ${replay.data.turns.length} turns whole) = ${kb(w.status.bytes + w.replay.bytes)}; ` +
      `old replay (last ${OLD_REPLAY} events): ${kb(sum(old))}, turns whole in it: ${oldWhole}`,
  );
  await s.close();

  // The same welcome from both servers: Coda's rebuilt from the same logged events, the bare server's as captured bytes.
  const dir = mkdtempSync(join(tmpdir(), "coda-bench-replay-"));
  try {
    const events = join(dir, "events.json");
    writeFileSync(events, JSON.stringify(log.map((f) => JSON.parse(f.text) as object)));
    const frames = join(dir, "welcome.json");
    writeFileSync(frames, JSON.stringify({ status: w.status.text, replay: w.replay.text }));
    console.log(`welcome fan-out: ${CLIENTS} clients connecting at once, ${ROUNDS} interleaved rounds`);
    const raw: number[] = [];
    const coda: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const a = await fanout("raw", frames);
      const b = await fanout("coda", events);
      raw.push(a.ms);
      coda.push(b.ms);
      console.log(`round ${r + 1}: bare ws ${a.ms.toFixed(0)} ms (${kb(a.bytes / CLIENTS)} per client), coda ${b.ms.toFixed(0)} ms (${kb(b.bytes / CLIENTS)} per client), ratio ${(b.ms / a.ms).toFixed(2)}`);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    console.log(`median: bare ws ${median(raw).toFixed(0)} ms, coda ${median(coda).toFixed(0)} ms, ratio coda/raw ${(median(coda) / median(raw)).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
