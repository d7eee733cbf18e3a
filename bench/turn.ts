/**
 * bench:turn — what the voice machine costs per turn, and what pipelining buys.
 *
 * (a) Orchestration overhead: typed turns through the bridge (machine, stage
 *     actors, wire mapping, latency traces) with engines that answer at once
 *     (no timers), against a baseline that drives the same engines directly,
 *     one stage after another, in the same process. Prints µs per turn for
 *     both, the difference (the orchestration overhead) and events per turn,
 *     in wall time and in CPU time of this process (process.cpuUsage: on a
 *     shared machine wall time also measures waiting for a core).
 * (b) Time to first audio with simulated engines (STT 300 ms, LLM 200 ms to
 *     the first token then 20 ms per token, TTS 150 ms per sentence, a
 *     three-sentence answer), pipelined (each sentence to speech as soon as
 *     it is complete) against sequential (speech after the whole answer),
 *     measured two ways (from stt_start, and from the end of user input),
 *     beside the best the simulation allows with zero overhead.
 * (c) Observability cost: the typed turns of (a) with nothing watching,
 *     with the Prometheus turn metrics fed every wire event, and with
 *     OpenTelemetry tracing on (spans built and exported over OTLP/HTTP to
 *     a collector on loopback in this process, the final flush included),
 *     interleaved. Prints µs per turn and the cost of each per turn.
 *
 * Run: npm run bench:turn [-- --turns 2000 --runs 3] [--only a|b|c]
 */
import type { LlmChunk, LlmEngine } from "../actors/llm/types.js";
import { ScriptedLlmEngine } from "../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../actors/tts/testing/scripted.js";
import { spawn } from "node:child_process";
import { createBridge } from "../server/pipeline/bridge.js";
import type { EventInput } from "../server/protocol/index.js";
import { CodaMetrics } from "../server/telemetry/prometheus.js";
import { startTracing } from "../server/telemetry/tracing.js";
import { createWireTally } from "../server/telemetry/wire-tally.js";
import { instantModel, instantTts, nullMemory } from "./instant-engines.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TURNS = arg("turns", 2000);
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const section = (s: string) => ONLY === undefined || ONLY === s;
const RUNS = arg("runs", 3);
const ANSWER =
  "Sure, here is the first sentence of the answer, short and to the point. The second sentence adds a useful detail that the user may want to hear. And a third sentence wraps the whole answer up nicely for the user.";

// --- (a) orchestration overhead -------------------------------------------------

const instantLlm = instantModel(ANSWER);
/** The same model, with each token arriving in its own event-loop turn (one llm_progress per token). */
const tokenLlm: LlmEngine = {
  name: "per-token",
  model: "per-token",
  async *generate(): AsyncGenerator<LlmChunk> {
    for (const t of ANSWER.match(/\s*\S+/g)!) {
      await new Promise((r) => setImmediate(r));
      yield { kind: "delta", text: t };
    }
    yield { kind: "done", finishReason: "stop" };
  },
  close: async () => {},
};
interface Watcher {
  observe(e: EventInput): void;
  /** Work that belongs to the run (the tracer's final export). */
  finish?(): Promise<void>;
}

