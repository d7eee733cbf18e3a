/**
 * Synthesised speech reaches the client as `audio` events paired with the
 * tts_progress they belong to and the format of the turn's tts_start; and
 * frames that fail the protocol schemas are reported, never delivered.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer as WsServer } from "ws";
import type { AudioChunk, CodaClient, InvalidFrame } from "../../server/client/index.js";
import { startCoda, type CodaFixture } from "./fixture.js";
import { newClient, next, record, until } from "./helpers.js";

let fixture: CodaFixture | undefined;
let client: CodaClient | undefined;
let raw: WsServer | undefined;
afterEach(async () => {
  await client?.close();
  await fixture?.close();
  await new Promise<void>((resolve) => (raw ? raw.close(() => resolve()) : resolve()));
  client = fixture = raw = undefined;
});

describe("CodaClient audio", () => {
  it("pairs each binary frame with its tts_progress and the turn's format", async () => {
    fixture = await startCoda();
    client = newClient(fixture.wsUrl, { audio: true });
    const rec = record(client);
    const chunks: AudioChunk[] = [];
    client.on("audio", (c) => chunks.push(c));
    await client.connect();
    await client.textInput("what is 100 divided by 4");
    await next(client, "latency_trace");

    const progress = rec.events.filter((e) => e.event.type === "tts_progress").map((e) => e.event.data);
    expect(progress.length).toBeGreaterThan(0);
    expect(chunks.map((c) => c.progress)).toEqual(progress);
    expect(chunks.map((c) => c.pcm.byteLength)).toEqual(progress.map((p) => (p as { bytes: number }).bytes));
    expect(chunks.every((c) => c.format?.sample_rate === 16000 && c.format.sample_type === "s16le" && c.format.channels === 1)).toBe(true);
  });

  it("gets no audio without the audio option", async () => {
    fixture = await startCoda();
    client = newClient(fixture.wsUrl);
    let chunks = 0;
    client.on("audio", () => chunks++);
    await client.connect();
    await client.textInput("what is 1 plus 1");
    await next(client, "latency_trace");
    expect(chunks).toBe(0);
  });
});

describe("CodaClient validation", () => {
  it("reports invalid frames and delivers only valid events", async () => {
    raw = new WsServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => raw!.once("listening", () => resolve()));
    const ts = "2026-05-01T12:34:56.789Z";
    raw.on("connection", (ws) => {
      ws.send(JSON.stringify({ type: "connection_status", data: { status: "connected", client_id: "c9", clients: 1, epoch: "e", last_seq: 2 }, timestamp: ts }));
      ws.send(
        JSON.stringify({
          type: "replay",
          data: {
            since: null,
            events: [
              { type: "llm_progress", data: { turn_id: "t1", delta: "Hi", index: 0 }, timestamp: ts, seq: 1 },
              { type: "llm_progress", data: { turn_id: "t1", delta: 5, index: 1 }, timestamp: ts, seq: 2 },
            ],
            first_seq: 1,
            last_seq: 2,
            missed: 0,
            reset: false,
          },
          timestamp: ts,
        }),
      );
      ws.send("not json");
      ws.send(JSON.stringify({ type: "llm_progress", data: { turn_id: "t1", delta: "x", index: -1 }, timestamp: ts, seq: 3 }));
      ws.send(JSON.stringify({ type: "mystery", data: {}, timestamp: ts, seq: 4 }));
      ws.send(JSON.stringify({ type: "llm_progress", data: { turn_id: "t1", delta: "!", index: 2 }, timestamp: "yesterday", seq: 5 }));
      ws.send(JSON.stringify({ type: "llm_result", data: { turn_id: "t1", text: "Hi!", finish_reason: "stop", rounds: 1, duration_ms: 3 }, timestamp: ts, seq: 6 }));
    });
    client = newClient(`ws://127.0.0.1:${(raw.address() as { port: number }).port}`);
    const rec = record(client);
    const invalid: InvalidFrame[] = [];
    client.on("invalid", (f) => invalid.push(f));
    await client.connect();
    await until(() => client!.lastSeq === 6, "seq 6");

    expect(rec.events.map((e) => `${e.event.type}:${e.event.seq ?? "-"}`)).toEqual(["connection_status:-", "llm_progress:1", "llm_result:6"]);
    expect(invalid.map((f) => f.message)).toEqual([
      "Invalid replayed event llm_progress",
      "Frame is not JSON",
      "Invalid event llm_progress: data.index: Too small: expected number to be >=0",
      expect.stringMatching(/^Invalid event mystery: type: /),
      expect.stringMatching(/^Invalid event llm_progress: timestamp: /),
    ]);
  });
});
