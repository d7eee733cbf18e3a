/**
 * `npm run bench:fanout`: broadcast throughput to 100 clients, Coda's
 * WebSocketServer against a minimal broadcaster written directly on `ws`
 * (same payloads, one buffer per message), measured in the same run and
 * interleaved so machine noise hits both alike. Prints deliveries per second
 * for each and the ratio. Coda runs twice per round, with Prometheus metrics
 * off and on (one /metrics scrape during each metrics-on run, as Prometheus
 * would), and the metrics cost is printed as the on/off ratio of throughput
 * and of the server's CPU time per delivery (the robust figure on a shared
 * machine, where wall time mostly measures waiting for a core). Clients run
 * in a child process, so this process's CPU time is the server's alone.
 */
import { cpus } from "node:os";
import { fork, type ChildProcess } from "node:child_process";
import { WebSocketServer as RawServer } from "ws";
import { WebSocketServer } from "../server/index.js";
import { silentLogger } from "../server/app/logger.js";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 100);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Events sent per event-loop turn: 50 is a burst (a replay, a machine transition's events); 1 is a slow token stream. */
const BURST = Number(process.env.BENCH_BURST ?? 50);

const event = (i: number) => ({ type: "llm_progress" as const, data: { turn_id: "t1", delta: `token ${i} `, index: i } });

interface Target {
  url: string;
  send(i: number): void;
  close(): Promise<void>;
}

async function rawTarget(): Promise<Target> {
  const wss = new RawServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once("listening", r));
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    send(i) {
      // What a careful hand-written broadcaster does: stamp, serialise once, send the buffer to all.
      const buf = Buffer.from(JSON.stringify({ ...event(i), timestamp: new Date().toISOString(), seq: i + 1 }));
      for (const c of wss.clients) c.send(buf);
    },
    close: () => new Promise<void>((r) => wss.close(() => r())),
  };
}

function codaTarget(metrics: boolean): () => Promise<Target> {
  return async () => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: silentLogger, maxClients: CLIENTS + 10, metrics });
    await server.start();
    let scraped: Promise<unknown> = Promise.resolve();
    return {
      url: `ws://127.0.0.1:${server.port}`,
      send(i) {
        void server.broadcast(event(i));
        // One scrape mid-run, answered by the same event loop that broadcasts.
        if (metrics && i === MESSAGES >> 1) scraped = fetch(`http://127.0.0.1:${server.port}/metrics`).then((r) => r.text());
      },
      close: async () => {
        await scraped;
        await server.stop();
      },
    };
  };
}

function waitFor(worker: ChildProcess, type: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: { type: string; message?: string }) => {
      if (m.type === type) {
        worker.off("message", onMsg);
        resolve();
      } else if (m.type === "error") reject(new Error(m.message));
    };
    worker.on("message", onMsg);
  });
}

interface Measured {
  /** Deliveries per second. */
  rate: number;
  /** CPU time of this process (the server) per 1000 deliveries, µs. */
  cpuPerK: number;
}

async function measure(make: () => Promise<Target>): Promise<Measured> {
  const target = await make();
  const worker = fork(new URL("./fanout-clients.mjs", import.meta.url), [], { env: { ...process.env, FANOUT_CLIENTS: JSON.stringify({ url: target.url, clients: CLIENTS }) } });
  const post = (m: object) => worker.send(m);
  await waitFor(worker, "ready");
  await new Promise((r) => setTimeout(r, 300)); // let welcome and presence frames drain
  post({ type: "expect", frames: MESSAGES });
  await new Promise((r) => setTimeout(r, 50));
  const done = waitFor(worker, "done");
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i++) {
    target.send(i);
    if (i % BURST === BURST - 1) await new Promise((r) => setImmediate(r));
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  post({ type: "close" });
  await waitFor(worker, "closed");
  worker.kill();
  await target.close();
  const deliveries = MESSAGES * CLIENTS;
  return { rate: deliveries / seconds, cpuPerK: ((used.user + used.system) / deliveries) * 1000 };
}

async function main() {
  console.log(`fan-out: ${CLIENTS} clients x ${MESSAGES} events in bursts of ${BURST}, ${ROUNDS} interleaved rounds; ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}`);
  const raw: Measured[] = [];
  const coda: Measured[] = [];
  const codaMetrics: Measured[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which Coda variant goes first, so neither always runs on a warmer process.
    raw.push(await measure(rawTarget));
    if (r % 2 === 0) {
      coda.push(await measure(codaTarget(false)));
      codaMetrics.push(await measure(codaTarget(true)));
    } else {
      codaMetrics.push(await measure(codaTarget(true)));
      coda.push(await measure(codaTarget(false)));
    }
    const [w, c, m] = [raw[r]!, coda[r]!, codaMetrics[r]!];
    console.log(
      `round ${r + 1}: deliveries/s raw ws ${Math.round(w.rate)}, coda ${Math.round(c.rate)} (metrics off), ${Math.round(m.rate)} (metrics on); server CPU µs per 1000 deliveries raw ${w.cpuPerK.toFixed(0)}, coda ${c.cpuPerK.toFixed(0)}, ${m.cpuPerK.toFixed(0)}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mr = median(raw.map((x) => x.rate));
  const mc = median(coda.map((x) => x.rate));
  const mm = median(codaMetrics.map((x) => x.rate));
  const cr = median(raw.map((x) => x.cpuPerK));
  const cc = median(coda.map((x) => x.cpuPerK));
  const cm = median(codaMetrics.map((x) => x.cpuPerK));
  console.log(`median: raw ws ${Math.round(mr)} deliveries/s, coda ${Math.round(mc)} deliveries/s, ratio coda/raw ${(mc / mr).toFixed(2)} (target >= 0.90)`);
  console.log(`median server CPU per 1000 deliveries: raw ws ${cr.toFixed(0)} µs, coda ${cc.toFixed(0)} µs (ratio ${(cc / cr).toFixed(2)})`);
  // Rounds run back to back on and off, so the per-round ratio cancels most of the machine's drift.
  const cpuRatio = median(codaMetrics.map((m, i) => m.cpuPerK / coda[i]!.cpuPerK));
  console.log(
    `metrics on vs off: throughput ${Math.round(mm)} vs ${Math.round(mc)} deliveries/s (ratio ${(mm / mc).toFixed(3)}); server CPU ${cm.toFixed(0)} vs ${cc.toFixed(0)} µs per 1000 deliveries; median per-round CPU ratio on/off ${cpuRatio.toFixed(3)}: cost ${((cpuRatio - 1) * 100).toFixed(1)}% (target < 3%)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
