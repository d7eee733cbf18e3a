/**
 * `npx tsx bench/cluster-stream.ts`: what it costs the owner node to put each
 * logged event on the session's Redis stream, against the single-node
 * EventLog.append alone (stamp seq, encode once, keep for resume), in the
 * same process, on a real redis-server started for the run (Debian's, no
 * persistence, loopback).
 *
 * Shapes (N events of a typical `llm_progress`, ~150 bytes each):
 * - log: EventLog.append only (the baseline), and "log paced", the same
 *   with one event per event-loop turn (the baseline of "paced");
 * - burst: EventLog.append + StreamAppender.append for all N at once, then
 *   wait until Redis has them (batches of up to 256 per script call): a
 *   machine transition or a fast model;
 * - paced: one event per event-loop turn (setImmediate between them), then
 *   wait: tokens of a model that streams one at a time;
 * - round trip: wait for Redis after every event (no batching at all): the
 *   worst case, and the least latency an event can have to another node.
 * Per event: wall time until Redis has it (µs), this process's CPU (µs),
 * and Redis's CPU (µs, from INFO cpu). Wall ratios against the matching
 * baseline ("log paced" for "paced", "log" for the others).
 * Rounds alternate; the median round is reported.
 * Env: BENCH_EVENTS (default 20000), BENCH_ROUNDS (default 5).
 */
import { closeRedis, openRedis, StreamAppender, type RedisClient } from "../server/cluster/index.js";
import { makeEvent } from "../server/protocol/index.js";
import { EventLog } from "../server/transport/event-log.js";
import { startRedis } from "../test/helpers/redis.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_TRIP_EVENTS = Math.min(EVENTS, 2000);

interface Sample {
  wall: number;
  cpu: number;
  redisCpu: number;
  events: number;
}

const event = (i: number) => makeEvent("llm_progress", { turn_id: "t1", delta: ` word${i % 100}`, index: i });

async function redisCpuMicros(client: RedisClient): Promise<number> {
  const info = await client.info("cpu");
  const field = (name: string) => Number(/^(\S+):(\S+)$/m.exec(info.split("\n").find((l) => l.startsWith(`${name}:`)) ?? "")?.[2] ?? 0);
  return (field("used_cpu_sys") + field("used_cpu_user")) * 1e6;
}

async function measure(client: RedisClient, events: number, body: (log: EventLog) => Promise<void>): Promise<Sample> {
  const log = new EventLog({ maxEvents: 1000, maxBytes: 1 << 20 });
  const redisBefore = await redisCpuMicros(client);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await body(log);
  const wall = (performance.now() - start) * 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = (await redisCpuMicros(client)) - redisBefore;
  return { wall, cpu: cpu.user + cpu.system, redisCpu, events };
}

let session = 0;
function appender(client: RedisClient): StreamAppender {
  return new StreamAppender({ client, session: `bench${++session}`, maxLen: 1000 });
}

/** EventLog.append and the stream append of each event, paced as `shape` says; done when Redis has them all. */
function logAndStream(client: RedisClient, events: number, shape: "burst" | "paced" | "round trip"): Promise<Sample> {
  return measure(client, events, async (log) => {
    const stream = appender(client);
    for (let i = 0; i < events; i++) {
      const { event: e, frame } = log.append(event(i));
      stream.append({ seq: e.seq, frame });
      if (shape === "paced") await new Promise((r) => setImmediate(r));
      else if (shape === "round trip") await stream.flushed();
    }
    await stream.flushed();
    stream.close();
  });
}

const shapes: Record<string, (client: RedisClient) => Promise<Sample>> = {
  log: (client) =>
    measure(client, EVENTS, async (log) => {
      for (let i = 0; i < EVENTS; i++) log.append(event(i));
    }),
  "log paced": (client) =>
    measure(client, EVENTS, async (log) => {
      for (let i = 0; i < EVENTS; i++) {
        log.append(event(i));
        await new Promise((r) => setImmediate(r));
      }
    }),
  burst: (client) => logAndStream(client, EVENTS, "burst"),
  paced: (client) => logAndStream(client, EVENTS, "paced"),
  "round trip": (client) => logAndStream(client, ROUND_TRIP_EVENTS, "round trip"),
};

const redis = await startRedis();
const client = await openRedis({ url: redis.url, name: "bench" });
try {
  // Warm up: JIT, the script cache, the connection.
  for (const run of Object.values(shapes)) await run(client);
  await client.flushAll();
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(shapes).map((k) => [k, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(shapes)) samples[name]!.push(await run(client));
    await client.flushAll();
  }
  const perEvent = (s: Sample, key: "wall" | "cpu" | "redisCpu") => s[key] / s.events;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const baseOf = (name: string) => median(samples[name === "paced" ? "log paced" : "log"]!.map((s) => perEvent(s, "wall")));
  console.log(`cluster stream append vs EventLog.append: ${EVENTS} events (${ROUND_TRIP_EVENTS} for round trip), ${ROUNDS} rounds, median per event`);
  console.log("shape        wall µs   node CPU µs   redis CPU µs   wall ratio vs its baseline");
  for (const name of Object.keys(shapes)) {
    const wall = median(samples[name]!.map((s) => perEvent(s, "wall")));
    const cpu = median(samples[name]!.map((s) => perEvent(s, "cpu")));
    const redisCpu = median(samples[name]!.map((s) => perEvent(s, "redisCpu")));
    console.log(`${name.padEnd(12)} ${wall.toFixed(2).padStart(8)}   ${cpu.toFixed(2).padStart(11)}   ${redisCpu.toFixed(2).padStart(12)}   ${(wall / baseOf(name)).toFixed(1).padStart(8)}x`);
  }
} finally {
  closeRedis(client);
  await redis.close();
}
