/**
 * The registry of live nodes (`coda:nodes`, a hash: node id -> JSON). Each
 * node heartbeats every ttlMs/3 with what placement needs: its sessions,
 * its reported load figure, its maxSessions, whether it is draining. An
 * entry not refreshed within ttlMs is expired: listing leaves it out and
 * removes it. Expiry is measured on Redis's clock (TIME, inside the same
 * script as the write), so nodes whose clocks disagree still agree on who
 * is alive.
 */
import { z } from "zod";
import type { Logger } from "../../actors/logger.js";
import { silentLogger } from "../../actors/logger.js";
import { systemClock, type Clock } from "../pipeline/playout.js";
import { checkNodeId, NODES_KEY } from "./keys.js";
import type { PlacementCandidate } from "./placement.js";
import type { RedisClient } from "./redis-client.js";
import { RedisScript } from "./script.js";

/** A live node as the registry lists it. */
export const NodeInfoSchema = z.object({
  id: z.string(),
  sessions: z.number().int().nonnegative(),
  load: z.number().nonnegative(),
  maxSessions: z.number().int().positive(),
  draining: z.boolean(),
  /** Redis time of its last heartbeat (ms since the epoch). */
  heartbeat_at: z.number(),
  /** Redis time after which it counts as gone (ms since the epoch). */
  expires_at: z.number(),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema> & PlacementCandidate;

/** What a node reports at each heartbeat. */
export interface NodeReport {
  sessions: number;
  load: number;
  draining: boolean;
}

/** Default time after which a node that stopped heartbeating counts as gone (ms). */
export const DEFAULT_NODE_TTL_MS = 5000;

export interface NodeRegistryOptions {
  client: RedisClient;
  /** This node's id. */
  id: string;
  maxSessions: number;
  /** What to report at each heartbeat. */
  report: () => NodeReport;
  /** How long an entry lives without a heartbeat (default 5000 ms; heartbeats every ttlMs/3). */
  ttlMs?: number;
  clock?: Clock;
  logger?: Logger;
}

// KEYS: nodes. ARGV: id, info JSON, ttlMs.
const HEARTBEAT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local info = cjson.decode(ARGV[2])
info.heartbeat_at = now
info.expires_at = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(info))
return now
`);

// KEYS: nodes. Returns the live entries; removes the expired (and unreadable) ones.
const LIST = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local ok, info = pcall(cjson.decode, all[i + 1])
  if ok and type(info) == 'table' and tonumber(info.expires_at) and tonumber(info.expires_at) > now then
    table.insert(live, all[i + 1])
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return live
`);

/** The live nodes of the cluster (expired entries are removed as a side effect). */
export async function listNodes(client: RedisClient): Promise<NodeInfo[]> {
  const entries = (await LIST.run(client, [NODES_KEY], [])) as string[];
  const nodes: NodeInfo[] = [];
  for (const entry of entries) {
    const parsed = NodeInfoSchema.safeParse(JSON.parse(entry));
    if (parsed.success) nodes.push(parsed.data);
  }
  return nodes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export class NodeRegistry {
  readonly id: string;
  readonly maxSessions: number;
  readonly ttlMs: number;
  readonly #client: RedisClient;
  readonly #report: () => NodeReport;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #timer: unknown = null;
  #stopped = false;

  constructor(options: NodeRegistryOptions) {
    const { ttlMs = DEFAULT_NODE_TTL_MS, maxSessions } = options;
    if (!Number.isInteger(ttlMs) || ttlMs < 30) throw new TypeError(`ttlMs must be an integer of at least 30, got ${ttlMs}`);
    if (!Number.isInteger(maxSessions) || maxSessions < 1) throw new TypeError(`maxSessions must be a positive integer, got ${maxSessions}`);
    this.id = checkNodeId(options.id);
    this.maxSessions = maxSessions;
    this.ttlMs = ttlMs;
    this.#client = options.client;
    this.#report = options.report;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Heartbeat now, then every ttlMs/3. Rejects when the first heartbeat cannot reach Redis. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.heartbeat();
    this.#schedule();
  }

  /** Write this node's entry now. */
  async heartbeat(): Promise<void> {
    const { sessions, load, draining } = this.#report();
    if (!Number.isInteger(sessions) || sessions < 0) throw new TypeError(`a node's sessions must be a non-negative integer, got ${sessions}`);
    if (!Number.isFinite(load) || load < 0) throw new TypeError(`a node's load must be a non-negative number, got ${load}`);
    const info = { id: this.id, sessions, load, maxSessions: this.maxSessions, draining };
    await HEARTBEAT.run(this.#client, [NODES_KEY], [this.id, JSON.stringify(info), String(this.ttlMs)]);
  }

  /** The live nodes, this one included while it heartbeats. */
  list(): Promise<NodeInfo[]> {
    return listNodes(this.#client);
  }

  /** Stop heartbeating and remove this node's entry (a drained node leaving). */
  async leave(): Promise<void> {
    this.stop();
    await this.#client.hDel(NODES_KEY, this.id);
  }

  /** Stop heartbeating; the entry expires after ttlMs (what a node that dies leaves behind). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      if (this.#stopped) return;
      this.heartbeat().catch((err: unknown) => this.#logger.warn("node heartbeat failed", { node: this.id, error: err instanceof Error ? err.message : String(err) }));
      this.#schedule();
    }, Math.floor(this.ttlMs / 3));
  }
}
