/**
 * Redis going away under a running session and coming back (a real
 * redis-server with its append-only file, killed and restarted): the
 * health flag follows it, the owner's events produced meanwhile wait in
 * order and are appended when it returns, the stream ends up holding every
 * event once in seq order, and a node following the session over the
 * outage hands each event over exactly once. Past the backlog's bound the
 * oldest waiting events are dropped, and a resume says how many.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { readSince, RedisHealth, SessionFollower, sessionKeys, StreamAppender, type RedisHealthStatus, type StreamEvent } from "../../../server/cluster/index.js";
import { streamEntries, useRedis, useRedisClients } from "../../helpers/redis.js";
import { until } from "../../helpers/wait.js";

const redis = useRedis({ aof: true });
const { connect, node } = useRedisClients(redis);
beforeEach(async () => {
  if (!redis().running) await redis().start();
  await redis().flush();
});

const event = (seq: number): StreamEvent => ({ seq, frame: Buffer.from(JSON.stringify({ type: "llm_progress", data: { turn_id: "t1", delta: `part ${seq}`, index: seq }, timestamp: "2026-01-01T00:00:00.000Z", seq })) });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("Redis lost and back", () => {
  it("keeps the events of the outage in order and appends them when Redis returns: every event once, in seq order, on the stream and at a follower", async () => {
    const owner = await connect("owner");
    const health = new RedisHealth();
    health.watch("owner", owner);
    const changes: boolean[] = [];
    health.onChange((status: RedisHealthStatus) => changes.push(status.ok));
    const follower = await node("b");
    const seen: number[] = [];
    new SessionFollower(follower.mux).follow("s1", 0, (batch) => seen.push(...batch.events.map((e) => e.seq)));
    const appender = new StreamAppender({ client: owner, session: "s1", maxLen: 10_000 });
    const states: string[] = [];
    appender.onState((s) => states.push(s));

    for (const seq of range(1, 50)) appender.append(event(seq));
    await appender.flushed();
    await until(() => seen.length === 50, "the follower to have the first 50");

    await redis().stop("SIGKILL");
    await until(() => !health.ok, "the health flag to drop");
    for (const seq of range(51, 80)) appender.append(event(seq));
    await until(() => appender.state === "backlog", "the appender to hold its events");
    expect(appender.pending).toBe(30);
    expect(health.status()).toMatchObject({ ok: false, down: ["owner"] });

    await redis().start();
    await until(() => health.ok, "the health flag to come back", 15_000);
    await appender.flushed();
    for (const seq of range(81, 100)) appender.append(event(seq));
    await appender.flushed();

    const entries = await streamEntries(owner, sessionKeys("s1").events);
    expect(entries.map((e) => e.id)).toEqual(range(1, 100).map((s) => `${s}-1`));
    expect(entries.map((e) => e.message.f)).toEqual(range(1, 100).map((s) => event(s).frame.toString()));
    await until(() => seen.length >= 100, "the follower to have all 100", 15_000);
    expect(seen).toEqual(range(1, 100));
    expect(states).toEqual(["backlog", "ok"]);
    expect(changes).toEqual([false, true]);
    expect(appender.dropped).toBe(0);
    expect(appender.appendedSeq).toBe(100);
    health.close();
    appender.close();
  });

  it("drops the oldest waiting events past the backlog's bound, and a resume reports them as missed", async () => {
    const owner = await connect("owner");
    const appender = new StreamAppender({ client: owner, session: "s1", maxLen: 10_000, maxBacklog: 5 });
    for (const seq of range(1, 4)) appender.append(event(seq));
    await appender.flushed();
    expect(appender.dropped).toBe(0);
    await redis().stop("SIGKILL");
    // 5 goes out alone (and fails); 6..24 wait, and only the newest 5 of them are kept.
    for (const seq of range(5, 24)) appender.append(event(seq));
    expect(appender.dropped).toBe(14);
    expect(appender.pending).toBe(6);
    await redis().start();
    await appender.flushed();
    const entries = await streamEntries(owner, sessionKeys("s1").events);
    expect(entries.map((e) => e.id)).toEqual([...range(1, 5), ...range(20, 24)].map((s) => `${s}-1`));
    const resume = await readSince(owner, "s1", 5);
    expect(resume).toMatchObject({ since: 5, first_seq: 20, last_seq: 24, missed: 14, reset: false });
    expect(resume.frames.map(String)).toEqual(range(20, 24).map((s) => event(s).frame.toString()));
    appender.close();
  });

  it("refuses a seq that does not follow the last one (the caller's bug) and keeps the events it has", async () => {
    const owner = await connect("owner");
    const appender = new StreamAppender({ client: owner, session: "s1", maxLen: 100 });
    appender.append(event(1));
    expect(() => appender.append(event(1))).toThrow(new TypeError("Session s1: seq 1 does not follow 1"));
    await appender.flushed();
    expect(await owner.xLen(sessionKeys("s1").events)).toBe(1);
    appender.close();
    expect(() => appender.append(event(2))).toThrow("The stream appender of session s1 is closed");
  });
});

describe("a fenced appender", () => {
  it("stops when the lease is not its node's, keeps its events, and appends them once the node holds the lease again", async () => {
    const owner = await connect("owner");
    await owner.set(sessionKeys("s1").owner, "node-a");
    const appender = new StreamAppender({ client: owner, session: "s1", maxLen: 100, holder: "node-a" });
    appender.append(event(1));
    await appender.flushed();
    await owner.set(sessionKeys("s1").owner, "node-b");
    appender.append(event(2));
    appender.append(event(3));
    const err = await appender.flushed().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "not_owner" });
    expect(appender.state).toBe("fenced");
    expect(appender.pending).toBe(2);
    await owner.set(sessionKeys("s1").owner, "node-a");
    appender.resume();
    await appender.flushed();
    expect((await streamEntries(owner, sessionKeys("s1").events)).map((e) => e.id)).toEqual(["1-1", "2-1", "3-1"]);
    appender.close();
  });

  it("drops what it holds when told the session is lost", async () => {
    const owner = await connect("owner");
    const appender = new StreamAppender({ client: owner, session: "s1", maxLen: 100, holder: "node-a" });
    appender.append(event(1));
    await expect(appender.flushed()).rejects.toMatchObject({ code: "not_owner" });
    expect(appender.discard()).toBe(1);
    expect(appender.pending).toBe(0);
    expect(await owner.exists(sessionKeys("s1").events)).toBe(0);
    appender.close();
  });
});
