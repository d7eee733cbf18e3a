/**
 * A bounded pool of engine members shared by every session of a server: the
 * speech synthesiser's worker threads (actors/tts/synth-worker.ts), the
 * Silero VAD's worker threads (actors/stt/vad-silero.ts) and PocketSphinx's
 * process slots (actors/stt/pocketsphinx.ts). Work is served first come,
 * first served by whichever member is free; a caller that finds every member
 * busy waits in a queue, and learns how long it waited (`queuedMs`), so the
 * session can report the wait in its latency trace instead of being
 * silently delayed.
 *
 * - Grows on demand: a member is started only when work waits for one and
 *   fewer than `size` exist (`warm(n)` starts some ahead of time). Work that
 *   waits goes to whichever member is free first, an old one that finished
 *   or a new one that finished loading.
 * - Shrinks when idle: a member other than the first that has had nothing to
 *   do for `idleMs` is stopped (memory comes back after a burst).
 * - A member is busy until its work settles, even when the caller has
 *   stopped waiting for it (`run` rejects with the AbortError at once).
 * - Aborting a caller that is still queued removes it from the queue.
 * - A member that is no longer `usable` (its worker died) is dropped when it
 *   is released or found idle, and replaced on demand.
 * - A member that cannot start fails the queued work only when no other
 *   member exists or is starting (the engine cannot serve anyone); otherwise
 *   the work waits for the members that do run.
 * - `close()` fails the queued work, stops every member and refuses new work.
 */
import { availableParallelism } from "node:os";
import { abortError } from "./engine-error.js";

/** The default pool size: the cores this process may use (`os.availableParallelism()`), the `enginePoolSize` setting's default. */
export function defaultPoolSize(): number {
  return availableParallelism();
}

/** How a start-up line says where an engine runs: "in a worker thread", "in up to 4 worker threads". */
export function inWorkerThreads(size: number): string {
  return size === 1 ? "in a worker thread" : `in up to ${size} worker threads`;
}

/** The most members a pool may have (a sanity bound on `enginePoolSize`). */
export const MAX_POOL_SIZE = 256;

export interface EnginePoolOptions<M> {
  /** Most members at once, 1..MAX_POOL_SIZE. */
  size: number;
  /** Start one member (e.g. a worker thread, loaded). A plain value joins at once; a promise joins when it resolves. */
  start(): M | Promise<M>;
  /** Stop a member: when it has been idle `idleMs`, when it is no longer usable, and on `close()`. */
  stop(member: M, reason: "idle" | "unusable" | "closed"): Promise<void>;
  /** Whether a member can still take work (false once its worker died). Default: always. */
  usable?(member: M): boolean;
  /** A member other than the first stopped after this long without work (ms). Default: never. */
  idleMs?: number;
  /** The error work fails with once the pool is closed. */
  closedError(): Error;
  /** Clock of the waits (ms). Default performance.now. */
  now?(): number;
}

/** A member given to one caller; `release()` gives it back (once; later calls do nothing). */
export interface Lease<M> {
  readonly member: M;
  /** How long the caller waited for a free member (ms); 0 when one was free at once. */
  readonly queuedMs: number;
  release(): void;
}

/** Counters and gauges of a pool (tests, bench, system info). */
export interface EnginePoolStats {
  size: number;
  /** Members running now (started and not stopped). */
  members: number;
  /** Members being started now. */
  starting: number;
  /** Members doing work now. */
  busy: number;
  /** Callers waiting for a member now. */
  queued: number;
  /** The most members ever busy at the same moment. */
  peakBusy: number;
  /** Members started so far. */
  starts: number;
  /** Callers that had to wait for a member so far. */
  waits: number;
}

interface Entry<M> {
  member: M;
  busy: boolean;
  idleTimer: NodeJS.Timeout | null;
}

interface Waiter<M> {
  enqueuedAt: number;
  signal: AbortSignal;
  /** Served in the same call that queued it: it did not wait. */
  immediate: boolean;
  resolve(lease: Lease<M>): void;
  reject(err: unknown): void;
  onAbort(): void;
}

