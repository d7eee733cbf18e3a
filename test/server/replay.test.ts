/**
 * Event log, replay and resume: a late joiner's replay, resume after a seq
 * with no gap and no duplicate, a gap that is reported, a restarted server.
 */
import { describe, expect, it } from "vitest";
import { EventLog } from "../../server/event-log.js";
import { TestClient } from "../helpers/client.js";
import { useServers } from "../helpers/server.js";

const servers = useServers();

const delta = (i: number) => ({ type: "llm_progress" as const, data: { turn_id: "t1", delta: `d${i}`, index: i } });

async function serverWith(events: number, options: Parameters<typeof servers.server>[0] = {}) {
  const server = await servers.server(options);
  for (let i = 0; i < events; i++) await server.broadcast(delta(i));
  return server;
}

async function connect(url: string) {
  const c = await servers.client(url);
  const status = await c.waitForType("connection_status");
  const replay = await c.waitForType("replay");
  return { c, status, replay };
}

describe("EventLog", () => {
  it("numbers events from 1 and keeps the newest `capacity`", () => {
    const log = new EventLog(3);
    for (let i = 0; i < 5; i++) log.append({ ...delta(i), timestamp: new Date().toISOString() });
    expect(log.lastSeq).toBe(5);
    expect(log.firstSeq).toBe(3);
    expect(log.since(null).events.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(log.since(3)).toMatchObject({ missed: 0, reset: false, first_seq: 4 });
    expect(log.since(0)).toMatchObject({ missed: 2, first_seq: 3 });
    expect(log.since(5)).toMatchObject({ events: [], missed: 0, first_seq: null, last_seq: 5 });
    expect(log.since(9)).toMatchObject({ reset: true, first_seq: 3 });
  });

  it("a zero-size log still counts seq and reports everything as missed", () => {
    const log = new EventLog(0);
    log.append({ ...delta(0), timestamp: new Date().toISOString() });
    expect(log.since(0)).toMatchObject({ events: [], missed: 1, last_seq: 1 });
  });

  it("refuses a negative size with a TypeError", () => {
    expect(() => new EventLog(-1)).toThrow(TypeError);
  });
});

describe("replay over WebSocket", () => {
  it("a new client gets connection_status, then one replay of the buffered events, in order", async () => {
    const server = await serverWith(5);
    const { c, status, replay } = await connect(server.wsUrl);
    expect(c.messages.slice(0, 2).map((m) => m.type)).toEqual(["connection_status", "replay"]);
    expect(status.data).toMatchObject({ status: "connected", client_id: expect.stringMatching(/^c\d+$/), protocol_version: "1.0", last_seq: 5, replay_size: 100, epoch: server.epoch });
    expect(replay.data).toMatchObject({ since: null, first_seq: 1, last_seq: 5, missed: 0, reset: false });
    expect(replay.data.events.map((e) => [e.seq, (e.data as { delta: string }).delta])).toEqual([1, 2, 3, 4, 5].map((s) => [s, `d${s - 1}`]));
    expect(replay.seq).toBeUndefined();
  });

  it("a late joiner gets only the last replaySize events", async () => {
    const server = await serverWith(8, { replaySize: 3 });
    const { replay } = await connect(server.wsUrl);
    expect(replay.data.events.map((e) => e.seq)).toEqual([6, 7, 8]);
    expect(replay.data.missed).toBe(0);
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

  it("a gap the buffer no longer covers is reported with the count of missing events", async () => {
    const server = await serverWith(10, { replaySize: 4 });
    const { replay } = await connect(`${server.wsUrl}?since=2`);
    expect(replay.data).toMatchObject({ since: 2, first_seq: 7, last_seq: 10, missed: 4, reset: false });
    expect(replay.data.events.map((e) => e.seq)).toEqual([7, 8, 9, 10]);
  });

  it("since ahead of the log (server restarted) is flagged as reset and gets the whole buffer", async () => {
    const server = await serverWith(2);
    const { replay } = await connect(`${server.wsUrl}?since=500`);
    expect(replay.data).toMatchObject({ since: 500, reset: true, missed: 0, first_seq: 1, last_seq: 2 });
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

  it("get_replay {since} answers the requester with the same slice; not logged", async () => {
    const server = await serverWith(6, { replaySize: 4 });
    const { c } = await connect(server.wsUrl);
    const from = c.messages.length;
    const ack = await c.command("get_replay", { since: 1 }, "rp");
    expect(ack.type).toBe("command_ack");
    const replay = c.messages.slice(from).find((m) => m.type === "replay")!;
    expect(replay.data).toMatchObject({ since: 1, missed: 1, first_seq: 3, last_seq: 6 });
    expect(server.lastSeq).toBe(6);
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
