/**
 * Load (issue 7, item 6): 1,000 concurrent clients (run in a worker thread)
 * against one server with the voice pipeline:
 * - every client receives every logged event of a demo turn, in seq order;
 * - peers that stop answering are closed by the heartbeat within two
 *   heartbeat intervals (the documented bound), the others stay;
 * - a client that stops reading while asking for large replies is cut at
 *   maxBufferedBytes with 1013, while the 1,000 others get the whole turn.
 * Needs about 2,100 file descriptors: `.ci/run` raises the limit; with a
 * lower soft limit the suite is skipped with the reason.
 */
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../actors/stt/testing/scripted.js";
import { FakeToolRunner, FAKE_TOOLS } from "../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../actors/tts/testing/scripted.js";
import { createBridge, type Bridge } from "../../server/pipeline/bridge.js";
import { TestClient } from "../helpers/client.js";
import { startServer } from "../helpers/server.js";

const CLIENTS = 1000;
const NEEDED_FDS = 2 * CLIENTS + 200;

function softFdLimit(): number {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? (m[1] === "unlimited" ? Infinity : Number(m[1])) : Infinity;
  } catch {
    return Infinity;
  }
}
const fdLimit = softFdLimit();
const skipReason = fdLimit < NEEDED_FDS ? `soft fd limit ${fdLimit} < ${NEEDED_FDS}: run with ulimit -n 65536 (as .ci/run does)` : null;
if (skipReason) console.warn(`load suite skipped: ${skipReason}`);

type Report = [events: number, firstSeq: number, lastSeq: number, ordered: boolean, closeCode: number | null][];

class Clients {
  readonly worker: Worker;
  constructor(url: string, count: number) {
    this.worker = new Worker(new URL("./load-clients.mjs", import.meta.url), { workerData: { url, clients: count } });
  }
  #next(type: string, timeoutMs = 30_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker: no ${type} in ${timeoutMs} ms`)), timeoutMs);
      const onMsg = (m: { type: string; message?: string }) => {
        if (m.type === type || m.type === "error") {
          clearTimeout(timer);
          this.worker.off("message", onMsg);
          if (m.type === "error") reject(new Error(`worker client error: ${m.message}`));
          else resolve(m);
        }
      };
      this.worker.on("message", onMsg);
    });
  }
  ready = () => this.#next("ready");
  async pause(count: number) {
    const p = this.#next("paused");
    this.worker.postMessage({ type: "pause", count });
    await p;
  }
  async report(): Promise<Report> {
    const p = this.#next("report");
    this.worker.postMessage({ type: "report" });
    return ((await p) as { clients: Report }).clients;
  }
  async close() {
    const p = this.#next("closed", 5000).catch(() => {});
    this.worker.postMessage({ type: "close" });
    await p;
    await this.worker.terminate();
  }
}

