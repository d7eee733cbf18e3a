/**
 * One worker thread running an embedded WebAssembly synthesiser (eSpeak NG,
 * Flite): the member of the synthesiser's pool (synth-worker.ts). It loads
 * the WASM once and then synthesises one sentence at a time (the pool never
 * gives it a second before the first is answered). Starting, dying and
 * closing behave as ../pool-worker.ts describes; this file speaks the
 * synthesiser's protocol (synth-protocol.ts) and its errors.
 */
import { EngineError } from "../engine-error.js";
import type { Logger } from "../logger.js";
import { PoolWorker, type PoolWorkerErrors } from "../pool-worker.js";
import { spawnWorker } from "../spawn-worker.js";
import type { WorkerRequest, WorkerResponse } from "./synth-protocol.js";

export interface SynthThreadOptions {
  /** Worker script next to this file, without extension, e.g. "flite-worker". */
  script: string;
  /** Engine name for messages, e.g. "Flite". */
  label: string;
  /** How long the worker may take to load before the start fails with `timeout`. */
  startTimeoutMs: number;
  logger?: Logger | undefined;
}

type Answer = Extract<WorkerResponse, { id: number }>;

function synthErrors(label: string): PoolWorkerErrors {
  return {
    loadFailed: (reason) => new EngineError("engine_error", `${label} failed to load: ${reason}`),
    loadTimedOut: (ms) => new EngineError("timeout", `${label} did not load within ${ms} ms`),
    died: (reason) => new EngineError("engine_error", `${label} worker failed: ${reason}`),
    closed: () => new EngineError("engine_error", `the ${label} engine was closed`),
  };
}

/** One loaded synthesiser in its own worker thread. */
export class SynthThread<S> {
  readonly #worker: PoolWorker<Omit<WorkerRequest<S>, "id">, Answer>;
  /** Sentences synthesised to completion. */
  sentences = 0;

  private constructor(worker: PoolWorker<Omit<WorkerRequest<S>, "id">, Answer>) {
    this.#worker = worker;
  }

  /** Start a worker and wait until its synthesiser has loaded (EngineError `timeout` / `engine_error` otherwise). */
  static async start<S>(options: SynthThreadOptions): Promise<SynthThread<S>> {
    const { label, script, startTimeoutMs, logger } = options;
    const worker = await PoolWorker.start<Omit<WorkerRequest<S>, "id">, Answer>(spawnWorker(import.meta.url, `./${script}`), {
      errors: synthErrors(label),
      startTimeoutMs,
      logger,
      what: label,
    });
    logger?.info("synthesiser worker ready", { engine: label, loadMs: Math.round(worker.loadMs) });
    return new SynthThread<S>(worker);
  }

  /** How long the worker took to load the WASM (ms). */
  get loadMs(): number {
    return this.#worker.loadMs;
  }

  /** False once the worker died or was closed. */
  get alive(): boolean {
    return this.#worker.alive;
  }

  /** Synthesise one sentence; resolves with its PCM when the worker answers. One at a time. */
  async synthesize(text: string, settings: S): Promise<Uint8Array> {
    const answer = await this.#worker.request({ type: "synthesize", text, settings });
    if (answer.type === "error") throw new EngineError(answer.code, answer.message);
    this.sentences++;
    return new Uint8Array(answer.pcm);
  }

  /** Terminate the worker; a sentence in flight fails with `reason` (default: the engine was closed). */
  close(reason?: EngineError): Promise<void> {
    return this.#worker.close(reason);
  }
}
