/**
 * Connections: many clients see the same events in the same order, a client
 * that stops reading is cut off without holding anyone up, dead peers are
 * found by the heartbeat, presence is announced.
 */
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { TestClient } from "../../helpers/client.js";
import { useServers } from "../../helpers/server.js";

const { server, client } = useServers();
const rawSocket = (c: TestClient) => (c.ws as unknown as { _socket: Socket })._socket;

describe("fan-out", () => {
  it("50 clients receive the same events in the same order", async () => {
    const s = await server();
    const clients = await Promise.all(Array.from({ length: 50 }, () => client(s.wsUrl)));
    const n = 200;
    for (let i = 0; i < n; i++) await s.broadcast({ type: "llm_progress", data: { turn_id: "t1", delta: `w${i} `, index: i } });
    await Promise.all(clients.map((c) => c.waitFor((m) => m.seq === n, { timeoutMs: 10_000 })));
    const expected = Array.from({ length: n }, (_, i) => [i + 1, `w${i} `]);
    for (const c of clients) expect(c.ofType("llm_progress").map((m) => [m.seq, m.data.delta])).toEqual(expected);
  });
});

describe("slow clients", () => {
  it("a client that stops reading is closed with 1013 once its queue passes the bound; others get everything", async () => {
    // closeTimeoutMs is long so the slow client, once it reads again, gets the close frame itself.
    const s = await server({ maxBufferedBytes: 256 * 1024, closeTimeoutMs: 10_000 });
    const fast = await client(s.wsUrl);
    const slow = await client(s.wsUrl);
    rawSocket(slow).pause();
    const big = "x".repeat(50_000);
    const n = 400; // 20 MB: far more than the kernel's socket buffers hold
    for (let i = 0; i < n; i++) {
      await s.broadcast({ type: "llm_progress", data: { turn_id: "t1", delta: big, index: i } });
      await new Promise((r) => setImmediate(r)); // a paced stream: a reading client keeps up
    }
    await fast.waitFor((m) => m.seq === n, { timeoutMs: 20_000 });
    expect(fast.ofType("llm_progress").map((m) => m.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    rawSocket(slow).resume();
    await slow.closed();
    expect([slow.closeCode, slow.closeReason]).toEqual([1013, "Too slow: over 262144 bytes queued; reconnect with ?since=<last seq>"]);
    // It got a prefix of the events, then nothing: the server stopped queueing at the bound.
    const got = slow.ofType("llm_progress").map((m) => m.seq!);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
    expect(got.length).toBeLessThan(n);
    // The server let go of it: presence says so and the count dropped.
    const left = await fast.waitFor((m) => m.type === "connection_status" && (m.data.left ?? []).length > 0);
    expect(left.data).toMatchObject({ status: "clients_changed", clients: 1 });
    expect(s.clientCount).toBe(1);
  }, 30_000);

  it("one frame larger than the bound still reaches a client that reads (a big replay is no sign of slowness)", async () => {
    const s = await server({ maxBufferedBytes: 64 * 1024, replaySize: 1000 });
    for (let i = 0; i < 200; i++) await s.broadcast({ type: "llm_progress", data: { turn_id: "t1", delta: "y".repeat(1000), index: i } });
    const c = await client(s.wsUrl);
    const replay = c.ofType("replay")[0]!;
    expect(JSON.stringify(replay).length).toBeGreaterThan(64 * 1024);
    expect(replay.data.events).toHaveLength(200);
    await s.broadcast({ type: "llm_progress", data: { turn_id: "t1", delta: "z".repeat(100_000), index: 200 } });
    const big = await c.waitFor((m) => m.seq === 201);
    expect((big.data as { delta: string }).delta).toHaveLength(100_000);
    expect(c.closeCode).toBeNull();
  });
});

describe("heartbeat", () => {
  it("a peer that stops answering pings is terminated and announced", async () => {
    const s = await server({ heartbeatMs: 50 });
    const watcher = await client(s.wsUrl);
    const dead = await client(s.wsUrl);
    const deadId = (dead.ofType("connection_status")[0]!.data as { client_id: string }).client_id;
    rawSocket(dead).pause(); // it can no longer see pings, so it never pongs
    const gone = await watcher.waitFor((m) => m.type === "connection_status" && (m.data.left ?? []).includes(deadId));
    expect((gone.data as { clients: number }).clients).toBe(1);
    expect(gone.seq).toBeUndefined();
    // The live client keeps being served through several heartbeats.
    expect((await watcher.command("get_system_info")).type).toBe("command_ack");
    expect(s.clientCount).toBe(1);
    rawSocket(dead).resume();
  });
});

describe("presence", () => {
  it("clients that come and go are announced to everyone in one clients_changed per window; not logged", async () => {
    const s = await server({ presenceIntervalMs: 50 });
    const a = await client(s.wsUrl);
    const aId = a.ofType("connection_status")[0]!.data.client_id!;
    const joined = await a.waitFor((m) => m.type === "connection_status" && m.data.status === "clients_changed");
    expect(joined.data).toEqual({ status: "clients_changed", clients: 1, joined: [aId], left: [] });
    const from = a.messages.length;
    // Five clients arrive together: one announcement, not five.
    const others = await Promise.all(Array.from({ length: 5 }, () => client(s.wsUrl)));
    const ids = others.map((c) => c.ofType("connection_status")[0]!.data.client_id!);
    const batch = await a.waitFor((m) => m.type === "connection_status" && m.data.status === "clients_changed", { from });
    expect(batch.data).toEqual({ status: "clients_changed", clients: 6, joined: ids, left: [] });
    await Promise.all(others.slice(0, 2).map((c) => c.close()));
    const gone = await a.waitFor((m) => m.type === "connection_status" && (m.data.left ?? []).length > 0, { from });
    expect(gone.data).toEqual({ status: "clients_changed", clients: 4, joined: [], left: expect.arrayContaining(ids.slice(0, 2)) });
    expect((gone.data as { left: string[] }).left).toHaveLength(2);
    expect(a.messages.slice(from).filter((m) => m.type === "connection_status")).toHaveLength(2);
    expect(s.lastSeq).toBe(0);
    expect(gone.seq).toBeUndefined();
  });
});
