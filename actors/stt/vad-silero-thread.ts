/**
 * One worker thread running the Silero network (vad-silero-worker.ts): the
 * member of the Silero model's pool (vad-silero.ts). It holds no stream's
 * state: each frame comes with its stream's recurrent state and goes back
 * with the new one, so any worker can score any stream's next frame. The
 * pool gives it one frame at a time. Starting, dying and closing behave as
 * ../pool-worker.ts describes, with EngineError `vad_unavailable`.
 */
import { EngineError } from "../engine-error.js";
import { PoolWorker, type PoolWorkerErrors } from "../pool-worker.js";
import { spawnWorker } from "../spawn-worker.js";
import type { SileroRequest, SileroResponse } from "./vad-silero-protocol.js";

/** A frame's score and the stream's new recurrent state. */
export interface SileroScore {
  probability: number;
  state: Float32Array;
}

type Answer = Extract<SileroResponse, { id: number }>;

function sileroErrors(path: string): PoolWorkerErrors {
  return {
    loadFailed: (reason) => new EngineError("vad_unavailable", `the Silero model ${path} could not load: ${reason}`),
    loadTimedOut: (ms) => new EngineError("vad_unavailable", `the Silero model ${path} did not load within ${ms} ms`),
    died: (reason) => new EngineError("vad_unavailable", `the Silero worker failed: ${reason}`),
    closed: () => new EngineError("vad_unavailable", "the Silero model was closed"),
  };
}

export class SileroThread {
  readonly #worker: PoolWorker<Omit<SileroRequest, "id">, Answer>;

  private constructor(worker: PoolWorker<Omit<SileroRequest, "id">, Answer>) {
    this.#worker = worker;
  }

  /** Start a worker on the model file `path` and wait until it is ready. Throws EngineError `vad_unavailable` saying what failed. */
  static async start(path: string): Promise<SileroThread> {
    const worker = spawnWorker(import.meta.url, "./vad-silero-worker", { workerData: { path } });
    return new SileroThread(await PoolWorker.start<Omit<SileroRequest, "id">, Answer>(worker, { errors: sileroErrors(path), what: "silero" }));
  }

  /** False once the worker died or was closed. */
  get alive(): boolean {
    return this.#worker.alive;
  }

  /** Score one frame (`input`: context + frame samples) from the stream's `state`. One at a time. */
  async score(input: Float32Array, state: Float32Array): Promise<SileroScore> {
    const answer = await this.#worker.request({ input, state });
    if (answer.type === "error") throw new EngineError("vad_unavailable", `Silero could not score a frame: ${answer.message}`);
    return answer;
  }

  /** Terminate the worker; a frame in flight fails with `vad_unavailable`. */
  close(): Promise<void> {
    return this.#worker.close();
  }
}
