/**
 * Following session streams through each node's one blocking reader: two
 * nodes (two connections each, as real nodes) receive every event of
 * several sessions in seq order, byte for byte, with no gap and no
 * duplicate; following a session while the read is blocked takes effect at
 * once; a quiet reader issues no further reads; a follower starts after the
 * seq it names and reports seqs it could not get.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { appendEvents, SessionFollower, type SessionEvents, type StreamEvent } from "../../../server/cluster/index.js";
import { useRedis, useRedisClients } from "../../helpers/redis.js";
import { sleep, until } from "../../helpers/wait.js";

const redis = useRedis();
const { connect, node } = useRedisClients(redis);
beforeEach(() => redis().flush());

const frame = (session: string, seq: number) => Buffer.from(JSON.stringify({ type: "llm_progress", data: { turn_id: "t1", delta: `${session}·${seq}`, index: seq }, timestamp: "2026-01-01T00:00:00.000Z", seq }));

/** Everything a node's follower hands over, per session, in the order handed. */
function recorder() {
  const got = new Map<string, StreamEvent[]>();
  const batches: SessionEvents[] = [];
  return {
    got,
    batches,
    listener: (batch: SessionEvents) => {
      batches.push(batch);
      got.set(batch.session, [...(got.get(batch.session) ?? []), ...batch.events]);
    },
    seqs: (session: string) => (got.get(session) ?? []).map((e) => e.seq),
  };
}

describe("delivery to the nodes that follow a session", () => {
  it("gives two nodes every event of three sessions in seq order, the same bytes, no gap, no duplicate", async () => {
    const writer = await connect("owner");
    const [a, b] = [await node("a"), await node("b")];
    const sessions = ["s1", "s2", "s3"];
    const onA = recorder();
    const onB = recorder();
    for (const s of sessions) {
      new SessionFollower(a.mux).follow(s, 0, onA.listener);
      new SessionFollower(b.mux).follow(s, 0, onB.listener);
    }
    // Interleaved writes, in batches of different sizes, while both readers are blocked.
    const total = 120;
    for (let seq = 1; seq <= total; seq += 3) {
      for (const s of sessions) {
        const batch = [seq, seq + 1, seq + 2].map((n) => ({ seq: n, frame: frame(s, n) }));
        await appendEvents(writer, s, batch, { maxLen: 1000 });
      }
    }
    const all = Array.from({ length: total }, (_, i) => i + 1);
    await until(() => sessions.every((s) => onA.seqs(s).length >= total && onB.seqs(s).length >= total), "both nodes to have every event");
    for (const s of sessions) {
      expect(onA.seqs(s)).toEqual(all);
      expect(onB.seqs(s)).toEqual(all);
      expect(onA.got.get(s)!.every((e) => e.frame.equals(frame(s, e.seq)))).toBe(true);
      expect(Buffer.concat(onA.got.get(s)!.map((e) => e.frame)).equals(Buffer.concat(onB.got.get(s)!.map((e) => e.frame)))).toBe(true);
    }
    expect([...onA.batches, ...onB.batches].every((batch) => batch.missed === 0)).toBe(true);
  });

  it("starts after the seq a follower names (a client resuming on this node)", async () => {
    const writer = await connect();
    const a = await node("a");
    await appendEvents(writer, "s1", [1, 2, 3, 4, 5].map((seq) => ({ seq, frame: frame("s1", seq) })), { maxLen: 100 });
    const on = recorder();
    const followed = new SessionFollower(a.mux).follow("s1", 3, on.listener);
    await until(() => on.seqs("s1").length === 2, "the events after seq 3");
    await appendEvents(writer, "s1", [{ seq: 6, frame: frame("s1", 6) }], { maxLen: 100 });
    await until(() => on.seqs("s1").length === 3, "the next event");
    expect(on.seqs("s1")).toEqual([4, 5, 6]);
    expect(followed.lastSeq).toBe(6);
  });

  it("reports the seqs a follower could not get (trimmed before it read them) before the batch that follows them", async () => {
    const writer = await connect();
    const a = await node("a");
    const events = Array.from({ length: 400 }, (_, i) => ({ seq: i + 1, frame: frame("s1", i + 1) }));
    for (const e of events) await appendEvents(writer, "s1", [e], { maxLen: 10 });
    const held = await writer.xLen("coda:s:{s1}:events");
    const on = recorder();
    new SessionFollower(a.mux).follow("s1", 0, on.listener);
    await until(() => on.seqs("s1").at(-1) === 400, "the newest event");
    expect(on.batches[0]!.missed).toBe(400 - held);
    expect(on.seqs("s1")).toEqual(events.slice(400 - held).map((e) => e.seq));
  });

  it("reports a hole inside what it reads as the `missed` before the events after it", async () => {
    const writer = await connect();
    const a = await node("a");
    await appendEvents(writer, "s1", [1, 2, 5, 6].map((seq) => ({ seq, frame: frame("s1", seq) })), { maxLen: 100 });
    const on = recorder();
    new SessionFollower(a.mux).follow("s1", 0, on.listener);
    await until(() => on.seqs("s1").length === 4, "every event");
    expect(on.batches.map((b) => ({ seqs: b.events.map((e) => e.seq), missed: b.missed }))).toEqual([
      { seqs: [1, 2], missed: 0 },
      { seqs: [5, 6], missed: 2 },
    ]);
  });
});

