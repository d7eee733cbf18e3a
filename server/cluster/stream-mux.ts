/**
 * One node's reader of Redis streams: ONE connection, blocked in XREAD on
 * every stream the node follows at once (the sessions whose clients it
 * serves, the command streams of the sessions it owns, its own replies),
 * each stream's entries handed to its follower in id order.
 *
 * - Following or unfollowing a stream while the read is blocked wakes it:
 *   the mux appends to the node's wake stream (`coda:n:<node>:wake`, always
 *   part of the read) through the command connection, and the next read
 *   names the new set. No polling: with nothing followed it waits for a
 *   follow, and a quiet read blocks for `blockMs` (default 10 s) at a time.
 * - Each follower's position is the id of the last entry handed to it.
 *   After a lost connection the read starts again from those positions once
 *   the client has reconnected, so an entry is neither skipped nor handed
 *   over twice (unless the stream trimmed it meanwhile: the follower then
 *   sees the jump in ids).
 * - A follower that throws is logged; the others go on. A followed key that
 *   holds something other than a stream (it would fail every read) is
 *   logged and no longer followed.
 *
 * In a Redis Cluster one XREAD may only name keys of one slot: this reader
 * is for a single Redis (or one reader per shard, not built).
 */
import type { Logger } from "../../actors/logger.js";
import { silentLogger } from "../../actors/logger.js";
import { isUnavailableError } from "./errors.js";
import { closeRedis, whenReady, type RedisClient } from "./redis-client.js";
import { bufferClient, entryId, streamTopId, type StreamEntry } from "./stream-entries.js";

/** What a follower is handed: entries of its stream after its position, in id order. */
export type EntriesListener = (entries: StreamEntry[]) => void;

/** A stream followed through the mux. */
export interface Following {
  readonly key: string;
  /** Id of the last entry handed over (or the starting id). */
  readonly lastId: string;
  /** Stop following; entries already read but not handed over are dropped. */
  unfollow(): void;
}

export interface StreamMuxOptions {
  /** The node's command connection: writes the wake entries. */
  client: RedisClient;
  /** A connection for this mux alone (blocked in XREAD); closed with the mux. */
  reader: RedisClient;
  /** The node's wake stream (nodeKeys(node).wake). */
  wakeKey: string;
  /** Longest single block of a quiet read (default 10 000 ms). */
  blockMs?: number;
  /** Most entries per stream per read (default 256). */
  count?: number;
  logger?: Logger;
}

interface Subscription {
  key: string;
  lastId: string;
  listener: EntriesListener;
}

export class StreamMux {
  readonly #client: RedisClient;
  readonly #reader: RedisClient;
  readonly #wakeKey: string;
  readonly #blockMs: number;
  readonly #count: number;
  readonly #logger: Logger;
  readonly #subs = new Map<string, Subscription>();
  readonly #abort = new AbortController();
  #wakeId: string | null = null;
  #reading = false;
  #woken = false;
  #idle: (() => void) | null = null;
  #reads = 0;
  readonly #done: Promise<void>;

  constructor(options: StreamMuxOptions) {
    const { blockMs = 10_000, count = 256 } = options;
    if (!Number.isInteger(blockMs) || blockMs < 1) throw new TypeError(`blockMs must be a positive integer, got ${blockMs}`);
    if (!Number.isInteger(count) || count < 1) throw new TypeError(`count must be a positive integer, got ${count}`);
    this.#client = options.client;
    this.#reader = options.reader;
    this.#wakeKey = options.wakeKey;
    this.#blockMs = blockMs;
    this.#count = count;
    this.#logger = options.logger ?? silentLogger;
    this.#done = this.#run();
  }

  /** Streams followed now. */
  get size(): number {
    return this.#subs.size;
  }

  /** XREAD calls made so far (for tests and metrics: a quiet mux makes none beyond the one blocked). */
  get reads(): number {
    return this.#reads;
  }

