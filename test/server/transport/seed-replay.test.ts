/**
 * The seed's contract for its WebSocketServer used alone: it keeps the last
 * `buffer_size` (100) events for new clients. Run as the seed's usage
 * example runs it (host and port, start, broadcast system_info, stop), a
 * client that connects later is replayed the last 100 of those events, in
 * order, each exactly as broadcast, next to the turn-based conversation.
 */
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "../../../server/transport/server.js";
import { silentLogger } from "../../../server/app/logger.js";
import type { EventData } from "../../../server/protocol/index.js";
import { useServers } from "../../helpers/server.js";

const { track, client } = useServers();

/** The seed's usage example: WebSocketServer(host="localhost", port=8765), start, broadcast system_info. */
async function seedServer(options: { replaySize?: number } = {}) {
  const server = track(new WebSocketServer({ host: "localhost", port: 0, logger: silentLogger, ...options }));
  await server.start();
  return server;
}

const systemInfo = (uptime: number) => ({
  type: "system_info" as const,
  data: { version: "0.1.1", uptime, memory: 1024 * 1024 * 100 },
  timestamp: "2025-05-01T12:34:56.789Z",
});

describe("the seed's replay of its own events", () => {
  it("gives a new client the last 100 events broadcast, in order, as broadcast", async () => {
    const server = await seedServer();
    for (let i = 1; i <= 150; i++) await server.broadcast(systemInfo(i));
    const c = await client(`ws://127.0.0.1:${server.port}`);
    const replay = c.ofType("replay")[0]!.data as EventData<"replay">;
    expect(replay.kind).toBe("conversation");
    expect(replay.events.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 51 + i));
    expect(replay.events.map((e) => (e.data as { uptime: number }).uptime)).toEqual(Array.from({ length: 100 }, (_, i) => 51 + i));
    expect(replay.events[0]).toEqual({ ...systemInfo(51), seq: 51 });
    expect(c.ofType("connection_status")[0]!.data).toMatchObject({ last_seq: 150, replay: { kind: "conversation", events: 100, turns: 0, missed: 0 } });
  });

  it("gives all of them while there are fewer than 100", async () => {
    const server = await seedServer();
    for (let i = 1; i <= 99; i++) await server.broadcast(systemInfo(i));
    const c = await client(`ws://127.0.0.1:${server.port}`);
    expect((c.ofType("replay")[0]!.data as EventData<"replay">).events.map((e) => e.seq)).toEqual(Array.from({ length: 99 }, (_, i) => i + 1));
  });

  it("keeps no more than replaySize when that is smaller (the log's own bound)", async () => {
    const server = await seedServer({ replaySize: 30 });
    for (let i = 1; i <= 60; i++) await server.broadcast(systemInfo(i));
    const c = await client(`ws://127.0.0.1:${server.port}`);
    expect((c.ofType("replay")[0]!.data as EventData<"replay">).events.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 31 + i));
  });

  it("keeps them next to the turns: events of no turn since the oldest kept turn, and the turns whole", async () => {
    const server = await seedServer();
    await server.broadcast({ type: "stt_result", data: { turn_id: "t1", text: "hi", confidence: null, duration_ms: 800 } });
    for (let i = 1; i <= 120; i++) await server.broadcast(systemInfo(i));
    const c = await client(`ws://127.0.0.1:${server.port}`);
    const replay = c.ofType("replay")[0]!.data as EventData<"replay">;
    expect(replay.turns).toEqual(["t1"]);
    expect(replay.events[0]).toMatchObject({ type: "stt_result", seq: 1 });
    expect(replay.events.slice(1).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 22 + i));
  });
});