async function bridgeTurns(turns: number, llm: LlmEngine = instantLlm, watcher?: () => Watcher): Promise<{ us: number; cpuUs: number; events: number }> {
  const memory = nullMemory();
  const bridge = createBridge({
    engines: { stt: new ScriptedSttEngine(), llm, tts: instantTts, memory, tools: new FakeToolRunner() },
    machine: { maxHistory: 8 },
  });
  let events = 0;
  let done: (() => void) | null = null;
  bridge.subscribe((e: EventInput) => {
    events++;
    if (e.type === "state_change" && e.data.state === "idle") done?.();
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const w = watcher?.();
  if (w) bridge.subscribe((e) => w.observe(e));
  for (let i = 0; i < turns; i++) {
    const idle = new Promise<void>((r) => (done = r));
    bridge.dispatch({ type: "text_input", data: { text: `question number ${i}` } }, { clientId: "bench" });
    await idle;
  }
  await w?.finish?.();
  const us = ((performance.now() - started) * 1000) / turns;
  const used = process.cpuUsage(cpu);
  const cpuUs = (used.user + used.system) / turns;
  await bridge.stop();
  return { us, cpuUs, events: events / turns };
}

/** The same engine work with no machine: recall, generate, synthesise each sentence, store. */
async function directTurns(turns: number, llm: LlmEngine = instantLlm): Promise<{ us: number; cpuUs: number }> {
  const memory = nullMemory();
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < turns; i++) {
    const signal = new AbortController().signal;
    await memory.recall(`question number ${i}`, { limit: 3, signal });
    let text = "";
    for await (const c of llm.generate({ messages: [{ role: "user", content: `question number ${i}` }], tools: [], signal })) {
      if (c.kind === "delta") text += c.text;
    }
    for (const sentence of text.split(/(?<=\.)\s+/)) for await (const _ of instantTts.synthesize(sentence, { signal })) void _;
    await memory.storeTurn({ turnId: `t${i}`, user: `question number ${i}`, assistant: text });
  }
  const used = process.cpuUsage(cpu);
  return { us: ((performance.now() - started) * 1000) / turns, cpuUs: (used.user + used.system) / turns };
}

// --- (b) time to first audio ------------------------------------------------------

interface AudioTimes {
  /** stt_start -> first audio chunk. */
  firstChunk: number;
  /** stt_start -> the last chunk of the answer (the speech stage has finished). */
  speechDone: number;
  /** stt_start -> the final transcript (end of user input). */
  inputEnd: number;
}

async function audioTimes(pipelined: boolean): Promise<AudioTimes> {
  const bridge = createBridge({
    engines: {
      // 4 words: 4 partials 60 ms apart, final 60 ms later = 300 ms.
      stt: new ScriptedSttEngine({ utterances: ["tell me something interesting"], partialDelayMs: SIM.sttMs / 5, finalDelayMs: SIM.sttMs / 5 }),
      llm: new ScriptedLlmEngine({ answer: ANSWER, firstTokenMs: SIM.llmFirstTokenMs, tokenMs: SIM.llmTokenMs }),
      tts: new ScriptedTtsEngine({ firstChunkMs: SIM.ttsSentenceMs, chunkMs: 60_000 }), // one chunk per sentence, 150 ms each
      memory: new InMemoryStore(),
      tools: new FakeToolRunner(),
    },
    // One tts_progress per chunk, as the figure is the first chunk of speech (the default, one per sentence, comes after the sentence's audio).
    ttsProgressMs: 1,
    machine: { pipelined },
  });
  const started = performance.now();
  const times = await new Promise<AudioTimes>((resolve) => {
    const t: Partial<AudioTimes> = {};
    bridge.subscribe((e) => {
      const now = performance.now() - started;
      if (e.type === "stt_result") t.inputEnd = now;
      if (e.type === "tts_progress") t.firstChunk ??= now;
      if (e.type === "tts_result") t.speechDone = now;
      if (e.type === "state_change" && e.data.state === "idle") resolve(t as AudioTimes);
    });
    bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, { clientId: "bench" });
  });
  await bridge.stop();
  return times;
}

// --- (c) observability cost --------------------------------------------------------

/**
 * An OTLP/HTTP receiver on loopback that parses and counts spans, in a child
 * process as a real collector would be, so its own work is not billed to Coda.
 * GET /count answers the number of spans received.
 */
const SINK = `
const { createServer } = require("node:http");
let spans = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (d) => chunks.push(d));
  req.on("end", () => {
    if (req.method === "GET") return res.end(String(spans));
    const body = JSON.parse(Buffer.concat(chunks).toString());
    for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
process.stdin.on("end", () => process.exit(0)).resume();
`;

async function otlpSink(): Promise<{ url: string; spans: () => Promise<number>; close(): void }> {
  const child = spawn(process.execPath, ["-e", SINK], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
  const base = `http://127.0.0.1:${port}`;
  return { url: `${base}/v1/traces`, spans: async () => Number(await (await fetch(`${base}/count`)).text()), close: () => child.stdin.end() };
}

const metricsWatcher = (): Watcher => {
  const metrics = new CodaMetrics({ clients: () => 0, sessions: () => 1, tally: createWireTally() });
  return { observe: (e) => metrics.observe(e) };
};

const tracingWatcher = (url: string) => (): Watcher => {
  const tracing = startTracing({ tracingEndpoint: url });
  return { observe: (e) => tracing.observe(e), finish: () => tracing.close() };
};

/** The simulation's parameters, fixed by issue 3 (the engines in audioTimes are configured to match). */
const SIM = { sttMs: 300, llmFirstTokenMs: 200, llmTokenMs: 20, ttsSentenceMs: 150, sentences: 3 } as const;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 1) => n.toFixed(d);

