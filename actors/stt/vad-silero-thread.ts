/**
 * One worker thread running the Silero network (vad-silero-worker.ts): the
 * member of the Silero model's pool (vad-silero.ts). It holds no stream's
 * state: each frame comes with its stream's recurrent state and goes back
 * with the new one, so any worker can score any stream's next frame. The
 * pool gives it one frame at a time.
 *
 * - `SileroThread.start(path)` resolves once the network has loaded and run
 *   once (or rejects with EngineError `vad_unavailable` and leaves nothing
 *   running).
 * - A worker that dies fails the frame it held and is no longer `alive`.
 * - Only a frame in flight keeps the process alive (the worker is unref'd
 *   while idle).
 */
import type { Worker } from "node:worker_threads";
import { EngineError } from "../engine-error.js";
import { spawnWorker } from "../spawn-worker.js";
import type { SileroRequest, SileroResponse } from "./vad-silero-protocol.js";

/** A frame's score and the stream's new recurrent state. */
export interface SileroScore {
  probability: number;
  state: Float32Array;
}

interface Pending {
  id: number;
  resolve(score: SileroScore): void;
  reject(err: Error): void;
}

export class SileroThread {
  readonly #worker: Worker;
  #pending: Pending | null = null;
  #nextId = 1;
  #failure: EngineError | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on("message", (message: SileroResponse) => this.#workerOnMessage(message));
    worker.on("error", (err) => this.#fail(`the Silero worker failed: ${err.message}`));
    worker.on("exit", () => this.#fail("the Silero worker exited"));
    worker.unref();
  }

  /** Start a worker on the model file `path` and wait until it is ready. Throws EngineError `vad_unavailable` saying what failed. */
  static async start(path: string): Promise<SileroThread> {
    const worker = spawnWorker(import.meta.url, "./vad-silero-worker", { workerData: { path } });
    const failure = await new Promise<string | null>((resolve) => {
      const onMessage = (message: SileroResponse) => {
        if (message.type === "ready") done(null);
        else if (message.type === "fatal") done(message.message);
      };
      const onError = (err: Error) => done(err.message);
      const onExit = (code: number) => done(`the worker exited with code ${code}`);
      function done(result: string | null) {
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        resolve(result);
      }
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    });
    if (failure !== null) {
      await worker.terminate();
      throw new EngineError("vad_unavailable", `the Silero model ${path} could not load: ${failure}`);
    }
    return new SileroThread(worker);
  }

  /** False once the worker died or was closed. */
  get alive(): boolean {
    return this.#failure === null;
  }

  /** Score one frame (`input`: context + frame samples) from the stream's `state`. One at a time. */
  score(input: Float32Array, state: Float32Array): Promise<SileroScore> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#pending) return Promise.reject(new Error("the Silero worker is already scoring a frame"));
    const id = this.#nextId++;
    return new Promise<SileroScore>((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      this.#worker.ref();
      const request: SileroRequest = { id, input, state };
      this.#worker.postMessage(request);
    });
  }

  /** Terminate the worker; a frame in flight fails with `vad_unavailable`. */
  async close(): Promise<void> {
    if (this.#failure) return;
    this.#fail("the Silero model was closed");
    await this.#worker.terminate();
  }

  #workerOnMessage(message: SileroResponse): void {
    if (message.type !== "score" && message.type !== "error") return;
    const pending = this.#pending;
    if (pending === null || pending.id !== message.id) return;
    this.#settle();
    if (message.type === "score") pending.resolve(message);
    else pending.reject(new EngineError("vad_unavailable", `Silero could not score a frame: ${message.message}`));
  }

  #settle(): void {
    this.#pending = null;
    this.#worker.unref();
  }

  #fail(message: string): void {
    if (this.#failure) return;
    this.#failure = new EngineError("vad_unavailable", message);
    const pending = this.#pending;
    this.#settle();
    pending?.reject(this.#failure);
  }
}
