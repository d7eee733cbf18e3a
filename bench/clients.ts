/**
 * `npm run bench:clients`: server memory per idle client at 1,000 and 5,000
 * clients, Coda's WebSocketServer beside a bare `ws` server measured in the
 * same run. Each server runs alone in a child process (bench/clients-server.ts)
 * and its clients in another (bench/clients-peers.mjs), so only the server's
 * memory is counted. Figures are after a forced GC; per-client = (with N
 * clients - with none) / N, where "none" is read after a warm-up batch of
 * clients has come and gone (same for both servers). Target: Coda within
 * 1.5x of bare ws (RSS).
 * Env: BENCH_COUNTS (default 1000,5000), BENCH_ROUNDS (default 2), BENCH_WARMUP (default 200).
 */
import { spawn } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { exited, lines } from "./child.js";
import { sleep } from "../test/helpers/wait.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const COUNTS = (process.env.BENCH_COUNTS ?? "1000,5000").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
/** Clients that connect and leave before the baseline is read. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);

interface Mem {
  clients: number;
  rss: number;
  heapUsed: number;
  external: number;
}


async function measure(kind: "coda" | "raw" | "raw-presence", n: number): Promise<{ perClientRss: number; perClientHeap: number; base: Mem; loaded: Mem }> {
  const server = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "bench/clients-server.ts", kind], { cwd: ROOT });
  const next = lines(server);
  const port = Number((await next()).split(" ")[1]);
  const read = async (): Promise<Mem> => {
    server.stdin.write("measure\n");
    return JSON.parse(await next()) as Mem;
  };
  await sleep(300);
  // Warm up both servers alike: a first batch of clients pays one-time costs (lazily compiled
  // code and schemas, allocator pools) that are not per-client memory; then they leave.
  const warm = spawn(process.execPath, ["bench/clients-peers.mjs", `ws://127.0.0.1:${port}`, String(WARMUP)], { cwd: ROOT });
  if ((await lines(warm)()) !== "ready") throw new Error("warm-up peers did not start");
  warm.kill("SIGKILL");
  await exited(warm);
  await sleep(1500); // closes seen and announced
  const base = await read();
  if (base.clients !== 0) throw new Error(`${kind}: ${base.clients} warm-up clients still connected`);
  const peers = spawn(process.execPath, ["bench/clients-peers.mjs", `ws://127.0.0.1:${port}`, String(n)], { cwd: ROOT });
  const peerLines = lines(peers);
  if ((await peerLines()) !== "ready") throw new Error("peers did not start");
  await sleep(1500); // welcome frames sent and drained
  const loaded = await read();
  if (loaded.clients !== n) throw new Error(`${kind}: ${loaded.clients} clients connected, expected ${n}`);
  peers.kill("SIGKILL");
  server.kill("SIGKILL");
  await Promise.all([exited(peers), exited(server)]);
  return { perClientRss: (loaded.rss - base.rss) / n, perClientHeap: (loaded.heapUsed - base.heapUsed) / n, base, loaded };
}

const kb = (b: number) => (b / 1024).toFixed(1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  console.log(`idle clients: ${COUNTS.join(", ")}; ${ROUNDS} interleaved rounds; ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}`);
  for (const n of COUNTS) {
    const coda: number[] = [];
    const raw: number[] = [];
    const codaHeap: number[] = [];
    const rawHeap: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (process.env.BENCH_PRESENCE === "1") {
        const p = await measure("raw-presence", n);
        console.log(`${n} clients, round ${r + 1}: bare ws + presence broadcast on connect ${kb(p.perClientRss)} KB RSS / ${kb(p.perClientHeap)} KB heap per client`);
      }
      const a = await measure("raw", n);
      const b = await measure("coda", n);
      raw.push(a.perClientRss);
      coda.push(b.perClientRss);
      rawHeap.push(a.perClientHeap);
      codaHeap.push(b.perClientHeap);
      console.log(
        `${n} clients, round ${r + 1}: bare ws ${kb(a.perClientRss)} KB RSS / ${kb(a.perClientHeap)} KB heap per client (server RSS ${kb(a.base.rss / 1024)} -> ${kb(a.loaded.rss / 1024)} MB); ` +
          `coda ${kb(b.perClientRss)} KB RSS / ${kb(b.perClientHeap)} KB heap per client (server RSS ${kb(b.base.rss / 1024)} -> ${kb(b.loaded.rss / 1024)} MB)`,
      );
    }
    const ratio = median(coda) / median(raw);
    console.log(
      `${n} clients, median: bare ws ${kb(median(raw))} KB, coda ${kb(median(coda))} KB RSS per client; heap ${kb(median(rawHeap))} vs ${kb(median(codaHeap))} KB; ratio coda/raw (RSS) ${ratio.toFixed(2)} (target <= 1.5)`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
