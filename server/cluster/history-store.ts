/**
 * The chat history of a session in Redis (`coda:s:{<id>}:history`): the
 * owner writes it (JSON) after each turn, so a node that takes the session
 * over answers the next question with the earlier turns in the model's
 * history. The write can be fenced by the session's lease (written only
 * while this node holds it: a node that lost the session cannot overwrite
 * its successor's history) and is bounded (`maxBytes`, default 1 MiB: a
 * larger history is refused with ClusterError `too_large`, the stored one
 * is kept). Reading validates with the caller's schema; a stored value
 * that is not valid is reported, not returned.
 */
import type { z } from "zod";
import { ClusterError } from "./errors.js";
import { sessionKeys } from "./keys.js";
import type { RedisClient } from "./redis-client.js";
import { RedisScript } from "./script.js";

export interface HistoryStoreOptions<T> {
  client: RedisClient;
  /** What a history is; read values are checked against it. */
  schema: z.ZodType<T>;
  /** Largest history stored, in bytes of JSON (default 1 MiB). */
  maxBytes?: number;
}

// KEYS: owner, history. ARGV: holder, JSON. NOTOWNER when the lease is not the holder's.
const FENCED_SET = new RedisScript(`
local owner = redis.call('GET', KEYS[1])
if owner ~= ARGV[1] then return redis.error_reply('NOTOWNER ' .. tostring(owner)) end
redis.call('SET', KEYS[2], ARGV[2])
return 1
`);

export class HistoryStore<T> {
  readonly #client: RedisClient;
  readonly #schema: z.ZodType<T>;
  readonly #maxBytes: number;

  constructor(options: HistoryStoreOptions<T>) {
    const { maxBytes = 1024 * 1024 } = options;
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new TypeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    this.#client = options.client;
    this.#schema = options.schema;
    this.#maxBytes = maxBytes;
  }

  /**
   * Store `history` as session `session`'s (replacing the earlier one).
   * With `holder`, only while that node holds the session's lease.
   * @throws ClusterError `too_large`, `not_owner`; a Redis error when it cannot be reached.
   */
  async write(session: string, history: T, options: { holder?: string } = {}): Promise<void> {
    const keys = sessionKeys(session);
    const json = JSON.stringify(history);
    const bytes = Buffer.byteLength(json);
    if (bytes > this.#maxBytes) throw new ClusterError("too_large", `Session ${session}: the chat history is ${bytes} bytes, over the ${this.#maxBytes} bytes a session may store; the stored history is kept`);
    if (options.holder === undefined) {
      await this.#client.set(keys.history, json);
      return;
    }
    try {
      await FENCED_SET.run(this.#client, [keys.owner, keys.history], [options.holder, json]);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("NOTOWNER")) throw new ClusterError("not_owner", `Session ${session}: this node (${options.holder}) does not hold the lease; the history was not written`, { cause: err });
      throw err;
    }
  }

  /**
   * The stored history of `session`, or null when it has none.
   * @throws Error naming the session when the stored value is not valid JSON or not a valid history.
   */
  async read(session: string): Promise<T | null> {
    const text = await this.#client.get(sessionKeys(session).history);
    if (text === null) return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`Session ${session}: the stored chat history is not valid JSON`);
    }
    const parsed = this.#schema.safeParse(value);
    if (!parsed.success) throw new Error(`Session ${session}: the stored chat history is not valid (${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")})`);
    return parsed.data;
  }
}