describe("one reader per node, following a changing set", () => {
  it("takes a session followed while its read is blocked into the read at once, and drops one unfollowed", async () => {
    const writer = await connect();
    // A read that would block for a minute: only the wake can make the new follower count before that.
    const a = await node("a", { blockMs: 60_000 });
    const on = recorder();
    const follower = new SessionFollower(a.mux);
    const s1 = follower.follow("s1", 0, on.listener);
    await until(() => a.mux.reads === 1, "the first read");
    follower.follow("s2", 0, on.listener);
    await appendEvents(writer, "s2", [{ seq: 1, frame: frame("s2", 1) }], { maxLen: 100 });
    await until(() => on.seqs("s2").length === 1, "the event of the session followed while blocked");
    s1.unfollow();
    await appendEvents(writer, "s1", [{ seq: 1, frame: frame("s1", 1) }], { maxLen: 100 });
    await appendEvents(writer, "s2", [{ seq: 2, frame: frame("s2", 2) }], { maxLen: 100 });
    await until(() => on.seqs("s2").length === 2, "the next event of s2");
    expect(on.seqs("s1")).toEqual([]);
    expect(a.mux.size).toBe(1);
  });

  it("makes no read while it follows nothing, and no further read while its streams are quiet", async () => {
    const a = await node("a", { blockMs: 60_000 });
    await sleep(100);
    expect(a.mux.reads).toBe(0);
    const on = recorder();
    new SessionFollower(a.mux).follow("s1", 0, on.listener);
    await until(() => a.mux.reads === 1, "the first read");
    await sleep(300);
    expect(a.mux.reads).toBe(1);
    const info = await (await connect()).clientList();
    expect(info.filter((c) => c.name === "coda:a:reader" && c.cmd === "xread")).toHaveLength(1);
  });

  it("stops following a key that is not a stream (it would fail every read) and keeps the others going", async () => {
    const writer = await connect();
    const a = await node("a");
    const on = recorder();
    const follower = new SessionFollower(a.mux);
    await writer.set("coda:s:{broken}:events", "not a stream");
    follower.follow("broken", 0, on.listener);
    follower.follow("good", 0, on.listener);
    await appendEvents(writer, "good", [{ seq: 1, frame: frame("good", 1) }], { maxLen: 100 });
    await until(() => on.seqs("good").length === 1, "the good session's event");
    expect(a.mux.size).toBe(1);
  });

  it("keeps the other followers going when one throws", async () => {
    const writer = await connect();
    const a = await node("a");
    const on = recorder();
    const follower = new SessionFollower(a.mux);
    follower.follow("bad", 0, () => {
      throw new Error("a consumer bug");
    });
    follower.follow("good", 0, on.listener);
    await appendEvents(writer, "bad", [{ seq: 1, frame: frame("bad", 1) }], { maxLen: 100 });
    await appendEvents(writer, "good", [{ seq: 1, frame: frame("good", 1) }], { maxLen: 100 });
    await appendEvents(writer, "good", [{ seq: 2, frame: frame("good", 2) }], { maxLen: 100 });
    await until(() => on.seqs("good").length === 2, "the good follower's events");
    expect(on.seqs("good")).toEqual([1, 2]);
  });
});
