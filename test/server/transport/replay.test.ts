/**
 * Event log, replay and resume: a late joiner's replay, resume after a seq
 * with no gap and no duplicate, a gap that is reported, a restarted server.
 */
import { describe, expect, it } from "vitest";
import { EventLog } from "../../../server/transport/event-log.js";
import { TestClient } from "../../helpers/client.js";
import { useServers } from "../../helpers/server.js";

const servers = useServers();

const delta = (i: number) => ({ type: "llm_progress" as const, data: { turn_id: "t1", delta: `d${i}`, index: i } });

async function serverWith(events: number, options: Parameters<typeof servers.server>[0] = {}) {
  const server = await servers.server(options);
  for (let i = 0; i < events; i++) await server.broadcast(delta(i));
  return server;
}

const start = (turn: string) => ({ type: "llm_start" as const, data: { turn_id: turn, engine: "scripted", model: "m", round: 0 } });
const result = (turn: string, text: string) => ({ type: "llm_result" as const, data: { turn_id: turn, text, finish_reason: "stop" as const, rounds: 1, duration_ms: 5 } });
const cut = (turn: string) => ({ type: "turn_interrupted" as const, data: { turn_id: turn, reason: "stop" as const, state: "speaking" as const, by: null, heard_ms: 0, heard_text: "" } });

/** Turn t1 whole: llm_start (seq 1), `deltas` llm_progress, llm_result, turn_interrupted (the turn is over). */
async function serverWithFinishedTurn(deltas: number, options: Parameters<typeof servers.server>[0] = {}) {
  const server = await servers.server(options);
  await server.broadcast(start("t1"));
  for (let i = 0; i < deltas; i++) await server.broadcast(delta(i));
  await server.broadcast(result("t1", "the answer"));
  await server.broadcast(cut("t1"));
  return server;
}

async function connect(url: string) {
  const c = await servers.client(url);
  const status = await c.waitForType("connection_status");
  const replay = await c.waitForType("replay");
  return { c, status, replay };
}

const stamp = <T extends object>(e: T) => ({ ...e, timestamp: new Date().toISOString() });
const seqsOf = (slice: { frames: Buffer[] }) => slice.frames.map((f) => (JSON.parse(f.toString()) as { seq: number }).seq);

