/**
 * Connections: many clients see the same events in the same order, a client
 * that stops reading is cut off without holding anyone up, dead peers are
 * found by the heartbeat, presence is announced.
 */
import type { Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { TestClient } from "../helpers/client.js";
import { useServers } from "../helpers/server.js";

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
  it("a client that stops reading is dropped once its queue passes the bound; others get everything", async () => {
    const s = await server({ maxBufferedBytes: 256 * 1024, closeTimeoutMs: 100 });
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
    // The server let go of the slow client: presence says so and the count dropped.
    const left = await fast.waitFor((m) => m.type === "connection_status" && m.data.status === "client_disconnected");
    expect(left.data).toMatchObject({ clients: 1 });
    expect(s.clientCount).toBe(1);
    rawSocket(slow).resume();
    await slow.closed();
    expect([1013, 1006]).toContain(slow.closeCode);
    // It got a prefix of the events, then nothing: never more than was queued under the bound.
    const got = slow.ofType("llm_progress").map((m) => m.seq!);
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i + 1));
    expect(got.length).toBeLessThan(n);
  }, 30_000);

  it("an event that alone exceeds the bound closes the reader with 1013 and the reason", async () => {
    const s = await server({ maxBufferedBytes: 64 * 1024 });
    const c = await client(s.wsUrl);
    await s.broadcast({ type: "llm_progress", data: { turn_id: "t1", delta: "y".repeat(100_000), index: 0 } });
    await c.closed();
    expect(c.closeCode).toBe(1013);
    expect(c.closeReason).toMatch(/Too slow: over 65536 bytes queued; reconnect with \?since=/);
  });
});

describe("heartbeat", () => {
  it("a peer that stops answering pings is terminated and announced", async () => {
    const s = await server({ heartbeatMs: 50 });
    const watcher = await client(s.wsUrl);
    const dead = await client(s.wsUrl);
    const deadId = (dead.ofType("connection_status")[0]!.data as { client_id: string }).client_id;
    rawSocket(dead).pause(); // it can no longer see pings, so it never pongs
    const gone = await watcher.waitFor((m) => m.type === "connection_status" && m.data.status === "client_disconnected" && m.data.client_id === deadId);
    expect((gone.data as { clients: number }).clients).toBe(1);
    expect(gone.seq).toBeUndefined();
    // The live client keeps being served through several heartbeats.
    expect((await watcher.command("get_system_info")).type).toBe("command_ack");
    expect(s.clientCount).toBe(1);
    rawSocket(dead).resume();
  });
});

describe("presence", () => {
  it("others hear client_connected / client_disconnected; presence is not logged", async () => {
    const s = await server();
    const a = await client(s.wsUrl);
    const b = await client(s.wsUrl);
    const bId = (b.ofType("connection_status")[0]!.data as { client_id: string }).client_id;
    const joined = await a.waitFor((m) => m.type === "connection_status" && m.data.status === "client_connected");
    expect(joined.data).toEqual({ status: "client_connected", client_id: bId, clients: 2 });
    await b.close();
    const left = await a.waitFor((m) => m.type === "connection_status" && m.data.status === "client_disconnected");
    expect(left.data).toEqual({ status: "client_disconnected", client_id: bId, clients: 1 });
    expect(s.lastSeq).toBe(0);
    expect(b.ofType("connection_status").filter((m) => m.data.status === "client_connected")).toHaveLength(0);
  });
});
