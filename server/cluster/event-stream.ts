/**
 * A session's events in Redis: the cluster's counterpart of the event log
 * (server/transport/event-log.ts). Each logged event is one entry of the
 * stream `coda:s:{<id>}:events` with the explicit id `<seq>-1` and one
 * field `f` holding the event's exact frame bytes, so every node delivers
 * byte for byte the frame the owner encoded. The stream is capped with
 * `MAXLEN ~ <maxLen>` (Redis trims whole macro nodes, so it may hold a
 * little more; reads apply the exact bound).
 *
 * Appending is one script per batch, atomic and safe to retry:
 * - fenced (optional): written only while `coda:s:{<id>}:owner` holds the
 *   writer's node id, else ClusterError `not_owner`;
 * - idempotent: an entry whose seq the stream already has with the same
 *   bytes is skipped (a retry after a reply lost in an outage), with other
 *   bytes it is ClusterError `conflict` and nothing of the batch is written;
 * - ordered: Redis refuses ids at or below the stream's top, so a batch can
 *   only extend the stream.
 *
 * Reading answers exactly like EventLog.since: the frames after `since`
 * (contiguous from `first_seq`), `missed` for the events after `since` the
 * stream no longer holds (trimmed, or a hole left by an outage backlog that
 * overflowed), `reset` when `since` is ahead of the stream.
 */
import type { LogSlice } from "../transport/event-log.js";
import { ClusterError } from "./errors.js";
import { seqOfEntryId, sessionKeys } from "./keys.js";
import type { RedisClient } from "./redis-client.js";
import { RedisScript } from "./script.js";
import { bufferClient, entryId, type StreamEntry } from "./stream-entries.js";

/** One event as it goes into the stream: its seq and its wire frame. */
export interface StreamEvent {
  seq: number;
  frame: Buffer;
}

export interface AppendOptions {
  /** The stream's cap (MAXLEN ~). */
  maxLen: number;
  /** Write only while this node id holds the session's lease. */
  holder?: string;
}

// KEYS: events, owner. ARGV: holder ("" = not fenced), maxLen, then seq, frame pairs in seq order.
const APPEND = new RedisScript(`
if ARGV[1] ~= '' then
  local owner = redis.call('GET', KEYS[2])
  if owner ~= ARGV[1] then return redis.error_reply('NOTOWNER ' .. tostring(owner)) end
end
local top = 0
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] then top = tonumber(string.match(last[1][1], '^(%d+)')) end
local from = nil
for i = 3, #ARGV, 2 do
  local seq = tonumber(ARGV[i])
  if seq <= top then
    local held = redis.call('XRANGE', KEYS[1], seq .. '-1', seq .. '-1')
    if held[1] and held[1][2][2] ~= ARGV[i + 1] then return redis.error_reply('CONFLICT ' .. seq) end
  elseif from == nil then
    from = i
  end
end
if from ~= nil then
  for i = from, #ARGV, 2 do
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], ARGV[i] .. '-1', 'f', ARGV[i + 1])
  end
end
return top
`);

/**
 * Append `events` (in increasing seq order) to session `session`'s stream
 * in one atomic step. Resolves when Redis has them.
 * @throws ClusterError `not_owner` (fenced and the lease is not `holder`'s), `conflict` (a seq already held with other bytes).
 */
export async function appendEvents(client: RedisClient, session: string, events: readonly StreamEvent[], options: AppendOptions): Promise<void> {
  if (events.length === 0) return;
  const keys = sessionKeys(session);
  const args: (string | Buffer)[] = [options.holder ?? "", String(options.maxLen)];
  for (const e of events) args.push(String(e.seq), e.frame);
  try {
    await APPEND.run(client, [keys.events, keys.owner], args);
  } catch (err) {
    const message = err instanceof Error ? err.message : "";
    if (message.startsWith("NOTOWNER")) {
      const owner = message.slice("NOTOWNER ".length);
      throw new ClusterError("not_owner", `Session ${session}: this node (${options.holder}) does not hold the lease (${owner === "false" ? "nobody does" : `${owner} does`}); events from seq ${events[0]!.seq} were not appended`, { cause: err });
    }
    if (message.startsWith("CONFLICT")) {
      throw new ClusterError("conflict", `Session ${session}: seq ${message.slice("CONFLICT ".length)} is already in the stream with other bytes (another node wrote it); nothing of this batch was appended`, { cause: err });
    }
    throw err;
  }
}

/** Newest seq in the session's stream, 0 when it has none. */
export async function streamLastSeq(client: RedisClient, session: string): Promise<number> {
  const top = (await client.xRevRange(sessionKeys(session).events, "+", "-", { COUNT: 1 }))?.[0];
  return top ? seqOfEntryId(top.id) : 0;
}

export interface ReadSinceOptions {
  /** Most events answered (the newest), like EventLog's maxEvents. Default: all the stream holds. */
  maxEvents?: number;
  /** Most bytes of frames answered (the newest; the newest event even when it alone is larger), like EventLog's maxBytes. */
  maxBytes?: number;
}

/**
 * What the stream holds after `since` (everything when `since` is null), as
 * EventLog.since answers it: frames contiguous from `first_seq`, `missed`
 * events after `since` no longer held, `reset` when `since` is ahead of the
 * stream (then everything held is returned).
 */
export async function readSince(client: RedisClient, session: string, since: number | null, options: ReadSinceOptions = {}): Promise<LogSlice> {
  const key = sessionKeys(session).events;
  const binary = bufferClient(client);
  const start = since === null ? "-" : `${since + 1}-0`;
  const [range, top] = (await binary.multi().xRange(key, start, "+").xRevRange(key, "+", "-", { COUNT: 1 }).exec()) as unknown as [StreamEntry[], StreamEntry[]];
  const last = top[0] ? seqOfEntryId(entryId(top[0])) : 0;
  if (since !== null && since > last) {
    const all = await binary.xRange(key, "-", "+");
    return { ...slice(all as unknown as StreamEntry[], null, last, options), since, reset: true };
  }
  return slice(range, since, last, options);
}

/** The contiguous newest run of `entries` within the bounds, and how many events after `since` it leaves out. */
function slice(entries: readonly StreamEntry[], since: number | null, last: number, options: ReadSinceOptions): LogSlice {
  const maxEvents = options.maxEvents ?? Infinity;
  const maxBytes = options.maxBytes ?? Infinity;
  const frames: Buffer[] = [];
  let bytes = 0;
  let first = last + 1;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    const seq = seqOfEntryId(entryId(entry));
    if (seq !== first - 1) break; // a hole: what lies before it cannot be given contiguously
    const frame = entry.message.f;
    if (!frame) break; // not an event entry: treated as a hole
    if (frames.length >= maxEvents || (frames.length > 0 && bytes + frame.length > maxBytes)) break;
    frames.push(frame);
    bytes += frame.length;
    first = seq;
  }
  frames.reverse();
  const missed = since === null ? 0 : Math.max(0, first - since - 1);
  return { since, frames, first_seq: frames.length ? first : null, last_seq: last, missed, reset: false };
}
