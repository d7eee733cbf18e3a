/**
 * Noticing that a session's owner is gone: a node with clients of a session
 * it does not run checks, every leaseMs/2, whether anybody still holds the
 * session's lease, and reports each session without one (at every check
 * while none holds it), so the node can try to take it over
 * (Lease.acquire: one node wins). One pipelined EXISTS per watched
 * session per check; a check that cannot reach Redis reports nothing (the
 * health flag says why) and the next one tries again.
 */
import type { Logger } from "../../actors/logger.js";
import { silentLogger } from "../../actors/logger.js";
import { systemClock, type Clock } from "../pipeline/playout.js";
import { sessionKeys } from "./keys.js";
import type { RedisClient } from "./redis-client.js";

export interface LeaseWatcherOptions {
  client: RedisClient;
  /** The leases' TTL; the watcher checks every leaseMs/2. */
  leaseMs: number;
  /** Called for each watched session nobody holds, at each check. */
  onExpired: (session: string) => void;
  clock?: Clock;
  logger?: Logger;
}

export class LeaseWatcher {
  readonly #client: RedisClient;
  readonly #intervalMs: number;
  readonly #onExpired: (session: string) => void;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #sessions = new Set<string>();
  #timer: unknown = null;
  #checking: Promise<string[]> | null = null;
  #closed = false;

  constructor(options: LeaseWatcherOptions) {
    if (!Number.isInteger(options.leaseMs) || options.leaseMs < 2) throw new TypeError(`leaseMs must be an integer of at least 2, got ${options.leaseMs}`);
    this.#client = options.client;
    this.#intervalMs = Math.floor(options.leaseMs / 2);
    this.#onExpired = options.onExpired;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Sessions watched now. */
  get sessions(): string[] {
    return [...this.#sessions];
  }

  /** Watch `session`'s lease (starts the checks if it is the first). */
  watch(session: string): void {
    sessionKeys(session); // the id must be valid
    this.#sessions.add(session);
    if (this.#timer === null && !this.#closed) this.#schedule();
  }

  /** Stop watching `session` (e.g. this node took it over, or its last client here left). */
  unwatch(session: string): void {
    this.#sessions.delete(session);
  }

  /** Check every watched session now; resolves with those nobody holds (each also reported to onExpired). */
  check(): Promise<string[]> {
    return (this.#checking ??= this.#checkOnce().finally(() => (this.#checking = null)));
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #checkOnce(): Promise<string[]> {
    const sessions = [...this.#sessions];
    let held: number[];
    try {
      held = await Promise.all(sessions.map((s) => this.#client.exists(sessionKeys(s).owner)));
    } catch (err) {
      this.#logger.warn("lease check failed: redis unavailable", { error: err instanceof Error ? err.message : String(err) });
      return [];
    }
    // Unwatched while the check was out: not reported.
    const expired = sessions.filter((s, i) => held[i] === 0 && this.#sessions.has(s) && !this.#closed);
    for (const session of expired) {
      try {
        this.#onExpired(session);
      } catch (err) {
        this.#logger.error("lease expiry listener failed", { session, error: String((err as Error)?.stack ?? err) });
      }
    }
    return expired;
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      if (this.#closed || this.#sessions.size === 0) return;
      void this.check();
      this.#schedule();
    }, this.#intervalMs);
  }
}
