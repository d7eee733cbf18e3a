/**
 * A pool's worker thread (actors/pool-worker.ts) with a small real worker
 * script: it starts when the script says ready, and a start that fails
 * (fatal, exit, timeout) rejects in the engine's words and leaves nothing
 * running; requests are answered by id; a worker that dies fails the
 * request it held and is no longer alive, and the engine pool then serves
 * the next caller with a fresh worker; close() fails the request in flight.
 */
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../actors/engine-error.js";
import { EnginePool } from "../../actors/engine-pool.js";
import { PoolWorker, type PoolWorkerErrors } from "../../actors/pool-worker.js";

type Request = { op: "echo" | "crash" | "hang"; value?: string };
type Answer = { id: number; value: string };

/** A worker that loads as `load` says, then echoes, exits with code 3 on "crash", never answers "hang". */
function script(load: "ready" | "fatal" | "exit" | "never"): Worker {
  const code = `
    const { parentPort } = require("node:worker_threads");
    const load = ${JSON.stringify(load)};
    if (load === "fatal") parentPort.postMessage({ type: "fatal", message: "no weights" });
    else if (load === "exit") process.exit(2);
    else if (load === "ready") parentPort.postMessage({ type: "ready", loadMs: 12.5 });
    parentPort.on("message", (r) => {
      if (r.op === "crash") process.exit(3);
      if (r.op === "echo") parentPort.postMessage({ id: r.id, value: "echo " + r.value });
    });
    if (load === "never") setInterval(() => {}, 1000);
  `;
  return new Worker(code, { eval: true });
}

const errors: PoolWorkerErrors = {
  loadFailed: (reason) => new EngineError("engine_error", `Toy failed to load: ${reason}`),
  loadTimedOut: (ms) => new EngineError("timeout", `Toy did not load within ${ms} ms`),
  died: (reason) => new EngineError("engine_error", `Toy worker failed: ${reason}`),
  closed: () => new EngineError("engine_error", "the Toy engine was closed"),
};

const start = (load: Parameters<typeof script>[0], startTimeoutMs?: number) => PoolWorker.start<Request, Answer>(script(load), { errors, startTimeoutMs });

describe("PoolWorker", () => {
  it("starts when the script says ready, and answers requests by id, one at a time", async () => {
    const w = await start("ready");
    expect(w.loadMs).toBe(12.5);
    expect(await w.request({ op: "echo", value: "a" })).toEqual({ id: 1, value: "echo a" });
    const second = w.request({ op: "echo", value: "b" });
    await expect(w.request({ op: "echo", value: "c" })).rejects.toThrow("a pool worker takes one request at a time");
    expect(await second).toEqual({ id: 2, value: "echo b" });
    await w.close();
    expect(w.alive).toBe(false);
  });

  it.each([
    ["fatal", "Toy failed to load: no weights"],
    ["exit", "Toy failed to load: exited with code 2"],
  ] as const)("a start that fails (%s) rejects in the engine's words", async (load, message) => {
    await expect(start(load)).rejects.toMatchObject({ name: "EngineError", code: "engine_error", message });
  });

  it("a start that takes longer than startTimeoutMs rejects with timeout", async () => {
    await expect(start("never", 50)).rejects.toMatchObject({ code: "timeout", message: "Toy did not load within 50 ms" });
  });

  it("a worker that dies fails the request it held and is no longer alive; the pool serves the next caller with a fresh one", async () => {
    const pool = new EnginePool<PoolWorker<Request, Answer>>({
      size: 1,
      start: () => start("ready"),
      stop: (w) => w.close(),
      usable: (w) => w.alive,
      closedError: errors.closed,
    });
    const never = new AbortController().signal;
    try {
      await expect(pool.run((w) => w.request({ op: "crash" }), never)).rejects.toMatchObject({ code: "engine_error", message: "Toy worker failed: exited with code 3" });
      expect(await pool.run((w) => w.request({ op: "echo", value: "again" }), never)).toEqual({ id: 1, value: "echo again" });
      expect(pool.stats).toMatchObject({ members: 1, starts: 2 });
    } finally {
      await pool.close();
    }
  });

  it("close() fails the request in flight with the closed error (or the reason given)", async () => {
    const w = await start("ready");
    const hanging = w.request({ op: "hang" }).catch((e: unknown) => e);
    await w.close();
    expect(await hanging).toMatchObject({ message: "the Toy engine was closed" });
    await expect(w.request({ op: "echo", value: "x" })).rejects.toMatchObject({ message: "the Toy engine was closed" });
    const v = await start("ready");
    const held = v.request({ op: "hang" }).catch((e: unknown) => e);
    await v.close(new EngineError("engine_error", "shutting down"));
    expect(await held).toMatchObject({ message: "shutting down" });
  });
});
