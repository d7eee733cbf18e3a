/**
 * `npm run bench:sessions` (issue 22): what a session costs.
 *
 * (a) Memory per idle session: a server that gives every session its own
 *     voice machine (createBridge over shared instant engines, as
 *     createCodaServer does) is joined once in each of N sessions (a client
 *     connects, gets its welcome and replay, and leaves), and the heap
 *     (heapUsed + external, after GC) is compared with the server's before
 *     any join, at N = 100 and 1,000, each in a fresh child process. Beside
 *     it, the same with sessions that are only broadcast channels (no
 *     machine), which splits the figure into channel and machine. Then the
 *     idle expiry is fired (on a clock the bench holds) and the time to
 *     close them all is measured, and the heap once they are gone.
 * (b) The cost of a join: sequential joins (connect, welcome, replay,
 *     leave) that make a new session, interleaved with joins of a session
 *     that is already open (the baseline: the same handshake and replay,
 *     nothing made). The difference is what making a session costs.
 * (c) Concurrent turns: 100 sessions, one client each, each running typed
 *     turns one after another, all at once, against one session alone
 *     running the same turns, with the instant engines (bench/instant-engines.ts):
 *     the server's CPU time per turn (the orchestration: machine, stage
 *     actors, wire, fan-out; clients run in a child process) and the ratio
 *     (goal <= 1.3), plus turns per second and each turn's time as a client
 *     sees it (send to idle).
 * (d) Fan-out per event against bare `ws`: 100 clients spread over S
 *     sessions (S = 1, 10, 100), events broadcast to each session in turn,
 *     against a broadcaster written on `ws` that groups its clients by the
 *     same `?session=` (one buffer per event); server CPU per delivery and
 *     deliveries per second, interleaved rounds.
 *
 * Run: npm run bench:sessions [-- --only a|b|c|d] [--rounds 3]
 */
import { spawn, fork, type ChildProcess, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { WebSocket, WebSocketServer as RawServer } from "ws";
import { ScriptedSttEngine } from "../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../actors/tools/testing/fake-runner.js";
import { silentLogger } from "../server/app/logger.js";
import { createBridge } from "../server/pipeline/bridge.js";
import type { Clock } from "../server/pipeline/playout.js";
import { WebSocketServer } from "../server/transport/server.js";
import { exited, lines } from "./child.js";
import { instantModel, instantTts, nullMemory } from "./instant-engines.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const section = (s: string) => ONLY === undefined || ONLY === s;
const ROUNDS = arg("rounds", 3);
const ANSWER = "Sure, here is the first sentence of the answer. The second sentence adds a detail. And a third one wraps it up.";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

/** Timers the bench fires by hand: the idle expiry of sessions, all at once. */
class HandClock implements Clock {
  readonly #timers = new Map<number, () => void>();
  #next = 1;
  now = () => performance.now();
  setTimeout(fn: () => void, _ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, fn);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  fireAll(): number {
    const due = [...this.#timers.values()];
    this.#timers.clear();
    for (const fn of due) fn();
    return due.length;
  }
}

/** The engines every session shares; a bridge per session, as createCodaServer makes them. */
function sessionFactory() {
  const engines = { stt: new ScriptedSttEngine(), llm: instantModel(ANSWER), tts: instantTts, memory: nullMemory(), tools: new FakeToolRunner() };
  return (_id: string) => createBridge({ engines, closeEngines: false, machine: { maxHistory: 8 } });
}

async function startServer(options: { machines: boolean; maxSessions: number; clock?: Clock }): Promise<WebSocketServer> {
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    maxSessions: options.maxSessions,
    maxClients: 1000,
    ratePerSecond: 1e6,
    rateBurst: 1e6,
    ...(options.clock ? { sessionClock: options.clock } : {}),
    ...(options.machines ? { sessions: sessionFactory() } : {}),
  });
  await server.start();
  return server;
}