describe("EventLog", () => {
  it("numbers events from 1 and keeps the newest maxEvents", () => {
    const log = new EventLog({ maxEvents: 3, maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) log.append(stamp(delta(i)));
    expect(log.lastSeq).toBe(5);
    expect(log.firstSeq).toBe(3);
    expect(seqsOf(log.since(null))).toEqual([3, 4, 5]);
    expect(log.since(3)).toMatchObject({ missed: 0, reset: false, first_seq: 4 });
    expect(log.since(0)).toMatchObject({ missed: 2, first_seq: 3 });
    expect(log.since(5)).toMatchObject({ frames: [], missed: 0, first_seq: null, last_seq: 5 });
    expect(log.since(9)).toMatchObject({ reset: true, first_seq: 3 });
  });

  it("is bounded in bytes too: the oldest go until the JSON of the rest fits", () => {
    const first = new EventLog({ maxEvents: 100, maxBytes: 1 << 20 }).append(stamp(delta(0)));
    const size = first.frame.length; // every delta(i) for i < 10 encodes to the same length
    const log = new EventLog({ maxEvents: 100, maxBytes: size * 4 + 10 });
    for (let i = 0; i < 9; i++) log.append(stamp(delta(i)));
    expect(log.size).toBe(4);
    expect(log.bytes).toBe(size * 4);
    expect(seqsOf(log.since(null))).toEqual([6, 7, 8, 9]);
    expect(log.since(2)).toMatchObject({ missed: 3, first_seq: 6 });
    // The frame kept is the frame broadcast: the event's JSON with its seq.
    expect(JSON.parse(log.since(8).frames[0]!.toString())).toMatchObject({ type: "llm_progress", seq: 9, data: { delta: "d8" } });
  });

  it("keeps the newest event even when it alone is over the byte bound", () => {
    const log = new EventLog({ maxEvents: 10, maxBytes: 10 });
    log.append(stamp(delta(0)));
    log.append(stamp(delta(1)));
    expect(seqsOf(log.since(null))).toEqual([2]);
  });

  it("a zero-size log still counts seq and reports everything as missed", () => {
    const log = new EventLog({ maxEvents: 0, maxBytes: 1000 });
    log.append(stamp(delta(0)));
    expect(log.since(0)).toMatchObject({ frames: [], missed: 1, last_seq: 1 });
  });

  it("refuses a negative size with a TypeError", () => {
    expect(() => new EventLog({ maxEvents: -1, maxBytes: 0 })).toThrow(TypeError);
    expect(() => new EventLog({ maxEvents: 1, maxBytes: -1 })).toThrow(TypeError);
  });
});

describe("replay over WebSocket", () => {
  it("a new client gets connection_status, then one replay of the buffered events, in order", async () => {
    const server = await serverWith(5);
    const { c, status, replay } = await connect(server.wsUrl);
    expect(c.messages.slice(0, 2).map((m) => m.type)).toEqual(["connection_status", "replay"]);
    expect(status.data).toMatchObject({ status: "connected", client_id: expect.stringMatching(/^c\d+$/), protocol_version: "1.0", last_seq: 5, replay_size: 10_000, replay_max_bytes: 4 * 1024 * 1024, replay_turns: 20, epoch: server.epoch });
    // The turn is still running, so its progress is all there.
    expect(replay.data).toMatchObject({ since: null, kind: "conversation", turns: ["t1"], first_seq: 1, last_seq: 5, missed: 0, reset: false });
    const frame = Buffer.byteLength(JSON.stringify(replay));
    expect(status.data.replay).toEqual({ kind: "conversation", events: 5, turns: 1, missed: 0, bytes: frame });
    expect(replay.data.events.map((e) => [e.seq, (e.data as { delta: string }).delta])).toEqual([1, 2, 3, 4, 5].map((s) => [s, `d${s - 1}`]));
    expect(replay.seq).toBeUndefined();
  });

  it("a new client gets a finished turn's results without its progress, whatever replaySize is", async () => {
    const server = await serverWithFinishedTurn(8, { replaySize: 3 });
    await server.broadcast(start("t2"));
    await server.broadcast(delta(0)); // turn t1's id: a late progress event of a finished turn is not kept
    const { replay } = await connect(server.wsUrl);
    expect(replay.data.events.map((e) => [e.seq, e.type])).toEqual([
      [1, "llm_start"],
      [10, "llm_result"],
      [11, "turn_interrupted"],
      [12, "llm_start"],
    ]);
    expect(replay.data).toMatchObject({ kind: "conversation", turns: ["t1", "t2"], first_seq: 1, last_seq: 13, missed: 0 });
  });

  it("keeps the last replayTurns turns; older ones go whole", async () => {
    const server = await servers.server({ replayTurns: 2 });
    for (const t of ["t1", "t2", "t3"]) {
      await server.broadcast(start(t));
      await server.broadcast(result(t, `answer ${t}`));
    }
    const { replay } = await connect(server.wsUrl);
    expect(replay.data.turns).toEqual(["t2", "t3"]);
    expect(replay.data.events.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    expect(server.conversation().map((e) => e.seq)).toEqual([3, 4, 5, 6]);
  });

  it("resume with ?since=N gets exactly the events after N: no gap, no duplicate", async () => {
    const server = await serverWith(3);
    const first = await connect(server.wsUrl);
    await server.broadcast(delta(3));
    await first.c.waitFor((m) => m.seq === 4);
    const lastSeen = Math.max(...first.c.messages.map((m) => m.seq ?? 0), ...first.replay.data.events.map((e) => e.seq));
    await first.c.close();
    // Events happen while the client is away.
    for (let i = 4; i < 7; i++) await server.broadcast(delta(i));
    const again = await connect(`${server.wsUrl}/?since=${lastSeen}`);
    expect(again.replay.data).toMatchObject({ since: 4, first_seq: 5, last_seq: 7, missed: 0, reset: false });
    const seen = [...first.replay.data.events.map((e) => e.seq), ...first.c.ofType("llm_progress").map((m) => m.seq!), ...again.replay.data.events.map((e) => e.seq)];
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("a gap the log no longer covers is filled from the conversation; the rest is counted as missed", async () => {
    // seq 1 llm_start, 2..8 llm_progress, 9 llm_result, 10 turn_interrupted; the log keeps 7..10.
    const server = await serverWithFinishedTurn(7, { replaySize: 4 });
    const { status, replay } = await connect(`${server.wsUrl}?since=0`);
    expect(replay.data).toMatchObject({ since: 0, kind: "resume", first_seq: 1, last_seq: 10, missed: 5, reset: false, turns: [] });
    expect(replay.data.events.map((e) => e.seq)).toEqual([1, 7, 8, 9, 10]);
    expect(status.data.replay).toMatchObject({ kind: "resume", events: 5, missed: 5 });
    // Nothing to fill from: the folded progress of a finished turn is just missed.
    const later = await connect(`${server.wsUrl}?since=2`);
    expect(later.replay.data).toMatchObject({ since: 2, first_seq: 7, missed: 4 });
  });

  it("since ahead of the log (server restarted) is flagged as reset and gets the new run's conversation", async () => {
    const server = await serverWith(2);
    const { replay } = await connect(`${server.wsUrl}?since=500`);
    expect(replay.data).toMatchObject({ since: 500, reset: true, kind: "conversation", turns: ["t1"], missed: 0, first_seq: 1, last_seq: 2 });
  });

  it("since=last seq gets an empty replay", async () => {
    const server = await serverWith(2);
    const { replay } = await connect(`${server.wsUrl}?since=2`);
    expect(replay.data).toMatchObject({ events: [], first_seq: null, missed: 0, reset: false });
  });

  it("a malformed since is refused at the upgrade with HTTP 400", async () => {
    const server = await serverWith(0);
    await expect(TestClient.connect(`${server.wsUrl}?since=abc`)).rejects.toMatchObject({ status: 400, body: expect.stringContaining("since must be a non-negative integer") });
  });

  it("get_replay answers the requester only, before its ack, with what a connection would get; not logged", async () => {
    const server = await serverWithFinishedTurn(7, { replaySize: 4 });
    const { c, replay: welcome } = await connect(server.wsUrl);
    const other = await connect(server.wsUrl);
    const ask = async (data: object, id: string) => {
      const from = c.messages.length;
      const ack = await c.command("get_replay", data, id);
      const answers = c.messages.slice(from).filter((m) => m.type !== "connection_status"); // presence may come any time
      expect(answers.map((m) => m.type)).toEqual(["replay", "command_ack"]);
      expect(ack.data).toEqual({ id, command: "get_replay" });
      return answers[0] as Extract<typeof answers[0], { type: "replay" }>;
    };
    // No since: the conversation, as in the welcome.
    const conversation = await ask({}, "r1");
    expect(conversation.data).toEqual(welcome.data);
    expect(conversation.data).toMatchObject({ since: null, kind: "conversation", turns: ["t1"] });
    // since: every logged event after it that is still held (and the conversation's part of what is not).
    const resume = await ask({ since: 8 }, "r2");
    expect(resume.data).toMatchObject({ since: 8, kind: "resume", first_seq: 9, last_seq: 10, missed: 0, turns: [] });
    expect(resume.data.events.map((e) => e.type)).toEqual(["llm_result", "turn_interrupted"]);
    const gap = await ask({ since: 0 }, "r3");
    expect(gap.data).toMatchObject({ since: 0, kind: "resume", missed: 5 });
    // A since from another run: reset, with this run's conversation.
    const ahead = await ask({ since: 99 }, "r4");
    expect(ahead.data).toMatchObject({ since: 99, reset: true, kind: "conversation" });
    // Bad data is refused like any command.
    const bad = await c.command("get_replay", { since: -1 }, "r5");
    expect(bad.data).toMatchObject({ id: "r5", code: "invalid_data" });
    expect(server.lastSeq).toBe(10);
    expect(other.c.messages.filter((m) => m.type === "replay")).toHaveLength(1);
  });

  it("live events continue after the replay with the next seq", async () => {
    const server = await serverWith(2);
    const { c } = await connect(server.wsUrl);
    const logged = await server.broadcast(delta(2));
    expect(logged.seq).toBe(3);
    const live = await c.waitFor((m) => m.type === "llm_progress");
    expect(live).toEqual(logged);
  });
});
