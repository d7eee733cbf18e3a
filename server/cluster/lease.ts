/**
 * A session's lease: which node runs its machine. The key
 * `coda:s:{<id>}:owner` holds the owner's node id with a TTL of `leaseMs`:
 *
 * - acquire: `SET key node NX PX leaseMs`: one node wins, the others get null;
 * - renew: every leaseMs/3 a script compares the holder and, if it is still
 *   this node, pushes the expiry out again (`PEXPIRE`), so two failed
 *   renewals in a row still leave the lease held;
 * - release: a script deletes the key only if this node holds it;
 * - lost: listeners hear why when the lease stops being this node's:
 *   `taken` (another node holds it), `expired` (the key is gone: this node
 *   did not renew in time), `unreachable` (no renewal has reached Redis for
 *   a whole leaseMs: another node may take it, so this one must act as if it
 *   had), `released` (released on purpose).
 *
 * Time is measured on an injectable clock (the renewal timer and the
 * unreachable check), so tests drive it by hand; the TTL itself runs on
 * Redis's clock.
 */
import type { Logger } from "../../actors/logger.js";
import { silentLogger } from "../../actors/logger.js";
import { systemClock, type Clock } from "../pipeline/playout.js";
import { checkNodeId, sessionKeys } from "./keys.js";
import type { RedisClient } from "./redis-client.js";
import { RedisScript } from "./script.js";

/** Why a lease stopped being held. */
export type LeaseLoss = "taken" | "expired" | "unreachable" | "released";

/** Default lease TTL (ms): a dead owner's sessions are taken over within it. */
export const DEFAULT_LEASE_MS = 5000;

export interface LeaseOptions {
  client: RedisClient;
  session: string;
  /** This node's id (the value the key holds). */
  holder: string;
  /** TTL of the lease (default 5000 ms, at least 30). */
  leaseMs?: number;
  clock?: Clock;
  logger?: Logger;
}

// KEYS: owner. ARGV: holder, leaseMs. Returns 1 renewed, 0 gone, or the other holder's id.
const RENEW = new RedisScript(`
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if v == false then return 0 end
return v
`);

// KEYS: owner. ARGV: holder. Returns 1 when this holder's lease was deleted.
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

function checkLeaseMs(leaseMs: number): number {
  if (!Number.isInteger(leaseMs) || leaseMs < 30) throw new TypeError(`leaseMs must be an integer of at least 30, got ${leaseMs}`);
  return leaseMs;
}

export class Lease {
  readonly session: string;
  readonly holder: string;
  readonly leaseMs: number;
  readonly #client: RedisClient;
  readonly #key: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #listeners = new Set<(reason: LeaseLoss) => void>();
  /** Clock time at which the last successful renewal (or the acquire) was sent. */
  #confirmedAt: number;
  #timer: unknown = null;
  #renewing: Promise<boolean> | null = null;
  #lost: LeaseLoss | null = null;
  #stopped = false;

  private constructor(options: LeaseOptions, leaseMs: number, sentAt: number) {
    this.session = options.session;
    this.holder = options.holder;
    this.leaseMs = leaseMs;
    this.#client = options.client;
    this.#key = sessionKeys(options.session).owner;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#confirmedAt = sentAt;
    this.#schedule();
  }

  /**
   * Take the session's lease if nobody holds it. Resolves with the held
   * lease (renewing itself from now on) or null when another node holds it.
   * @throws when Redis cannot be reached (the caller treats the session as not owned).
   */
  static async acquire(options: LeaseOptions): Promise<Lease | null> {
    const leaseMs = checkLeaseMs(options.leaseMs ?? DEFAULT_LEASE_MS);
    checkNodeId(options.holder);
    const clock = options.clock ?? systemClock;
    const sentAt = clock.now();
    const reply = await options.client.set(sessionKeys(options.session).owner, options.holder, { NX: true, PX: leaseMs });
    return reply === "OK" ? new Lease(options, leaseMs, sentAt) : null;
  }

  /** The node holding `session`'s lease now, or null. */
  static async holderOf(client: RedisClient, session: string): Promise<string | null> {
    return client.get(sessionKeys(session).owner);
  }

  /** True until the lease is lost, released or stopped. */
  get held(): boolean {
    return this.#lost === null && !this.#stopped;
  }

  /** Why it was lost, or null while held. */
  get lostReason(): LeaseLoss | null {
    return this.#lost;
  }

  /** Call `listener` once when the lease is lost; returns the unsubscribe. */
  onLost(listener: (reason: LeaseLoss) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Renew now (the timer does it every leaseMs/3). Resolves true when the
   * lease is still this node's. A failure to reach Redis resolves false
   * only once a whole leaseMs has passed without a renewal (then the lease
   * is lost as `unreachable`); before that it resolves true.
   */
  renew(): Promise<boolean> {
    if (!this.held) return Promise.resolve(false);
    return (this.#renewing ??= this.#renewOnce().finally(() => (this.#renewing = null)));
  }

  /** Give the lease up (compare-and-delete); resolves true when it was still this node's. */
  async release(): Promise<boolean> {
    const wasHeld = this.held;
    this.#stop();
    if (!wasHeld) return false;
    this.#lose("released");
    try {
      return (await RELEASE.run(this.#client, [this.#key], [this.holder])) === 1;
    } catch {
      // Redis is away: the key expires by itself within leaseMs.
      return false;
    }
  }

  /** Stop renewing without releasing (the lease expires after leaseMs): what a node that stops abruptly leaves behind. */
  abandon(): void {
    this.#stop();
  }

  async #renewOnce(): Promise<boolean> {
    const sentAt = this.#clock.now();
    try {
      const reply = await RENEW.run(this.#client, [this.#key], [this.holder, String(this.leaseMs)]);
      if (!this.held) return false;
      if (reply === 1) {
        this.#confirmedAt = sentAt;
        return true;
      }
      this.#logger.warn("session lease lost", { session: this.session, node: this.holder, owner: reply === 0 ? null : String(reply) });
      this.#lose(reply === 0 ? "expired" : "taken");
      return false;
    } catch (err) {
      if (!this.held) return false;
      if (this.#overdue()) {
        this.#logger.error("session lease lost: redis unreachable for a whole lease", { session: this.session, node: this.holder, error: err instanceof Error ? err.message : String(err) });
        this.#lose("unreachable");
        return false;
      }
      return true;
    }
  }

  #overdue(): boolean {
    return this.#clock.now() - this.#confirmedAt >= this.leaseMs;
  }

  #schedule(): void {
    if (!this.held) return;
    this.#timer = this.#clock.setTimeout(() => this.#timerOnTick(), Math.floor(this.leaseMs / 3));
  }

  #timerOnTick(): void {
    this.#timer = null;
    if (!this.held) return;
    // A renewal still out (Redis slow or away) does not stop the clock: past the lease it is lost whatever the reply.
    if (this.#renewing && this.#overdue()) {
      this.#logger.error("session lease lost: no renewal reached redis for a whole lease", { session: this.session, node: this.holder });
      this.#lose("unreachable");
      return;
    }
    void this.renew();
    this.#schedule();
  }

  #lose(reason: LeaseLoss): void {
    if (this.#lost) return;
    this.#lost = reason;
    this.#stop();
    for (const listener of this.#listeners) listener(reason);
    this.#listeners.clear();
  }

  #stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
