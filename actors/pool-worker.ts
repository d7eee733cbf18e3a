/**
 * One worker thread that loads once and then answers one request at a time:
 * the member of an engine pool (engine-pool.ts) for the embedded
 * synthesisers (tts/synth-thread.ts) and the Silero VAD
 * (stt/vad-silero-thread.ts). The worker script posts `{ type: "ready" }`
 * (with `loadMs` if it measures it) or `{ type: "fatal", message }` while
 * it loads, then one answer per request carrying the request's `id`.
 *
 * - `PoolWorker.start()` resolves once the worker is ready, or rejects
 *   (fatal, crash, exit, or `startTimeoutMs`) and leaves nothing running.
 * - A worker that dies fails the request it held and is no longer `alive`
 *   (the pool then replaces it).
 * - Only a request in flight keeps the process alive: the worker is
 *   unref'd while idle.
 */
import type { TransferListItem, Worker } from "node:worker_threads";
import type { EngineError } from "./engine-error.js";
import type { Logger } from "./logger.js";

/** What a worker script posts while it loads. */
export type LoadMessage = { type: "ready"; loadMs?: number } | { type: "fatal"; message: string };

/** How a worker's failures read, in the engine's own words and error codes. */
export interface PoolWorkerErrors {
  /** Loading failed: `reason` is the script's fatal message, the crash, or the exit ("exited with code 1"). */
  loadFailed(reason: string): EngineError;
  /** Loading took longer than `startTimeoutMs`. */
  loadTimedOut(ms: number): EngineError;
  /** The loaded worker crashed or exited: `reason` as for loadFailed. */
  died(reason: string): EngineError;
  /** The default reason of `close()`. */
  closed(): EngineError;
}

export interface PoolWorkerOptions {
  errors: PoolWorkerErrors;
  /** How long loading may take. Default: no limit. */
  startTimeoutMs?: number | undefined;
  /** Told of crashes (`what` names the engine). */
  logger?: Logger | undefined;
  what?: string;
}

interface Pending<A> {
  id: number;
  resolve(answer: A): void;
  reject(err: unknown): void;
}

/**
 * A loaded worker answering requests `Q` (sent with an `id`) with answers `A` (carrying it back).
 * @example
 * const member = await PoolWorker.start<Request, Answer>(spawnWorker(import.meta.url, "./my-worker"), { errors });
 * const answer = await member.request({ type: "work", input });
 */
export class PoolWorker<Q extends object, A extends { id: number }> {
  readonly #worker: Worker;
  readonly #errors: PoolWorkerErrors;
  /** How long the worker said it took to load (ms; 0 when it does not say). */
  readonly loadMs: number;
  #pending: Pending<A> | null = null;
  #nextId = 1;
  #failure: EngineError | null = null;

  private constructor(worker: Worker, options: PoolWorkerOptions, loadMs: number) {
    this.#worker = worker;
    this.#errors = options.errors;
    this.loadMs = loadMs;
    worker.on("message", (message: A | LoadMessage) => this.#workerOnMessage(message));
    worker.on("error", (err) => {
      options.logger?.error("engine worker failed", { engine: options.what, error: err.message });
      this.#fail(this.#errors.died(err.message));
    });
    worker.on("exit", (code) => this.#fail(this.#errors.died(`exited with code ${code}`)));
    worker.unref();
  }

  /** Wait until `worker` has loaded; on failure it is terminated and the start rejects. */
  static start<Q extends object, A extends { id: number }>(worker: Worker, options: PoolWorkerOptions): Promise<PoolWorker<Q, A>> {
    worker.unref();
    const { errors, startTimeoutMs } = options;
    return new Promise<PoolWorker<Q, A>>((resolve, reject) => {
      const timer = startTimeoutMs === undefined ? undefined : setTimeout(() => done(errors.loadTimedOut(startTimeoutMs)), startTimeoutMs);
      timer?.unref();
      const onMessage = (message: LoadMessage) => {
        if (message.type === "ready") done(null, message.loadMs ?? 0);
        else if (message.type === "fatal") done(errors.loadFailed(message.message));
      };
      const onError = (err: Error) => {
        options.logger?.error("engine worker failed", { engine: options.what, error: err.message });
        done(errors.loadFailed(err.message));
      };
      const onExit = (code: number) => done(errors.loadFailed(`exited with code ${code}`));
      function done(failure: EngineError | null, loadMs = 0) {
        clearTimeout(timer);
        worker.off("message", onMessage).off("error", onError).off("exit", onExit);
        if (failure === null) return resolve(new PoolWorker<Q, A>(worker, options, loadMs));
        void worker.terminate();
        reject(failure);
      }
      worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    });
  }

  /** False once the worker died or was closed. */
  get alive(): boolean {
    return this.#failure === null;
  }

  /** Send one request (its `id` is added); resolves with the answer carrying that id. One at a time. */
  request(request: Q, transfer: readonly TransferListItem[] = []): Promise<A> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#pending) return Promise.reject(new Error("a pool worker takes one request at a time"));
    const id = this.#nextId++;
    return new Promise<A>((resolve, reject) => {
      this.#pending = { id, resolve, reject };
      this.#worker.ref();
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }

  /** Terminate the worker; a request in flight fails with `reason` (default: the engine's closed error). */
  async close(reason?: EngineError): Promise<void> {
    if (this.#failure) return;
    this.#fail(reason ?? this.#errors.closed());
    await this.#worker.terminate();
  }

  #workerOnMessage(message: A | LoadMessage): void {
    const pending = this.#pending;
    if (pending === null || !("id" in message) || message.id !== pending.id) return;
    this.#settle();
    pending.resolve(message);
  }

  #settle(): void {
    this.#pending = null;
    this.#worker.unref();
  }

  #fail(failure: EngineError): void {
    if (this.#failure) return;
    this.#failure = failure;
    const pending = this.#pending;
    this.#settle();
    pending?.reject(failure);
  }
}