/**
 * @example
 * const pool = new EnginePool({ size: 2, start: () => Thread.start(), stop: (t) => t.close(), closedError: () => new Error("closed") });
 * const pcm = await pool.run((thread) => thread.synthesize("Hello."), signal, (queuedMs) => console.log("waited", queuedMs));
 */
export class EnginePool<M> {
  readonly #options: EnginePoolOptions<M>;
  readonly #now: () => number;
  #entries: Entry<M>[] = [];
  #waiters: Waiter<M>[] = [];
  /** Starts in flight (a warm-up waits for all of them). */
  readonly #starts = new Set<Promise<void>>();
  #closed = false;
  #peakBusy = 0;
  #startCount = 0;
  #waitCount = 0;

  /** Throws TypeError for a size that is not a whole number from 1 to MAX_POOL_SIZE. */
  constructor(options: EnginePoolOptions<M>) {
    if (!Number.isInteger(options.size) || options.size < 1 || options.size > MAX_POOL_SIZE) {
      throw new TypeError(`engine pool size must be a whole number from 1 to ${MAX_POOL_SIZE}, got ${options.size}`);
    }
    if (options.idleMs !== undefined && !(options.idleMs > 0)) throw new TypeError("engine pool idleMs must be positive");
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get stats(): EnginePoolStats {
    return {
      size: this.#options.size,
      members: this.#entries.length,
      starting: this.#starts.size,
      busy: this.#busyCount(),
      queued: this.#waiters.length,
      peakBusy: this.#peakBusy,
      starts: this.#startCount,
      waits: this.#waitCount,
    };
  }

  /** The members running now (e.g. to read their own counters). */
  members(): M[] {
    return this.#entries.map((e) => e.member);
  }

  /**
   * Start members until `count` (at most `size`) run, and wait until they
   * do. Rejects with the first start's error.
   */
  async warm(count = 1): Promise<void> {
    if (this.#closed) throw this.#options.closedError();
    const want = Math.min(count, this.#options.size);
    while (this.#entries.length + this.#starts.size < want) this.#startMember();
    await Promise.all(this.#starts);
  }

  /**
   * A free member, waiting in line when all are busy. Rejects with the
   * AbortError when `signal` aborts while waiting (the caller leaves the
   * queue), with the closed error after `close()`, or with a start error
   * when no member can run.
   */
  acquire(signal: AbortSignal): Promise<Lease<M>> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    if (this.#closed) return Promise.reject(this.#options.closedError());
    return new Promise<Lease<M>>((resolve, reject) => {
      const waiter: Waiter<M> = {
        enqueuedAt: this.#now(),
        signal,
        immediate: true,
        resolve,
        reject,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index < 0) return;
          this.#waiters.splice(index, 1);
          reject(abortError(signal));
        },
      };
      this.#waiters.push(waiter);
      this.#grow();
      this.#dispatch();
      if (!this.#waiters.includes(waiter)) return;
      waiter.immediate = false;
      this.#waitCount++;
      signal.addEventListener("abort", waiter.onAbort, { once: true });
    });
  }

  /**
   * Run `work` on a free member and release it when the work settles.
   * `onQueued` hears how long the caller waited, before the work starts.
   * When `signal` aborts, the promise rejects with the AbortError at once;
   * the member stays busy until its work settles.
   */
  async run<T>(work: (member: M) => Promise<T>, signal: AbortSignal, onQueued?: (queuedMs: number) => void): Promise<T> {
    const lease = await this.acquire(signal);
    let working: Promise<T>;
    try {
      onQueued?.(lease.queuedMs);
      working = work(lease.member);
    } catch (err) {
      working = Promise.reject(err);
    }
    const done = working.finally(() => lease.release());
    if (signal.aborted) {
      done.catch(() => {});
      throw abortError(signal);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        done.catch(() => {});
        reject(abortError(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      done.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** Fail the queued work with the closed error, stop every member, refuse new work. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = this.#options.closedError();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.reject(error);
    }
    const entries = this.#entries.splice(0);
    for (const entry of entries) this.#clearIdle(entry);
    await Promise.allSettled(entries.map((e) => this.#options.stop(e.member, "closed")));
    // Members still starting are stopped as they arrive (#startMember).
    await Promise.allSettled(this.#starts);
  }

  #busyCount(): number {
    let busy = 0;
    for (const e of this.#entries) if (e.busy) busy++;
    return busy;
  }

  /** Start enough members for the waiters that no starting member will serve, within `size`. */
  #grow(): void {
    if (this.#closed) return;
    const free = this.#entries.filter((e) => !e.busy).length;
    while (this.#waiters.length > free + this.#starts.size && this.#entries.length + this.#starts.size < this.#options.size) this.#startMember();
  }

  #startMember(): void {
    this.#startCount++;
    let started: M | Promise<M>;
    try {
      started = this.#options.start();
    } catch (err) {
      started = Promise.reject(err);
    }
    if (!(started instanceof Promise)) {
      this.#join(started);
      return;
    }
    const starting: Promise<void> = started.then(
      (member) => {
        this.#starts.delete(starting);
        if (this.#closed) {
          void this.#options.stop(member, "closed").catch(() => {});
          return;
        }
        this.#join(member);
        this.#dispatch();
      },
      (err: unknown) => {
        this.#starts.delete(starting);
        // Nobody else can serve the queue: it fails with the reason (the next caller tries again).
        if (!this.#closed && this.#entries.length === 0 && this.#starts.size === 0) {
          for (const waiter of this.#waiters.splice(0)) {
            waiter.signal.removeEventListener("abort", waiter.onAbort);
            waiter.reject(err);
          }
        }
        throw err;
      },
    );
    // A warm-up reports the error; a start for queued work has reported it to them.
    starting.catch(() => {});
    this.#starts.add(starting);
  }

  #join(member: M): void {
    this.#entries.push({ member, busy: false, idleTimer: null });
  }

  /** Give free members to the queue's head, dropping members that can no longer work. */
  #dispatch(): void {
    for (;;) {
      while (this.#waiters.length > 0) {
        const entry = this.#freeEntry();
        if (entry === null) break;
        const waiter = this.#waiters.shift()!;
        waiter.signal.removeEventListener("abort", waiter.onAbort);
        waiter.resolve(this.#lease(entry, waiter));
      }
      // A dead member was dropped: start another for whoever still waits (one that starts at once serves now).
      const members = this.#entries.length;
      this.#grow();
      if (this.#waiters.length === 0 || this.#entries.length === members) break;
    }
    for (const entry of this.#entries) if (!entry.busy) this.#armIdle(entry);
  }

  #freeEntry(): Entry<M> | null {
    for (const entry of [...this.#entries]) {
      if (entry.busy) continue;
      if (this.#usable(entry.member)) return entry;
      this.#drop(entry, "unusable");
    }
    return null;
  }

  #usable(member: M): boolean {
    return this.#options.usable?.(member) ?? true;
  }

  #lease(entry: Entry<M>, waiter: Waiter<M>): Lease<M> {
    entry.busy = true;
    this.#clearIdle(entry);
    this.#peakBusy = Math.max(this.#peakBusy, this.#busyCount());
    let released = false;
    return {
      member: entry.member,
      queuedMs: waiter.immediate ? 0 : Math.max(0, this.#now() - waiter.enqueuedAt),
      release: () => {
        if (released) return;
        released = true;
        this.#release(entry);
      },
    };
  }

  #release(entry: Entry<M>): void {
    entry.busy = false;
    if (this.#closed || !this.#entries.includes(entry)) return;
    if (!this.#usable(entry.member)) this.#drop(entry, "unusable");
    this.#dispatch();
  }

  #drop(entry: Entry<M>, reason: "idle" | "unusable"): void {
    this.#clearIdle(entry);
    this.#entries = this.#entries.filter((e) => e !== entry);
    void this.#options.stop(entry.member, reason).catch(() => {});
  }

  /** A free member other than the first is stopped after `idleMs` without work. */
  #armIdle(entry: Entry<M>): void {
    const idleMs = this.#options.idleMs;
    if (idleMs === undefined || entry.idleTimer !== null || this.#entries[0] === entry) return;
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = null;
      if (!entry.busy && !this.#closed && this.#entries.length > 1 && this.#entries[0] !== entry) this.#drop(entry, "idle");
    }, idleMs);
    entry.idleTimer.unref();
  }

  #clearIdle(entry: Entry<M>): void {
    if (entry.idleTimer !== null) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
  }
}