async function main(): Promise<void> {
  process.stdout.write(`bench:turn (node ${process.version}, ${TURNS} turns x ${RUNS} runs, median)\n\n`);
  if (section("a")) {
    await bridgeTurns(200); // warm up both paths
    await directTurns(200);
    const machine: number[] = [];
    const direct: number[] = [];
    const machineCpu: number[] = [];
    const directCpu: number[] = [];
    let events = 0;
    for (let r = 0; r < RUNS; r++) {
      const m = await bridgeTurns(TURNS);
      machine.push(m.us);
      machineCpu.push(m.cpuUs);
      events = m.events;
      const d = await directTurns(TURNS);
      direct.push(d.us);
      directCpu.push(d.cpuUs);
    }
    const m = median(machine);
    const d = median(direct);
    process.stdout.write("(a) orchestration overhead, instant engines, typed turns\n");
    process.stdout.write(`    engines driven directly      ${fmt(d)} µs/turn\n`);
    process.stdout.write(`    through machine + bridge     ${fmt(m)} µs/turn\n`);
    process.stdout.write(`    overhead                     ${fmt(m - d)} µs/turn (target < 1000)\n`);
    process.stdout.write(`    overhead in CPU time         ${fmt(median(machineCpu) - median(directCpu))} µs CPU/turn (machine ${fmt(median(machineCpu))}, direct ${fmt(median(directCpu))})\n`);
    process.stdout.write(`    wire events per turn         ${fmt(events)}\n`);
    const tm: number[] = [];
    const td: number[] = [];
    const tmCpu: number[] = [];
    const tdCpu: number[] = [];
    let tokenEvents = 0;
    for (let r = 0; r < RUNS; r++) {
      const t = await bridgeTurns(TURNS / 4, tokenLlm);
      tm.push(t.us);
      tmCpu.push(t.cpuUs);
      tokenEvents = t.events;
      const d = await directTurns(TURNS / 4, tokenLlm);
      td.push(d.us);
      tdCpu.push(d.cpuUs);
    }
    const answerTokens = ANSWER.match(/\s*\S+/g)!.length;
    process.stdout.write(`    same, one token per event-loop turn (${answerTokens} tokens):\n`);
    process.stdout.write(`    engines driven directly      ${fmt(median(td))} µs/turn\n`);
    process.stdout.write(`    through machine + bridge     ${fmt(median(tm))} µs/turn\n`);
    process.stdout.write(`    overhead                     ${fmt(median(tm) - median(td))} µs/turn, ${fmt((median(tm) - median(td)) / answerTokens)} µs per token\n`);
    const tokenCpu = median(tmCpu) - median(tdCpu);
    process.stdout.write(`    overhead in CPU time         ${fmt(tokenCpu)} µs CPU/turn, ${fmt(tokenCpu / answerTokens)} µs CPU per token\n`);
    process.stdout.write(`    wire events per turn         ${fmt(tokenEvents)}\n\n`);

  }
  if (section("c")) {
    const sink = await otlpSink();
    const plain: number[] = [];
    const withMetrics: number[] = [];
    const withTracing: number[] = [];
    await bridgeTurns(200, instantLlm, tracingWatcher(sink.url)); // warm the exporter path
    const before = await sink.spans();
    const wall = new Map<number[], number[]>([
      [plain, []],
      [withMetrics, []],
      [withTracing, []],
    ]);
    const variants: [number[], (() => Watcher) | undefined][] = [
      [plain, undefined],
      [withMetrics, metricsWatcher],
      [withTracing, tracingWatcher(sink.url)],
    ];
    for (let r = 0; r < RUNS; r++) {
      // Rotate the order each run so no variant always runs first (or right after another).
      for (let k = 0; k < variants.length; k++) {
        const [into, watcher] = variants[(r + k) % variants.length]!;
        const run = await bridgeTurns(TURNS, instantLlm, watcher);
        into.push(run.cpuUs);
        wall.get(into)!.push(run.us);
      }
    }
    const spansPerTurn = ((await sink.spans()) - before) / (TURNS * RUNS);
    sink.close();
    const p0 = median(plain);
    const pm = median(withMetrics);
    const pt = median(withTracing);
    const w0 = median(wall.get(plain)!);
    const wm = median(wall.get(withMetrics)!);
    const wt = median(wall.get(withTracing)!);
    process.stdout.write("(c) observability cost, the typed turns of (a), rotated order; CPU time of this process per turn\n");
    process.stdout.write("    (CPU time, not wall time: on a shared machine wall time mostly measures waiting for a core)\n");
    process.stdout.write(`    nothing watching             ${fmt(p0)} µs CPU/turn (wall ${fmt(w0)} µs)\n`);
    process.stdout.write(`    Prometheus turn metrics      ${fmt(pm)} µs CPU/turn: +${fmt(pm - p0)} µs/turn (${fmt(((pm - p0) / p0) * 100)}%) (wall ${fmt(wm)} µs)\n`);
    process.stdout.write(
      `    OpenTelemetry tracing        ${fmt(pt)} µs CPU/turn: +${fmt(pt - p0)} µs/turn (${fmt(((pt - p0) / p0) * 100)}%) (wall ${fmt(wt)} µs), ${fmt(spansPerTurn)} spans per turn built and exported over OTLP/HTTP\n`,
    );
    process.stdout.write(`    per-run CPU µs/turn: plain ${plain.map((x) => fmt(x, 0)).join(" ")}; metrics ${withMetrics.map((x) => fmt(x, 0)).join(" ")}; tracing ${withTracing.map((x) => fmt(x, 0)).join(" ")}\n\n`);

  }
  if (section("b")) {
    const pipe: AudioTimes[] = [];
    const after: AudioTimes[] = [];
    for (let r = 0; r < RUNS; r++) {
      pipe.push(await audioTimes(true));
      after.push(await audioTimes(false));
    }
    // One stage after another: recognise, then generate the whole answer, then synthesise all of it;
    // audio can start when the speech stage is done. The machine with pipelined:false gives that
    // point (tts_result), and also the first chunk of per-sentence speech started after the answer.
    const stt = median(pipe.map((t) => t.inputEnd));
    const p = median(pipe.map((t) => t.firstChunk));
    const seq = median(after.map((t) => t.speechDone));
    const half = median(after.map((t) => t.firstChunk));
    // What the simulation allows at best (no orchestration cost at all), from its fixed parameters:
    // the first sentence is complete when the token after its full stop arrives (a "." is only a
    // sentence end once whitespace follows it: "3.14", "e.g."), and its speech takes one TTS call.
    const tokens = ANSWER.match(/\s*\S+/g)!;
    const firstSentenceTokens = tokens.findIndex((t) => /[.!?]$/.test(t)) + 1;
    const tokenAt = (k: number) => SIM.llmFirstTokenMs + (k - 1) * SIM.llmTokenMs; // k-th token, 1-based, after llm start
    const idealPipe = SIM.sttMs + tokenAt(firstSentenceTokens + 1) + SIM.ttsSentenceMs;
    const idealSeq = SIM.sttMs + tokenAt(tokens.length) + SIM.sentences * SIM.ttsSentenceMs;
    const row = (name: string, fromStart: number, fromInput: number) =>
      process.stdout.write(`    ${name.padEnd(38)}${fmt(fromStart, 0).padStart(8)} ms     ${fmt(fromInput, 0).padStart(8)} ms\n`);
    process.stdout.write(
      `(b) time to first audio (STT ${SIM.sttMs} ms, LLM ${SIM.llmFirstTokenMs} ms + ${SIM.llmTokenMs} ms/token, TTS ${SIM.ttsSentenceMs} ms/sentence, ${SIM.sentences} sentences, ${tokens.length} tokens)\n`,
    );
    process.stdout.write("    Two definitions, both ending at the first chunk of speech (the first tts_progress):\n");
    process.stdout.write("    - from stt_start: from the stt_start command; includes the 300 ms of listening, the same in every row.\n");
    process.stdout.write("    - from end of input: from the final transcript (stt_result), i.e. from when the user stopped speaking.\n");
    process.stdout.write("    'One stage after another' = audio once the speech stage has synthesised the whole answer (tts_result with pipelined: false).\n");
    process.stdout.write("                                          from stt_start   from end of input\n");
    row("one stage after another", seq, seq - stt);
    row("speech per sentence after whole answer", half, half - stt);
    row("pipelined", p, p - stt);
    row("ideal pipelined (zero overhead)", idealPipe, idealPipe - SIM.sttMs);
    row("ideal one stage after another", idealSeq, idealSeq - SIM.sttMs);
    const target = (r: number) => (r <= 0.5 ? "met" : "not met");
    const rStart = p / seq;
    const rInput = (p - stt) / (seq - stt);
    process.stdout.write(`    ratio pipelined / one stage after another, from stt_start:     ${fmt(rStart, 2)} (issue 3 target <= 0.50: ${target(rStart)})\n`);
    process.stdout.write(`    ratio pipelined / one stage after another, from end of input:  ${fmt(rInput, 2)} (issue 3 target <= 0.50: ${target(rInput)})\n`);
    process.stdout.write(
      `    best possible with sentence-level pipelining under these parameters: ${fmt(idealPipe / idealSeq, 2)} from stt_start, ${fmt((idealPipe - SIM.sttMs) / (idealSeq - SIM.sttMs), 2)} from end of input\n`,
    );
  }
}

await main();
