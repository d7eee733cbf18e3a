/**
 * `npm run bench:soak` (not in CI): continuous turns for N minutes
 * (SOAK_MINUTES, default 10) through the real composition of `npm start`
 * (server/app/app.ts: built-in responder, eSpeak NG in its worker, SQLite memory
 * in a temporary file), watched by 100 clients (SOAK_CLIENTS) in a child
 * process, one of which starts a demo turn whenever the machine is back at
 * rest. Prints RSS and heap (after GC) at the start (after a warm-up minute
 * or a tenth of the run, whichever is shorter) and at the end, the growth,
 * and the turns and events delivered. Target: RSS growth under 5%.
 * Run through npm (it passes --expose-gc).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createCodaServer } from "../server/app/app.js";
import { loadConfig } from "../server/app/config.js";
import { silentLogger } from "../server/app/logger.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 100);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc (npm run bench:soak does)");

const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sample() {
  for (let i = 0; i < 3; i++) gc!();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, external: m.external };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "coda-soak-"));
  const { config } = loadConfig(["--host", "127.0.0.1", "--port", "0", "--llm-engine", "builtin", "--tts-engine", "espeak", "--memory-db", join(dir, "memory.db"), "--max-clients", String(CLIENTS + 10)], {});
  const app = await createCodaServer({ ...config, logger: silentLogger });
  console.log(`soak: ${MINUTES} min, ${CLIENTS} clients, ${app.descriptions.length} stages (${Object.values(app.pipeline.engines()).join(", ")}); ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, node ${process.version}`);

  const peers = spawn(process.execPath, ["bench/clients-peers.mjs", `ws://127.0.0.1:${app.server.port}`, String(CLIENTS)], { cwd: ROOT, env: { ...process.env, DRIVE: "1" } });
  peers.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: peers.stdout }).on("line", (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
  const next = () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise<string>((r) => waiting.push(r)));
  const report = async () => {
    peers.stdin.write("report\n");
    return JSON.parse(await next()) as { delivered: number; turns: number; refused: number; open: number };
  };
  if ((await next()) !== "ready") throw new Error("clients did not start");
  peers.stdin.write("start\n");

  const totalMs = MINUTES * 60_000;
  const warmMs = Math.min(60_000, totalMs / 10);
  await sleep(warmMs);
  const start = sample();
  const r0 = await report();
  console.log(`start (after ${Math.round(warmMs / 1000)} s warm-up): RSS ${mb(start.rss)} MB, heap ${mb(start.heap)} MB, external ${mb(start.external)} MB; ${r0.turns} turns, ${r0.delivered} events delivered so far`);
  const t0 = Date.now();
  while (Date.now() - t0 < totalMs - warmMs) {
    await sleep(Math.min(60_000, totalMs - warmMs - (Date.now() - t0)));
    const m = process.memoryUsage();
    const r = await report();
    console.log(`  ${Math.round((Date.now() - t0 + warmMs) / 1000)} s: RSS ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB; ${r.turns} turns, ${r.delivered} events delivered, ${r.open} clients open`);
  }
  const end = sample();
  const r1 = await report();
  const growth = (end.rss - start.rss) / start.rss;
  console.log(`end: RSS ${mb(end.rss)} MB, heap ${mb(end.heap)} MB, external ${mb(end.external)} MB; ${r1.turns} turns, ${r1.delivered} events delivered (${r1.delivered - r0.delivered} since start), ${r1.refused} refused commands, ${r1.open}/${CLIENTS} clients open`);
  console.log(`RSS growth start->end ${(growth * 100).toFixed(1)}% (target < 5%); heap growth ${(((end.heap - start.heap) / start.heap) * 100).toFixed(1)}%; last seq ${app.server.lastSeq}`);
  peers.kill("SIGKILL");
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