  /**
   * Follow `key` from after `afterId` ("0-0": from the start). Following a
   * key already followed replaces that follower.
   */
  follow(key: string, afterId: string, listener: EntriesListener): Following {
    if (this.#abort.signal.aborted) throw new Error("The stream reader is closed");
    const sub: Subscription = { key, lastId: afterId, listener };
    this.#subs.set(key, sub);
    this.#changed();
    return {
      key,
      get lastId() {
        return sub.lastId;
      },
      unfollow: () => {
        if (this.#subs.get(key) !== sub) return;
        this.#subs.delete(key);
        this.#changed();
      },
    };
  }

  /** Follow `key` from its newest entry on (only what is appended from now). */
  async followNew(key: string, listener: EntriesListener): Promise<Following> {
    return this.follow(key, await streamTopId(this.#client, key), listener);
  }

  /** Stop reading and close the reader connection. */
  async close(): Promise<void> {
    if (this.#abort.signal.aborted) return this.#done;
    this.#abort.abort();
    this.#subs.clear();
    this.#idle?.();
    closeRedis(this.#reader);
    await this.#done;
  }

  /** The set changed: a blocked read must be woken to name the new set; an idle loop must start. */
  #changed(): void {
    if (this.#idle) {
      this.#idle();
      return;
    }
    if (!this.#reading || this.#woken) return;
    this.#woken = true;
    this.#client.xAdd(this.#wakeKey, "*", { w: "1" }, { TRIM: { strategy: "MAXLEN", threshold: 1 } }).catch(() => {
      // Redis is away: the blocked read fails too, and the loop names the new set when it is back.
    });
  }

  /** Stop following keys that hold something other than a stream, so the other followers go on. */
  async #dropNonStreams(asked: ReadonlyMap<string, Subscription>): Promise<void> {
    try {
      const keys = [this.#wakeKey, ...asked.keys()];
      const types = await Promise.all(keys.map((key) => this.#client.type(key)));
      keys.forEach((key, i) => {
        if (types[i] === "stream" || types[i] === "none") return;
        this.#logger.error("followed key is not a stream: no longer followed", { key, type: String(types[i]) });
        if (key === this.#wakeKey) return;
        if (this.#subs.get(key) === asked.get(key)) this.#subs.delete(key);
      });
    } catch {
      /* Redis away: the next read says so */
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const reader = bufferClient(this.#reader);
    let backoff = 50;
    while (!signal.aborted) {
      if (this.#subs.size === 0) {
        await new Promise<void>((resolve) => (this.#idle = resolve));
        this.#idle = null;
        continue;
      }
      let reply: { name: string | Buffer; messages: StreamEntry[] }[] | null;
      // The followers this read names: entries are handed only to those still current when it returns.
      let asked = new Map<string, Subscription>();
      try {
        // Known before the set is taken: a wake written after that must be newer than the id the read names.
        this.#wakeId ??= await streamTopId(this.#reader, this.#wakeKey);
        this.#reading = true;
        this.#woken = false;
        asked = new Map(this.#subs);
        const streams = [{ key: this.#wakeKey, id: this.#wakeId }, ...[...asked.values()].map((s) => ({ key: s.key, id: s.lastId }))];
        this.#reads++;
        reply = (await reader.xRead(streams, { BLOCK: this.#blockMs, COUNT: this.#count })) as unknown as typeof reply;
        backoff = 50;
      } catch (err) {
        this.#reading = false;
        if (signal.aborted) break;
        if (isUnavailableError(err) && !this.#reader.isReady) {
          this.#logger.warn("stream reader lost its connection; resuming from the last delivered entries", { error: err instanceof Error ? err.message : String(err) });
          await whenReady(this.#reader, signal);
        } else {
          // Refused by Redis (a followed key that is not a stream: one such key fails the whole read), or a connection that flaps: do not spin.
          this.#logger.error("stream read failed; trying again", { error: err instanceof Error ? err.message : String(err) });
          await this.#dropNonStreams(asked);
          await new Promise((r) => setTimeout(r, backoff).unref());
          backoff = Math.min(backoff * 2, 2000);
        }
        continue;
      }
      this.#reading = false;
      if (!reply) continue;
      for (const stream of reply) {
        const key = stream.name.toString();
        const last = stream.messages.at(-1);
        if (!last) continue;
        if (key === this.#wakeKey) {
          this.#wakeId = entryId(last);
          continue;
        }
        const sub = asked.get(key);
        // Unfollowed, or replaced by a new follower with its own position, while the read was out.
        if (!sub || this.#subs.get(key) !== sub) continue;
        sub.lastId = entryId(last);
        try {
          sub.listener(stream.messages);
        } catch (err) {
          this.#logger.error("stream follower failed", { key, error: String((err as Error)?.stack ?? err) });
        }
      }
    }
  }
}
