/**
 * The owner's writer of one session's stream: events go in as the session
 * logs them (synchronously, never blocking the machine) and reach Redis in
 * seq order, in batches, through the atomic append of event-stream.ts.
 *
 * While Redis cannot be reached the events wait here, in order, and are
 * appended when it is back (the append is idempotent, so a batch whose
 * reply was lost is simply sent again): nothing is lost or reordered. The
 * wait is bounded: past `maxBacklog` waiting events the oldest waiting one
 * is dropped (counted in `dropped`, logged once per outage), which leaves a
 * hole in the stream that a resume reports as missed. A fenced appender
 * whose lease is gone (`not_owner`) or whose seqs another node wrote
 * (`conflict`) stops and keeps its events until told: `resume()` after
 * taking the lease back, `discard()` after losing the session.
 *
 * States: `ok` (appending), `backlog` (Redis away; events waiting),
 * `fenced`, `closed`. Listeners hear each change.
 */
import type { Logger } from "../../actors/logger.js";
import { silentLogger } from "../../actors/logger.js";
import { ClusterError, isUnavailableError } from "./errors.js";
import { appendEvents, type StreamEvent } from "./event-stream.js";
import { whenReady, type RedisClient } from "./redis-client.js";

export type AppenderState = "ok" | "backlog" | "fenced" | "closed";

export interface StreamAppenderOptions {
  client: RedisClient;
  session: string;
  /** The stream's cap (MAXLEN ~), e.g. the replay size. */
  maxLen: number;
  /** Fence the writes with the session's lease held by this node id. Default: not fenced. */
  holder?: string;
  /** Most events waiting while Redis is away (default 10 000); past it the oldest waiting one is dropped. */
  maxBacklog?: number;
  /** Most events per append (default 256). */
  maxBatch?: number;
  /** Longest pause between attempts while Redis answers but refuses (default 2000 ms; from 50 ms, doubling). */
  retryMaxMs?: number;
  logger?: Logger;
}

export class StreamAppender {
  readonly session: string;
  readonly #client: RedisClient;
  readonly #maxLen: number;
  readonly #holder: string | undefined;
  readonly #maxBacklog: number;
  readonly #maxBatch: number;
  readonly #retryMaxMs: number;
  readonly #logger: Logger;
  /** Events not yet sent, oldest first. */
  #queue: StreamEvent[] = [];
  /** The batch being appended (sent again until Redis has it). */
  #batch: StreamEvent[] = [];
  #lastSeq = 0;
  #appendedSeq = 0;
  #dropped = 0;
  #droppedThisOutage = 0;
  #state: AppenderState = "ok";
  #fence: ClusterError | null = null;
  #pumping = false;
  readonly #abort = new AbortController();
  readonly #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  readonly #listeners = new Set<(state: AppenderState) => void>();

