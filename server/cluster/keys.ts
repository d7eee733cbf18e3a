/**
 * The Redis key layout of a Coda cluster, in one place (docs/deployment.md
 * lists it). Every key starts with `coda:`. A session's keys share the hash
 * tag `{<session id>}`, so a future Redis Cluster keeps them in one slot and
 * a script may touch several of them at once (the fenced append reads the
 * lease and writes the stream).
 *
 * | key | type | what |
 * | --- | --- | --- |
 * | `coda:s:{<id>}:events` | stream | the session's logged events, entry `<seq>-1`, field `f` = the frame |
 * | `coda:s:{<id>}:owner` | string | the lease: the owner node's id, with a TTL |
 * | `coda:s:{<id>}:meta` | hash | created, last_active, turns, node, epoch |
 * | `coda:s:{<id>}:clients` | hash | node id -> clients of the session on that node |
 * | `coda:s:{<id>}:history` | string | the chat history (JSON) as of the last turn |
 * | `coda:s:{<id>}:cmd` | stream | commands forwarded to the owner |
 * | `coda:n:<node>:replies` | stream | replies for one node's clients |
 * | `coda:n:<node>:wake` | stream | wakes the node's blocking reader when what it follows changes |
 * | `coda:nodes` | hash | node id -> its last heartbeat (JSON) |
 * | `coda:sessions` | sorted set | session ids by creation time |
 */
import { USER_ID_PATTERN } from "../../actors/contracts/index.js";

/** What a session id may be (the rule users share, issue 22): 1 to 64 of A-Z a-z 0-9 _ -. */
export const SESSION_ID_PATTERN = USER_ID_PATTERN;

/** What a node id may be: 1 to 128 of A-Z a-z 0-9 _ - . : (a host name and a pid fit). */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The registry of live nodes. */
export const NODES_KEY = "coda:nodes";
/** The index of sessions (ids by creation time). */
export const SESSIONS_KEY = "coda:sessions";

/** The keys of one session. */
export interface SessionKeys {
  events: string;
  owner: string;
  meta: string;
  clients: string;
  history: string;
  cmd: string;
}

/**
 * The keys of session `id`; throws a TypeError for an id outside the
 * session id rule (it could otherwise break out of its hash tag).
 * @example sessionKeys("kitchen").events // "coda:s:{kitchen}:events"
 */
export function sessionKeys(id: string): SessionKeys {
  if (typeof id !== "string" || !SESSION_ID_PATTERN.test(id)) throw new TypeError(`Invalid session id ${JSON.stringify(id)}: a session id is 1 to 64 letters, digits, '_' or '-'`);
  const base = `coda:s:{${id}}:`;
  return { events: `${base}events`, owner: `${base}owner`, meta: `${base}meta`, clients: `${base}clients`, history: `${base}history`, cmd: `${base}cmd` };
}

/** The keys of one node. */
export interface NodeKeys {
  replies: string;
  wake: string;
}

/** The keys of node `id`; throws a TypeError for an id outside the node id rule. */
export function nodeKeys(id: string): NodeKeys {
  checkNodeId(id);
  return { replies: `coda:n:${id}:replies`, wake: `coda:n:${id}:wake` };
}

/** `id` when it is a valid node id, else a TypeError naming the rule. */
export function checkNodeId(id: string): string {
  if (typeof id !== "string" || !NODE_ID_PATTERN.test(id)) throw new TypeError(`Invalid node id ${JSON.stringify(id)}: a node id is 1 to 128 letters, digits, '_', '-', '.' or ':'`);
  return id;
}

/** The stream entry id of an event's seq: `<seq>-1` (explicit, so a resume after seq N is a range from `<N+1>-0`). */
export function entryIdOf(seq: number): string {
  return `${seq}-1`;
}

/** The seq of a stream entry id `<seq>-<n>`. */
export function seqOfEntryId(id: string): number {
  return Number(id.slice(0, id.indexOf("-")));
}
