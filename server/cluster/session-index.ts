/**
 * The cluster's list of sessions, for `GET /sessions` on any node:
 * `coda:sessions` (a sorted set of session ids by creation time) and, per
 * session, `coda:s:{<id>}:meta` (created, last_active, turns, epoch) and
 * `coda:s:{<id>}:clients` (node id -> clients of the session there). A
 * listing reads, in one pipelined round trip per session, its meta, its
 * clients, its lease (the node that runs it: `node`, null while nobody
 * does, e.g. during a failover) and its stream's newest seq (`last_seq`,
 * always current, with no write per event). Client counts of nodes that
 * are no longer live (the caller passes the live set) are left out, so a
 * dead node's clients do not linger. Removing a closed session deletes
 * every key it has except its lease (released by its holder).
 */
import { SESSIONS_KEY, seqOfEntryId, sessionKeys } from "./keys.js";
import { listNodes } from "./node-registry.js";
import type { RedisClient } from "./redis-client.js";

/** One session as the cluster lists it. */
export interface ClusterSession {
  id: string;
  /** The node that runs it now, or null while nobody does. */
  node: string | null;
  /** Clients of the session on all live nodes. */
  clients: number;
  /** Clients per live node. */
  clients_by_node: Record<string, number>;
  last_seq: number;
  turns: number;
  /** ISO times. */
  created: string;
  last_active: string;
  /** The epoch of its event log (seq restarts under a new one). */
  epoch: string | null;
}

/** What the owner records about a session (any subset). */
export interface SessionMetaUpdate {
  created?: Date;
  last_active?: Date;
  turns?: number;
  epoch?: string;
  node?: string;
}

export class SessionIndex {
  readonly #client: RedisClient;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  /** Record a session (created now unless `created` says otherwise) or update what it holds. */
  async upsert(id: string, update: SessionMetaUpdate): Promise<void> {
    const keys = sessionKeys(id);
    const fields: Record<string, string> = {};
    if (update.created) fields.created = update.created.toISOString();
    if (update.last_active) fields.last_active = update.last_active.toISOString();
    if (update.turns !== undefined) fields.turns = String(update.turns);
    if (update.epoch !== undefined) fields.epoch = update.epoch;
    if (update.node !== undefined) fields.node = update.node;
    const created = update.created ?? new Date();
    await Promise.all([
      // NX: the first record of a session fixes its place in the list.
      this.#client.zAdd(SESSIONS_KEY, { score: created.getTime(), value: id }, { condition: "NX" }),
      this.#client.hSetNX(keys.meta, "created", created.toISOString()),
      Object.keys(fields).length ? this.#client.hSet(keys.meta, fields) : Promise.resolve(0),
    ]);
  }

  /** How many clients of session `id` node `node` serves now (0 removes the node's count). */
  async setClients(id: string, node: string, count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new TypeError(`a client count must be a non-negative integer, got ${count}`);
    const key = sessionKeys(id).clients;
    if (count === 0) await this.#client.hDel(key, node);
    else await this.#client.hSet(key, node, String(count));
  }

  /**
   * Every indexed session, oldest first. `liveNodes`: the ids of live nodes
   * (default: the node registry's live entries); counts of other nodes are left out.
   */
  async list(liveNodes?: Iterable<string>): Promise<ClusterSession[]> {
    const ids = await this.#client.zRange(SESSIONS_KEY, 0, -1);
    const live = new Set(liveNodes ?? (await listNodes(this.#client)).map((n) => n.id));
    const rows = await Promise.all(ids.map((id) => this.#row(id, live)));
    return rows.filter((r): r is ClusterSession => r !== null);
  }

  /** Forget a closed session: its index entry, meta, client counts, events, history and command stream. */
  async remove(id: string): Promise<void> {
    const keys = sessionKeys(id);
    await Promise.all([this.#client.zRem(SESSIONS_KEY, id), this.#client.del([keys.meta, keys.clients, keys.events, keys.history, keys.cmd])]);
  }

  async #row(id: string, live: ReadonlySet<string>): Promise<ClusterSession | null> {
    const keys = sessionKeys(id);
    const [meta, clients, owner, top] = await Promise.all([
      this.#client.hGetAll(keys.meta),
      this.#client.hGetAll(keys.clients),
      this.#client.get(keys.owner),
      this.#client.xRevRange(keys.events, "+", "-", { COUNT: 1 }),
    ]);
    // Removed between the range and this read.
    if (!meta.created) return null;
    const byNode: Record<string, number> = {};
    let total = 0;
    for (const [node, count] of Object.entries(clients)) {
      if (!live.has(node)) continue;
      byNode[node] = Number(count);
      total += Number(count);
    }
    return {
      id,
      node: owner,
      clients: total,
      clients_by_node: byNode,
      last_seq: top?.[0] ? seqOfEntryId(top[0].id) : 0,
      turns: Number(meta.turns ?? 0),
      created: meta.created,
      last_active: meta.last_active ?? meta.created,
      epoch: meta.epoch ?? null,
    };
  }
}