  constructor(options: StreamAppenderOptions) {
    const { maxLen, maxBacklog = 10_000, maxBatch = 256, retryMaxMs = 2000 } = options;
    for (const [name, value] of [["maxLen", maxLen], ["maxBacklog", maxBacklog], ["maxBatch", maxBatch], ["retryMaxMs", retryMaxMs]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${value}`);
    }
    this.session = options.session;
    this.#client = options.client;
    this.#maxLen = maxLen;
    this.#holder = options.holder;
    this.#maxBacklog = maxBacklog;
    this.#maxBatch = maxBatch;
    this.#retryMaxMs = retryMaxMs;
    this.#logger = options.logger ?? silentLogger;
  }

  get state(): AppenderState {
    return this.#state;
  }

  /** Events not yet in Redis (waiting and in flight). */
  get pending(): number {
    return this.#queue.length + this.#batch.length;
  }

  /** Events dropped because the backlog was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Newest seq Redis has acknowledged from this appender (0 before the first). */
  get appendedSeq(): number {
    return this.#appendedSeq;
  }

  /** What stopped a fenced appender. */
  get fenceError(): ClusterError | null {
    return this.#fence;
  }

  /** Call `listener` on every state change; returns the unsubscribe. */
  onState(listener: (state: AppenderState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Queue `event` for the stream. Seqs must increase (a TypeError says
   * otherwise: the caller's bug).
   */
  append(event: StreamEvent): void {
    if (this.#state === "closed") throw new Error(`The stream appender of session ${this.session} is closed`);
    if (!Number.isSafeInteger(event.seq) || event.seq <= this.#lastSeq) throw new TypeError(`Session ${this.session}: seq ${event.seq} does not follow ${this.#lastSeq}`);
    this.#lastSeq = event.seq;
    this.#queue.push(event);
    if (this.#queue.length > this.#maxBacklog) {
      this.#queue.shift();
      this.#dropped++;
      if (this.#droppedThisOutage++ === 0) this.#logger.error("stream backlog full: dropping the oldest waiting events", { session: this.session, maxBacklog: this.#maxBacklog });
    }
    void this.#pump();
  }

  /** Resolve once every event appended so far is in Redis; reject with the fence error if the appender is (or becomes) fenced. */
  flushed(): Promise<void> {
    if (this.#fence) return Promise.reject(this.#fence);
    if (this.pending === 0) return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(new Error(`The stream appender of session ${this.session} is closed`));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** After a fence: try again (e.g. this node has taken the lease back). */
  resume(): void {
    if (this.#state !== "fenced") return;
    this.#fence = null;
    this.#setState("ok");
    void this.#pump();
  }

  /** Drop every event not yet in Redis (this node lost the session); returns how many. */
  discard(): number {
    const count = this.pending;
    this.#queue = [];
    if (!this.#pumping) this.#batch = [];
    return count;
  }

  /** Stop appending; events not yet in Redis are dropped (await flushed() first to keep them). */
  close(): void {
    if (this.#state === "closed") return;
    this.discard();
    this.#abort.abort();
    this.#setState("closed");
    for (const w of this.#waiters.splice(0)) w.reject(new Error(`The stream appender of session ${this.session} is closed`));
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    let delay = 50;
    try {
      while (this.#state === "ok" || this.#state === "backlog") {
        if (this.#batch.length === 0) this.#batch = this.#queue.splice(0, this.#maxBatch);
        if (this.#batch.length === 0) break;
        try {
          await appendEvents(this.#client, this.session, this.#batch, { maxLen: this.#maxLen, ...(this.#holder ? { holder: this.#holder } : {}) });
          this.#appendedSeq = this.#batch.at(-1)!.seq;
          this.#batch = [];
          delay = 50;
          if (this.#state === "backlog") {
            this.#logger.info("redis is back: stream backlog appended", { session: this.session, waiting: this.#queue.length, dropped: this.#droppedThisOutage });
            this.#droppedThisOutage = 0;
            this.#setState("ok");
          }
        } catch (err) {
          // close() may have run while the append was out.
          if ((this.#state as AppenderState) === "closed") break;
          if (err instanceof ClusterError) {
            this.#fence = err;
            this.#logger.error("stream append fenced", { session: this.session, code: err.code, pending: this.pending });
            this.#setState("fenced");
            for (const w of this.#waiters.splice(0)) w.reject(err);
            break;
          }
          if (this.#state === "ok") this.#logger.warn("redis unavailable: keeping stream events in memory", { session: this.session, error: err instanceof Error ? err.message : String(err) });
          this.#setState("backlog");
          if (isUnavailableError(err) && !this.#client.isReady) await whenReady(this.#client, this.#abort.signal);
          else {
            // Redis answered but refused (out of memory, loading): try again a little later.
            await new Promise((r) => setTimeout(r, delay).unref());
            delay = Math.min(delay * 2, this.#retryMaxMs);
          }
        }
      }
    } finally {
      this.#pumping = false;
      if (this.#state === "closed") this.#batch = [];
    }
    if (this.pending === 0) for (const w of this.#waiters.splice(0)) w.resolve();
  }

  #setState(state: AppenderState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of this.#listeners) listener(state);
  }
}
