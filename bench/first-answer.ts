/**
 * First answer against the tenth (npm run bench:first-answer): does the
 * first question after start-up wait for engines to warm up?
 *
 * Starts the server as a user does (`npm start` in each tree: this one,
 * and the tree named by BENCH_BEFORE, e.g. an untouched checkout, for the
 * figures before a change), with the default engines (Flite, Silero VAD,
 * PocketSphinx when installed, the built-in responder; memory off), waits
 * for the listening line, connects one client and asks ten questions by
 * voice (push-to-talk: the question spoken by Flite streamed as microphone
 * PCM, then stt_stop), one after the other. Prints, per tree and round, the
 * server's own `input_to_first_audio_ms` (end of input to first audio,
 * docs/latency.md) of every turn and the first over the tenth; then, over
 * BENCH_ROUNDS (default 3) rounds, each on a fresh server, the medians of
 * the first turns, of the tenth turns and of all warm turns (2nd to 10th:
 * steadier than the tenth alone on a shared machine), and the ratios.
 * Nothing is asserted.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { speak, silence } from "../test/helpers/speech.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const trees = [ROOT, ...(process.env.BENCH_BEFORE ? [resolve(process.env.BENCH_BEFORE)] : [])];
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const TURNS = 10;
const ARGS = ["--port", "0", "--host", "127.0.0.1", "--memory-db", "off", "--llm-engine", "builtin"];

interface Message {
  type: string;
  data: Record<string, unknown>;
}

async function startServer(tree: string) {
  const child = spawn("npm", ["start", "--silent", "--", ...ARGS], { cwd: tree, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const url = await new Promise<string>((ok, fail) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /(ws:\/\/\S+:\d+)/.exec(out);
      if (m) ok(m[1]!);
    });
    child.once("exit", (code) => fail(new Error(`npm start exited (${code}) in ${tree}`)));
  });
  return { url, stop: () => new Promise<void>((done) => (child.once("exit", () => done()), process.kill(-child.pid!, "SIGINT"))) };
}

async function voiceTurns(url: string, question: Uint8Array): Promise<number[]> {
  const ws = new WebSocket(url);
  const messages: Message[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (raw, binary) => {
    if (binary) return;
    messages.push(JSON.parse(raw.toString()) as Message);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((ok, fail) => ws.once("open", ok).once("error", fail));
  const next = async (type: string, from: number, timeoutMs = 60_000): Promise<Message> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.slice(from).find((m) => m.type === type);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((ok) => (waiters.push(ok), setTimeout(ok, 500)));
    }
  };
  await next("replay", 0);
  const figures: number[] = [];
  for (let turn = 0; turn < TURNS; turn++) {
    const from = messages.length;
    ws.send(JSON.stringify({ type: "stt_start", data: { mode: "push_to_talk" } }));
    await next("stt_start", from);
    for (let at = 0; at < question.byteLength; at += 3200) ws.send(question.subarray(at, at + 3200));
    ws.send(JSON.stringify({ type: "stt_stop", data: {} }));
    const trace = await next("latency_trace", from);
    figures.push(trace.data.input_to_first_audio_ms as number);
    // The answer is over (heard) before the next question.
    for (;;) {
      const state = messages.slice(from).filter((m) => m.type === "state_change").at(-1);
      if (state?.data.state === "idle") break;
      await next("state_change", messages.length);
    }
  }
  ws.close();
  return figures;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const question = new Uint8Array([...silence(300), ...(await speak("What time is it?")), ...silence(300)]);
const summary: { tree: string; first: number; tenth: number; warm: number }[] = [];
for (const tree of trees) {
  const firsts: number[] = [];
  const tenths: number[] = [];
  const warm: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const server = await startServer(tree);
    try {
      const figures = await voiceTurns(server.url, question);
      firsts.push(figures[0]!);
      tenths.push(figures[TURNS - 1]!);
      warm.push(...figures.slice(1));
      console.log(JSON.stringify({ tree, round, input_to_first_audio_ms: figures, first_over_tenth: Math.round((figures[0]! / figures[TURNS - 1]!) * 100) / 100 }));
    } finally {
      await server.stop();
    }
  }
  summary.push({ tree, first: median(firsts), tenth: median(tenths), warm: median(warm) });
}
console.error("| tree | first answer (ms, median) | tenth answer (ms, median) | turns 2-10 (ms, median) | first / tenth | first / turns 2-10 |");
console.error("|---|---|---|---|---|---|");
const r = (n: number) => Math.round(n);
for (const s of summary) console.error(`| ${s.tree} | ${r(s.first)} | ${r(s.tenth)} | ${r(s.warm)} | ${(s.first / s.tenth).toFixed(2)} | ${(s.first / s.warm).toFixed(2)} |`);