function pipeline(): Bridge {
  return createBridge({
    engines: {
      stt: new ScriptedSttEngine(),
      llm: new ScriptedLlmEngine({ answer: "It is noon. You told me you plan to test the server under load. Anything else?" }),
      tts: new ScriptedTtsEngine({ msPerChar: 0, chunkMs: 100 }),
      memory: new InMemoryStore(),
      tools: new FakeToolRunner(FAKE_TOOLS),
    },
    demoPartialDelayMs: 1,
  });
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Run one demo turn from `driver` and resolve once the machine is back at rest and the log is quiet. */
async function demoTurn(driver: TestClient, bridge: Bridge): Promise<void> {
  const from = driver.messages.length;
  expect((await driver.command("demo_flow", {}, `demo-${from}`)).type).toBe("command_ack");
  await driver.waitFor((m) => m.type === "latency_trace", { from, timeoutMs: 20_000 });
  await until(() => bridge.state() === "idle", 10_000, "machine at rest");
}

describe.skipIf(skipReason !== null)(`load: ${CLIENTS} concurrent clients`, () => {
  it("every client receives every broadcast of a demo turn, in order", async () => {
    const bridge = pipeline();
    const server = await startServer({ pipeline: bridge, maxClients: CLIENTS + 10 });
    cleanup.push(() => server.stop());
    const clients = new Clients(server.wsUrl, CLIENTS);
    cleanup.push(() => clients.close());
    await clients.ready();
    expect(server.clientCount).toBe(CLIENTS);
    const driver = await TestClient.connect(server.wsUrl);
    cleanup.push(() => driver.close());
    await driver.waitForType("replay");

    await demoTurn(driver, bridge);
    const last = server.lastSeq;
    expect(last).toBeGreaterThan(20);
    await until(async () => (await clients.report()).every(([, , l]) => l === last), 20_000, "every client has the last seq");
    const report = await clients.report();
    const wrong = report.filter(([n, first, l, ordered, closed]) => !(n === last && first === 1 && l === last && ordered && closed === null));
    expect(wrong).toEqual([]);
    expect(driver.ofType("llm_result")).toHaveLength(1);
    expect(driver.ofType("tts_result")).toHaveLength(1);
  }, 90_000);

  it("peers that stop answering are closed by the heartbeat within two intervals; the others stay", async () => {
    // Short enough for a test, long enough that 1,000 clients sharing one worker thread on two
    // cores, next to another test file, always answer in time (at 400 ms alone, and at 1 s beside
    // the chaos suite, some live ones missed a pong and were cut too).
    const heartbeatMs = 2500;
    const dead = 50;
    const server = await startServer({ maxClients: CLIENTS + 10, heartbeatMs });
    cleanup.push(() => server.stop());
    const clients = new Clients(server.wsUrl, CLIENTS);
    cleanup.push(() => clients.close());
    await clients.ready();
    await clients.pause(dead);
    const t0 = performance.now();
    // Documented bound: a peer is cut at the second tick after it stops answering (<= 2 x heartbeatMs),
    // plus scheduling slack on a loaded 2-core machine.
    await until(() => server.clientCount === CLIENTS - dead, 2 * heartbeatMs + 1500, `${dead} dead peers closed`);
    const ms = performance.now() - t0;
    // Several more heartbeats: the live ones keep answering and stay.
    await new Promise((r) => setTimeout(r, 2 * heartbeatMs));
    expect(server.clientCount).toBe(CLIENTS - dead);
    const report = await clients.report();
    expect(report.slice(dead).filter(([, , , , closed]) => closed !== null)).toEqual([]);
    console.info(`load: ${dead} dead peers of ${CLIENTS} closed ${Math.round(ms)} ms after they stopped answering (heartbeat ${heartbeatMs} ms)`);
  }, 60_000);

  it("a client that stops reading while asking for large replies is cut with 1013; the others get the whole turn", async () => {
    const bridge = pipeline();
    const maxBufferedBytes = 1024 * 1024;
    const server = await startServer({ pipeline: bridge, maxClients: CLIENTS + 10, replaySize: 500, maxBufferedBytes, closeTimeoutMs: 200 });
    cleanup.push(() => server.stop());
    // Fill the log before anyone connects: 500 events of 4 KB, replayed only to whoever asks.
    for (let i = 0; i < 500; i++) await server.broadcast({ type: "llm_progress", data: { turn_id: "t0", delta: "z".repeat(4096), index: i } });
    const since = server.lastSeq;
    const clients = new Clients(`${server.wsUrl}/?since=${since}`, CLIENTS);
    cleanup.push(() => clients.close());
    await clients.ready();
    const driver = await TestClient.connect(`${server.wsUrl}/?since=${since}`);
    cleanup.push(() => driver.close());
    await driver.waitForType("replay");
    const slow = await TestClient.connect(`${server.wsUrl}/?since=${since}`);
    cleanup.push(() => slow.close());
    await slow.waitForType("replay");
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    // 30 replays of 2 MB each, to this client only: far past its bound and the kernel's buffers.
    for (let i = 0; i < 30; i++) slow.send({ type: "get_replay", data: { since: 0 }, id: i });

    await demoTurn(driver, bridge);
    const last = server.lastSeq;
    await until(() => server.clientCount === CLIENTS + 1, 10_000, "slow client cut");
    await until(async () => (await clients.report()).every(([, , l]) => l === last), 20_000, "every client has the last seq");
    const report = await clients.report();
    expect(report.filter(([n, first, l, ordered, closed]) => !(n === last - since && first === since + 1 && l === last && ordered && closed === null))).toEqual([]);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.closed();
    expect([1013, 1006]).toContain(slow.closeCode);
    if (slow.closeCode === 1013) expect(slow.closeReason).toMatch(/Too slow: over 1048576 bytes queued/);
  }, 90_000);
});
