/**
 * Connecting to Redis with the official `redis` client (node-redis), loaded
 * on first use so that a server without `--redis-url` never loads it.
 *
 * Every cluster connection is made the same way: commands fail at once
 * while the connection is down (no offline queue: the blocks keep their own
 * ordered backlog or report `unavailable`), the client reconnects by itself
 * with a capped backoff once it has been connected, and the first
 * connection fails fast: Redis unreachable at start-up is a ClusterError
 * `redis_unavailable` (exit code 2) naming the URL without its password.
 */
import type { RedisClientType } from "redis";
import { ClusterError } from "./errors.js";

/** A node-redis client as the cluster blocks use it. */
export type RedisClient = RedisClientType;

export interface RedisConnectOptions {
  /** `redis://[user:password@]host:port[/db]` (or rediss:// for TLS). */
  url: string;
  /** The connection's name in CLIENT LIST (e.g. "coda:node-a:reader"). */
  name?: string;
  /** How long a connection attempt may take (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Longest wait between reconnection attempts once connected (default 2000 ms; attempts start at 50 ms and double). */
  reconnectMaxMs?: number;
  /** How long a command may wait for its reply before failing (default 5000 ms; blocking reads are exempt). */
  commandTimeoutMs?: number;
}

/** `url` without its password, for messages and logs ("redis://:***@cache:6379"). */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(an unparsable Redis URL)";
  }
}

/** True for a URL the Redis client accepts (redis:// or rediss://). */
export function isRedisUrl(value: string): boolean {
  return /^rediss?:\/\/[^/]/i.test(value);
}

/**
 * Open one connection to Redis and wait until it is ready.
 *
 * @example
 * const client = await openRedis({ url: "redis://cache.internal:6379", name: "coda:node-a" });
 * @throws TypeError for a URL that is not redis:// or rediss://.
 * @throws ClusterError `redis_unavailable` (exitCode 2) when Redis cannot be reached or refuses the connection.
 */
export async function openRedis(options: RedisConnectOptions): Promise<RedisClient> {
  const { url } = options;
  if (typeof url !== "string" || !isRedisUrl(url)) throw new TypeError(`Invalid Redis URL ${JSON.stringify(redactRedisUrl(String(url)))}: expected redis://host:port or rediss://host:port`);
  for (const key of ["connectTimeoutMs", "reconnectMaxMs", "commandTimeoutMs"] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new TypeError(`${key} must be a positive integer, got ${value}`);
  }
  const reconnectMaxMs = options.reconnectMaxMs ?? 2000;
  const { createClient } = await import("redis");
  let connected = false;
  const client = createClient({
    url,
    ...(options.name ? { name: options.name } : {}),
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 5000 },
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 5000,
      // Before the first connection: give up at once (start-up reports it); after: keep trying, 50 ms doubling up to the cap.
      reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(50 * 2 ** Math.min(retries, 16), reconnectMaxMs) : cause),
    },
  }) as unknown as RedisClient;
  // Without a listener an error event would end the process; the health tracker and each block watch the state instead.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    client.destroy();
    const detail = err instanceof Error ? err.message : String(err);
    throw new ClusterError("redis_unavailable", `Redis at ${redactRedisUrl(url)} cannot be reached (${detail})`, { cause: err });
  }
  connected = true;
  return client;
}

/** Close `client` without waiting for replies still due (they fail); safe to call twice. */
export function closeRedis(client: RedisClient): void {
  if (client.isOpen) client.destroy();
}

/**
 * Resolve once `client` is ready again (at once if it is), or when `signal`
 * aborts. For a block that waits out an outage instead of polling.
 */
export function whenReady(client: RedisClient, signal?: AbortSignal): Promise<void> {
  if (client.isReady || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      client.off("ready", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    client.on("ready", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
