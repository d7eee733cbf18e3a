/**
 * One node's connections to the cluster's Redis, opened together: the
 * command connection (every block's writes and reads), the reader (the one
 * connection blocked in XREAD, behind the node's StreamMux), and the health
 * flag that follows both. This is the function start-up calls: Redis
 * unreachable is ClusterError `redis_unavailable` with exitCode 2, and
 * nothing is left open.
 */
import type { Logger } from "../../actors/logger.js";
import { RedisHealth } from "./health.js";
import { checkNodeId, nodeKeys } from "./keys.js";
import { closeRedis, openRedis, type RedisClient, type RedisConnectOptions } from "./redis-client.js";
import { StreamMux } from "./stream-mux.js";

export interface ClusterNodeOptions extends Omit<RedisConnectOptions, "name"> {
  /** This node's id (`--node-id`). */
  node: string;
  /** Longest single block of the reader's quiet XREAD (default 10 000 ms). */
  blockMs?: number;
  logger?: Logger;
}

/** A node's open connections. */
export interface ClusterNode {
  readonly node: string;
  /** The command connection. */
  readonly client: RedisClient;
  /** The node's one reader. */
  readonly mux: StreamMux;
  /** Ok while both connections are ready. */
  readonly health: RedisHealth;
  /** Close the reader, then the command connection. */
  close(): Promise<void>;
}

/**
 * Open node `node`'s connections to the Redis at `url`.
 * @example
 * const cluster = await openClusterNode({ url: "redis://cache:6379", node: "node-a" });
 * // on failure: process.exit(err instanceof ClusterError ? err.exitCode : 1)
 * @throws ClusterError `redis_unavailable` (exitCode 2); TypeError for a bad URL or node id.
 */
export async function openClusterNode(options: ClusterNodeOptions): Promise<ClusterNode> {
  const { node: id, blockMs, logger, ...connect } = options;
  const node = checkNodeId(id);
  const client = await openRedis({ ...connect, name: `coda:${node}` });
  let reader: RedisClient;
  try {
    reader = await openRedis({ ...connect, name: `coda:${node}:reader` });
  } catch (err) {
    closeRedis(client);
    throw err;
  }
  const health = new RedisHealth();
  health.watch("commands", client);
  health.watch("reader", reader);
  const mux = new StreamMux({ client, reader, wakeKey: nodeKeys(node).wake, ...(blockMs ? { blockMs } : {}), ...(logger ? { logger } : {}) });
  return {
    node,
    client,
    mux,
    health,
    async close() {
      await mux.close();
      health.close();
      closeRedis(client);
    },
  };
}
