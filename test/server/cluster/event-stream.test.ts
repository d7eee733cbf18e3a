/**
 * A session's event stream in Redis: appended in seq order with the exact
 * frame bytes, read by seq exactly as the single-node EventLog answers
 * (the events after `since`, the gap as `missed`, `reset` past the end),
 * safe to retry, and fenced by the session's lease.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { appendEvents, ClusterError, readSince, sessionKeys, streamLastSeq, type StreamEvent } from "../../../server/cluster/index.js";
import { makeEvent } from "../../../server/protocol/index.js";
import { EventLog } from "../../../server/transport/event-log.js";
import { streamEntries, useRedis, useRedisClients } from "../../helpers/redis.js";

const redis = useRedis();
const { connect } = useRedisClients(redis);
beforeEach(() => redis().flush());

const delta = (i: number) => makeEvent("llm_progress", { turn_id: "t1", delta: `d${i} é ✓`, index: i });

/** `count` events logged by a real EventLog (so frames and seqs are what the server would send), and the log. */
function logged(count: number, bounds = { maxEvents: 1000, maxBytes: 1 << 20 }) {
  const log = new EventLog(bounds);
  const events: StreamEvent[] = [];
  for (let i = 0; i < count; i++) {
    const { event, frame } = log.append(delta(i));
    events.push({ seq: event.seq, frame });
  }
  return { log, events };
}

describe("appending and reading by seq", () => {
  it("keeps every event as entry <seq>-1 holding its exact frame bytes, in seq order", async () => {
    const client = await connect();
    const { events } = logged(5);
    await appendEvents(client, "kitchen", events.slice(0, 2), { maxLen: 100 });
    await appendEvents(client, "kitchen", events.slice(2), { maxLen: 100 });
    const entries = await streamEntries(client, sessionKeys("kitchen").events);
    expect(entries.map((e) => e.id)).toEqual(["1-1", "2-1", "3-1", "4-1", "5-1"]);
    const slice = await readSince(client, "kitchen", null);
    expect(slice.frames.map((f, i) => f.equals(events[i]!.frame))).toEqual([true, true, true, true, true]);
    expect(await streamLastSeq(client, "kitchen")).toBe(5);
    expect(await streamLastSeq(client, "empty")).toBe(0);
  });

  it("answers every `since` exactly as the EventLog with the same bounds does", async () => {
    const client = await connect();
    for (const bounds of [{ maxEvents: 1000, maxBytes: 1 << 20 }, { maxEvents: 4, maxBytes: 1 << 20 }, { maxEvents: 1000, maxBytes: 300 }]) {
      await redis().flush();
      const { log, events } = logged(12, bounds);
      await appendEvents(client, "s1", events, { maxLen: bounds.maxEvents });
      for (const since of [null, 0, 1, 5, 7, 8, 11, 12, 13, 40]) {
        const fromRedis = await readSince(client, "s1", since, bounds);
        const fromLog = log.since(since);
        expect({ ...fromRedis, frames: fromRedis.frames.map(String) }, `since ${since} with ${JSON.stringify(bounds)}`).toEqual({ ...fromLog, frames: fromLog.frames.map(String) });
      }
    }
  });

  it("says how many events it can no longer give when the stream was trimmed past `since`", async () => {
    const client = await connect();
    const { events } = logged(300);
    // MAXLEN ~ 10 trims whole macro nodes: Redis keeps at least the last 10, maybe more.
    for (const e of events) await appendEvents(client, "s1", [e], { maxLen: 10 });
    const held = await client.xLen(sessionKeys("s1").events);
    expect(held).toBeGreaterThanOrEqual(10);
    expect(held).toBeLessThan(300);
    const slice = await readSince(client, "s1", 3);
    expect(slice.missed).toBe(300 - held - 3);
    expect(slice.first_seq).toBe(300 - held + 1);
    expect(slice.frames).toHaveLength(held);
    expect(slice.last_seq).toBe(300);
    // Within what is held: exactly the events after `since`, nothing missed.
    const recent = await readSince(client, "s1", 295);
    expect(recent.frames.map(String)).toEqual(events.slice(295).map((e) => String(e.frame)));
    expect(recent.missed).toBe(0);
  });

  it("resets a `since` ahead of the stream (another epoch's seq) and gives what it holds", async () => {
    const client = await connect();
    const { events } = logged(3);
    await appendEvents(client, "s1", events, { maxLen: 100 });
    const slice = await readSince(client, "s1", 9);
    expect(slice).toMatchObject({ since: 9, reset: true, first_seq: 1, last_seq: 3, missed: 0 });
    expect(slice.frames).toHaveLength(3);
  });

  it("answers a session with no stream as empty", async () => {
    const client = await connect();
    expect(await readSince(client, "nobody", 0)).toEqual({ since: 0, frames: [], first_seq: null, last_seq: 0, missed: 0, reset: false });
  });
});

describe("retries and writers that are not the owner", () => {
  it("skips events it already holds with the same bytes (a retry after a lost reply) and appends the rest", async () => {
    const client = await connect();
    const { events } = logged(6);
    await appendEvents(client, "s1", events.slice(0, 4), { maxLen: 100 });
    await appendEvents(client, "s1", events.slice(2), { maxLen: 100 });
    const entries = await streamEntries(client, sessionKeys("s1").events);
    expect(entries.map((e) => e.id)).toEqual(["1-1", "2-1", "3-1", "4-1", "5-1", "6-1"]);
  });

  it("refuses a batch with a seq already held with other bytes, writing nothing of it", async () => {
    const client = await connect();
    const { events } = logged(3);
    await appendEvents(client, "s1", events.slice(0, 2), { maxLen: 100 });
    const other = { seq: 2, frame: Buffer.from('{"type":"other"}') };
    const err = await appendEvents(client, "s1", [other, events[2]!], { maxLen: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err).toMatchObject({ code: "conflict", message: "Session s1: seq 2 is already in the stream with other bytes (another node wrote it); nothing of this batch was appended" });
    expect(await streamLastSeq(client, "s1")).toBe(2);
  });

  it("appends a fenced batch only while the writer holds the session's lease", async () => {
    const client = await connect();
    const { events } = logged(2);
    const refused = await appendEvents(client, "s1", events.slice(0, 1), { maxLen: 100, holder: "node-a" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "not_owner", message: "Session s1: this node (node-a) does not hold the lease (nobody does); events from seq 1 were not appended" });
    await client.set(sessionKeys("s1").owner, "node-b");
    const taken = await appendEvents(client, "s1", events.slice(0, 1), { maxLen: 100, holder: "node-a" }).catch((e: unknown) => e);
    expect(taken).toMatchObject({ code: "not_owner", message: "Session s1: this node (node-a) does not hold the lease (node-b does); events from seq 1 were not appended" });
    expect(await streamLastSeq(client, "s1")).toBe(0);
    await client.set(sessionKeys("s1").owner, "node-a");
    await appendEvents(client, "s1", events, { maxLen: 100, holder: "node-a" });
    expect(await streamLastSeq(client, "s1")).toBe(2);
  });

  it("refuses a session id that could escape its hash tag", async () => {
    const client = await connect();
    await expect(appendEvents(client, "a}b", logged(1).events, { maxLen: 10 })).rejects.toThrow(TypeError);
  });
});
