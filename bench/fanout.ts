/**
 * `npm run bench:fanout`: broadcast throughput to 100 clients, Coda's
 * WebSocketServer against a minimal broadcaster written directly on `ws`
 * (same payloads, one buffer per message), measured in the same run and
 * interleaved so machine noise hits both alike. Prints deliveries per second
 * for each and the ratio. Coda runs twice per round, with Prometheus metrics
 * off and on (one /metrics scrape during each metrics-on run, as Prometheus
 * would), and the metrics cost is printed as the on/off ratio.
 * Clients run in a worker thread.
 */
import { cpus } from "node:os";
import { Worker } from "node:worker_threads";
import { WebSocketServer as RawServer } from "ws";
import { WebSocketServer } from "../server/index.js";
import { silentLogger } from "../server/logger.js";

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

function waitFor(worker: Worker, type: string): Promise<void> {
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

async function measure(make: () => Promise<Target>): Promise<number> {
  const target = await make();
  const worker = new Worker(new URL("./fanout-clients.mjs", import.meta.url), { workerData: { url: target.url, clients: CLIENTS } });
  await waitFor(worker, "ready");
  await new Promise((r) => setTimeout(r, 300)); // let welcome and presence frames drain
  worker.postMessage({ type: "expect", frames: MESSAGES });
  await new Promise((r) => setTimeout(r, 50));
  const done = waitFor(worker, "done");
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    target.send(i);
    if (i % BURST === BURST - 1) await new Promise((r) => setImmediate(r));
  }
  await done;
  const seconds = (performance.now() - start) / 1000;
  worker.postMessage({ type: "close" });
  await waitFor(worker, "closed");
  await worker.terminate();
  await target.close();
  return (MESSAGES * CLIENTS) / seconds;
}

async function main() {
  console.log(`fan-out: ${CLIENTS} clients x ${MESSAGES} events in bursts of ${BURST}, ${ROUNDS} interleaved rounds; ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}`);
  const raw: number[] = [];
  const coda: number[] = [];
  const codaMetrics: number[] = [];
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
    console.log(
      `round ${r + 1}: raw ws ${Math.round(raw[r]!)} deliveries/s, coda ${Math.round(coda[r]!)} (metrics off), ${Math.round(codaMetrics[r]!)} (metrics on); ratio coda/raw ${(coda[r]! / raw[r]!).toFixed(2)}, metrics on/off ${(codaMetrics[r]! / coda[r]!).toFixed(3)}`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mr = median(raw);
  const mc = median(coda);
  const mm = median(codaMetrics);
  const pairRatios = codaMetrics.map((m, i) => m / coda[i]!);
  console.log(`median: raw ws ${Math.round(mr)} deliveries/s, coda ${Math.round(mc)} deliveries/s, ratio coda/raw ${(mc / mr).toFixed(2)} (target >= 0.90)`);
  console.log(
    `metrics: coda with Prometheus metrics ${Math.round(mm)} deliveries/s, ratio on/off ${(mm / mc).toFixed(3)} (median of per-round ratios ${median(pairRatios).toFixed(3)}); cost ${((1 - mm / mc) * 100).toFixed(1)}% (target < 3%)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