/** One join: connect to `session`, take the welcome and the replay, leave; resolves once closed. */
function join(port: number, session: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/?session=${session}`, ["coda.v1"], { perMessageDeflate: false });
    ws.on("message", (data) => {
      if (String(data).startsWith('{"type":"replay"')) ws.close(1000);
    });
    ws.on("close", () => resolve());
    ws.on("error", reject);
  });
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 2));
}

function heap(): number {
  for (let i = 0; i < 3; i++) globalThis.gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

// --- (a) memory per idle session, in a child ---------------------------------------

interface MemoryFigures {
  n: number;
  machines: boolean;
  perSessionBytes: number;
  joinMs: number;
  closeMsPerSession: number;
  leftAfterCloseBytes: number;
}

/** Child: join N sessions once each, measure the heap, fire the idle expiry, measure the closing. */
async function memoryChild(n: number, machines: boolean): Promise<void> {
  const clock = new HandClock();
  const server = await startServer({ machines, maxSessions: n + 1, clock });
  // Warm up the code paths (a session made and closed) so their compiled code is not counted as sessions.
  for (let i = 0; i < 20; i++) await join(server.port, `warm${i}`);
  await until(() => server.clientCount === 0);
  clock.fireAll();
  await until(() => server.sessions().length === 1);
  const before = heap();
  const started = performance.now();
  const CONCURRENT = 16;
  for (let i = 0; i < n; i += CONCURRENT) {
    await Promise.all(Array.from({ length: Math.min(CONCURRENT, n - i) }, (_, k) => join(server.port, `m${i + k}`)));
  }
  const joinMs = performance.now() - started;
  await until(() => server.clientCount === 0);
  await new Promise((r) => setTimeout(r, 200));
  const idle = heap();
  if (server.sessions().length !== n + 1) throw new Error(`expected ${n + 1} sessions, found ${server.sessions().length}`);
  const closing = performance.now();
  clock.fireAll();
  await until(() => server.sessions().length === 1);
  const closeMs = performance.now() - closing;
  await new Promise((r) => setTimeout(r, 200));
  const after = heap();
  await server.stop();
  const figures: MemoryFigures = { n, machines, perSessionBytes: (idle - before) / n, joinMs: joinMs / n, closeMsPerSession: closeMs / n, leftAfterCloseBytes: after - before };
  console.log(JSON.stringify(figures));
}

async function memoryIn(n: number, machines: boolean): Promise<MemoryFigures> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", new URL(import.meta.url).pathname, "--child-memory", String(n), machines ? "machines" : "channels"], {
    stdio: ["ignore", "pipe", "pipe"],
  }) as unknown as ChildProcessWithoutNullStreams;
  const next = lines(child);
  const line = await next();
  await exited(child);
  return JSON.parse(line) as MemoryFigures;
}

async function memorySection(): Promise<void> {
  console.log("\n(a) memory per idle session (joined once, then left idle); heapUsed + external after GC, each run in a fresh process");
  for (const n of [100, 1000]) {
    for (const machines of [true, false]) {
      const f = await memoryIn(n, machines);
      console.log(
        `  ${String(n).padStart(4)} sessions, ${machines ? "each with its machine   " : "broadcast channels only"}: ${kb(f.perSessionBytes)} KB per session (goal <= 150 KB); join ${f.joinMs.toFixed(2)} ms each (16 at a time); idle close ${f.closeMsPerSession.toFixed(3)} ms each; heap left after closing all: ${kb(f.leftAfterCloseBytes)} KB`,
      );
    }
  }
}

// --- (b) the cost of a join ----------------------------------------------------------

async function joinSection(): Promise<void> {
  const JOINS = arg("joins", 300);
  console.log(`\n(b) join cost: ${JOINS} sequential joins (connect, welcome, replay, leave) making a new session, interleaved with joins of an open one`);
  const clock = new HandClock();
  const server = await startServer({ machines: true, maxSessions: JOINS + 30, clock });
  await join(server.port, "open");
  for (let i = 0; i < 20; i++) await join(server.port, `warm${i}`);
  const fresh: number[] = [];
  const existing: number[] = [];
  const cpuFresh: number[] = [];
  const cpuExisting: number[] = [];
  for (let i = 0; i < JOINS; i++) {
    for (const [session, wall, cpu] of i % 2 ? ([[`j${i}`, fresh, cpuFresh], ["open", existing, cpuExisting]] as const) : ([["open", existing, cpuExisting], [`j${i}`, fresh, cpuFresh]] as const)) {
      const c = process.cpuUsage();
      const t = performance.now();
      await join(server.port, session);
      wall.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
    }
  }
  await until(() => server.clientCount === 0);
  const n = server.sessions().length - 1;
  const c = process.cpuUsage();
  const t = performance.now();
  clock.fireAll();
  await until(() => server.sessions().length === 1);
  const closeMs = performance.now() - t;
  const closeCpu = process.cpuUsage(c);
  await server.stop();
  console.log(`  join of an open session: median ${median(existing).toFixed(2)} ms wall, ${median(cpuExisting).toFixed(2)} ms CPU (client and server, one process)`);
  console.log(`  join making a session:   median ${median(fresh).toFixed(2)} ms wall, ${median(cpuFresh).toFixed(2)} ms CPU; making it costs ${(median(fresh) - median(existing)).toFixed(2)} ms wall, ${(median(cpuFresh) - median(cpuExisting)).toFixed(2)} ms CPU (ratio ${(median(fresh) / median(existing)).toFixed(2)})`);
  console.log(`  closing ${n} idle sessions at once: ${(closeMs / n).toFixed(3)} ms wall, ${((closeCpu.user + closeCpu.system) / 1000 / n).toFixed(3)} ms CPU each`);
}

// --- clients in a child process (c, d) ---------------------------------------------------

interface Clients {
  /** Resolves with the child's next message of type `answer` (rejects on its error). */
  wait(answer: string): Promise<{ latencies?: number[] }>;
  /** Send `m` and wait for `answer`. */
  ask(m: object, answer: string): Promise<{ latencies?: number[] }>;
  close(): Promise<void>;
}

async function startClients(url: string, clients: number, sessions: number): Promise<Clients> {
  const child: ChildProcess = fork(new URL("./sessions-clients.mjs", import.meta.url), [], { env: { ...process.env, SESSIONS_CLIENTS: JSON.stringify({ url, clients, sessions }) } });
  const wait = (type: string) =>
    new Promise<{ latencies?: number[] }>((resolve, reject) => {
      const onMsg = (m: { type: string; message?: string; latencies?: number[] }) => {
        if (m.type === type) {
          child.off("message", onMsg);
          resolve(m);
        } else if (m.type === "error") {
          child.off("message", onMsg);
          reject(new Error(m.message));
        }
      };
      child.on("message", onMsg);
    });
  await wait("ready");
  await new Promise((r) => setTimeout(r, 300)); // welcomes, replays and presence drain
  const handle: Clients = {
    wait,
    ask(m, answer) {
      const answered = wait(answer);
      child.send(m);
      return answered;
    },
    async close() {
      await handle.ask({ type: "close" }, "closed");
      child.kill();
    },
  };
  return handle;
}

// --- (c) concurrent turns ------------------------------------------------------------------

interface TurnRun {
  cpuUsPerTurn: number;
  turnsPerSecond: number;
  latencies: number[];
}

async function turnRun(sessions: number, turnsEach: number): Promise<TurnRun> {
  const server = await startServer({ machines: true, maxSessions: sessions + 1 });
  const clients = await startClients(server.url, sessions, sessions);
  // Warm-up: 300 turns in all (V8 compiles the path), spread over the sessions.
  await clients.ask({ type: "turns", turns: Math.ceil(300 / sessions) }, "done");
  const cpu = process.cpuUsage();
  const t = performance.now();
  const { latencies = [] } = await clients.ask({ type: "turns", turns: turnsEach }, "done");
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  await clients.close();
  await server.stop();
  const turns = sessions * turnsEach;
  if (latencies.length !== turns) throw new Error(`expected ${turns} turns, got ${latencies.length}`);
  return { cpuUsPerTurn: (used.user + used.system) / turns, turnsPerSecond: turns / seconds, latencies };
}

async function turnsSection(): Promise<void> {
  const SESSIONS = arg("sessions", 100);
  const EACH = arg("turns-each", 10);
  const ALONE = arg("turns-alone", SESSIONS * EACH);
  console.log(`\n(c) concurrent turns: ${SESSIONS} sessions x ${EACH} typed turns at once vs one session alone running ${ALONE}; instant engines; ${ROUNDS} interleaved rounds; server CPU per turn (clients in a child process)`);
  const alone: TurnRun[] = [];
  const many: TurnRun[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const pair = r % 2 ? [async () => many.push(await turnRun(SESSIONS, EACH)), async () => alone.push(await turnRun(1, ALONE))] : [async () => alone.push(await turnRun(1, ALONE)), async () => many.push(await turnRun(SESSIONS, EACH))];
    for (const run of pair) await run();
    const [a, m] = [alone[r]!, many[r]!];
    console.log(
      `  round ${r + 1}: alone ${a.cpuUsPerTurn.toFixed(0)} µs CPU/turn, ${a.turnsPerSecond.toFixed(0)} turns/s, turn p50 ${median(a.latencies).toFixed(1)} ms; ${SESSIONS} sessions ${m.cpuUsPerTurn.toFixed(0)} µs CPU/turn, ${m.turnsPerSecond.toFixed(0)} turns/s, turn p50 ${median(m.latencies).toFixed(1)} ms p95 ${pct(m.latencies, 0.95).toFixed(1)} ms; ratio ${(m.cpuUsPerTurn / a.cpuUsPerTurn).toFixed(2)}`,
    );
  }
  const ratio = median(many.map((m, i) => m.cpuUsPerTurn / alone[i]!.cpuUsPerTurn));
  console.log(
    `  median: alone ${median(alone.map((a) => a.cpuUsPerTurn)).toFixed(0)} µs, ${SESSIONS} sessions ${median(many.map((m) => m.cpuUsPerTurn)).toFixed(0)} µs CPU per turn; per-round ratio median ${ratio.toFixed(2)} (goal <= 1.3); throughput ${median(alone.map((a) => a.turnsPerSecond)).toFixed(0)} vs ${median(many.map((m) => m.turnsPerSecond)).toFixed(0)} turns/s`,
  );
}

// --- (d) fan-out per event against bare ws -----------------------------------------------

interface FanTarget {
  url: string;
  send(i: number, session: string): void;
  close(): Promise<void>;
}

const fanEvent = (i: number) => ({ type: "llm_progress" as const, data: { turn_id: "t1", delta: `token ${i} `, index: i } });

async function rawFan(): Promise<FanTarget> {
  const wss = new RawServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, handleProtocols: () => "coda.v1" });
  const groups = new Map<string, Set<WebSocket>>();
  const seqs = new Map<string, number>();
  wss.on("connection", (ws, req) => {
    const session = new URL(req.url ?? "/", "http://x").searchParams.get("session") ?? "default";
    let group = groups.get(session);
    if (!group) groups.set(session, (group = new Set()));
    group.add(ws);
    ws.on("close", () => group.delete(ws));
  });
  await new Promise((r) => wss.once("listening", r));
  return {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    send(i, session) {
      // A careful hand-written broadcaster with rooms: its own seq per room, serialised once, one buffer to the room.
      const seq = (seqs.get(session) ?? 0) + 1;
      seqs.set(session, seq);
      const buf = Buffer.from(JSON.stringify({ ...fanEvent(i), timestamp: new Date().toISOString(), seq }));
      for (const c of groups.get(session) ?? []) c.send(buf, { binary: false });
    },
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

async function codaFan(sessions: number): Promise<FanTarget> {
  const server = await startServer({ machines: false, maxSessions: sessions + 1 });
  return {
    url: server.url,
    send(i, session) {
      void server.broadcast(fanEvent(i), { session });
    },
    close: () => server.stop(),
  };
}

async function fanRun(make: () => Promise<FanTarget>, sessions: number, clients: number, messages: number): Promise<{ rate: number; cpuNsPerDelivery: number }> {
  const target = await make();
  const c = await startClients(target.url, clients, sessions);
  const perClient = messages / sessions;
  await c.ask({ type: "expect", frames: perClient }, "expecting");
  const done = c.wait("done");
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < messages; i++) {
    target.send(i, `s${i % sessions}`);
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  await done;
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  await c.close();
  await target.close();
  const deliveries = perClient * clients;
  return { rate: deliveries / seconds, cpuNsPerDelivery: ((used.user + used.system) * 1000) / deliveries };
}

async function fanoutSection(): Promise<void> {
  const CLIENTS = 100;
  const MESSAGES = arg("messages", 4000);
  console.log(`\n(d) fan-out: ${CLIENTS} clients over S sessions, ${MESSAGES} events broadcast to the sessions in turn, vs rooms on bare ws; ${ROUNDS} interleaved rounds; server CPU per delivery`);
  for (const sessions of [1, 10, 100]) {
    const raw: { rate: number; cpuNsPerDelivery: number }[] = [];
    const coda: { rate: number; cpuNsPerDelivery: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2) {
        coda.push(await fanRun(() => codaFan(sessions), sessions, CLIENTS, MESSAGES));
        raw.push(await fanRun(rawFan, sessions, CLIENTS, MESSAGES));
      } else {
        raw.push(await fanRun(rawFan, sessions, CLIENTS, MESSAGES));
        coda.push(await fanRun(() => codaFan(sessions), sessions, CLIENTS, MESSAGES));
      }
    }
    const cpuRatio = median(coda.map((c, i) => c.cpuNsPerDelivery / raw[i]!.cpuNsPerDelivery));
    console.log(
      `  S = ${String(sessions).padStart(3)} (${CLIENTS / sessions} clients per event): raw ws ${Math.round(median(raw.map((x) => x.rate)))} deliveries/s, ${median(raw.map((x) => x.cpuNsPerDelivery)).toFixed(0)} ns CPU each; coda ${Math.round(median(coda.map((x) => x.rate)))} deliveries/s, ${median(coda.map((x) => x.cpuNsPerDelivery)).toFixed(0)} ns CPU each; CPU ratio coda/raw ${cpuRatio.toFixed(2)}, throughput ratio ${(median(coda.map((x) => x.rate)) / median(raw.map((x) => x.rate))).toFixed(2)}`,
    );
  }
}

async function main(): Promise<void> {
  const child = process.argv.indexOf("--child-memory");
  if (child > 0) return memoryChild(Number(process.argv[child + 1]), process.argv[child + 2] === "machines");
  console.log(`bench:sessions on ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  if (section("a")) await memorySection();
  if (section("b")) await joinSection();
  if (section("c")) await turnsSection();
  if (section("d")) await fanoutSection();
  console.log(`\nload average at end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
