/**
 * Synthesised speech reaches the client as `audio` events paired with the
 * tts_audio event that announced each frame and the format of the turn's
 * tts_start; playback reports are taken from audio clients only; audio of a
 * cut turn still in flight is dropped; and frames that fail the protocol
 * schemas are reported, never delivered.
 */
import { describe, expect, it } from "vitest";
import { WebSocketServer as WsServer } from "ws";
import type { AudioChunk, CodaClient, InvalidFrame } from "../../../server/client/index.js";
import { ManualClock } from "../../helpers/clock.js";
import { startCoda, type CodaFixture } from "./fixture.js";
import { useServers, closable } from "../../helpers/server.js";
import { newClient, next, record } from "./helpers.js";
import { until } from "../../helpers/wait.js";

let fixture: CodaFixture | undefined;
let client: CodaClient | undefined;
let raw: WsServer | undefined;
const { track, trackClient } = useServers();

/** A fresh server, a client that takes audio (?audio=1; closed after the test) and another that does not (the caller closes it). */
async function audioAndPlainClient(): Promise<{ audio: CodaClient; other: CodaClient }> {
  fixture = track(await startCoda());
  const audio = (client = trackClient(newClient(fixture.wsUrl, { audio: true })));
  const other = newClient(fixture.wsUrl);
  await audio.connect();
  await other.connect();
  return { audio, other };
}

describe("CodaClient audio", () => {
  it("pairs each binary frame with its tts_audio and the turn's format, covering exactly what tts_progress accounts for", async () => {
    fixture = track(await startCoda());
    client = trackClient(newClient(fixture.wsUrl, { audio: true }));
    const rec = record(client);
    const chunks: AudioChunk[] = [];
    client.on("audio", (c) => chunks.push(c));
    await client.connect();
    await client.textInput("what is 100 divided by 4");
    await next(client, "tts_result");
    const progressBytes = () => rec.events.filter((e) => e.event.type === "tts_progress").reduce((n, e) => n + (e.event.data as { bytes: number }).bytes, 0);
    await until(() => chunks.reduce((n, c) => n + c.pcm.byteLength, 0) === progressBytes(), "all the audio tts_progress accounts for");
    const progress = rec.events.filter((e) => e.event.type === "tts_progress").map((e) => e.event.data as { chunk_index: number; chunks: number });
    expect(progress.length).toBeGreaterThan(0);
    expect(chunks.map((c) => c.info?.chunk_index)).toEqual([...Array(progress.reduce((n, p) => n + p.chunks, 0)).keys()]);
    expect(chunks.every((c) => c.info!.bytes === c.pcm.byteLength && c.info!.turn_id === "t1")).toBe(true);
    expect(chunks.every((c) => c.format?.sample_rate === 16000 && c.format.sample_type === "s16le" && c.format.channels === 1)).toBe(true);
    // tts_audio is for this client only: never logged, so never replayed.
    expect(rec.events.filter((e) => e.event.type === "tts_audio").every((e) => e.event.seq === undefined)).toBe(true);
  });

  it("takes playback reports from an audio client and refuses them from others", async () => {
    const { audio, other } = await audioAndPlainClient();
    try {
      await expect(audio.playback("t9", "playing", 100)).resolves.toMatchObject({ command: "playback" });
      await expect(other.playback("t9", "playing", 100)).rejects.toMatchObject({
        code: "invalid_state",
        message: "This connection does not receive audio: connect with ?audio=1 to report playback",
      });
      await expect(audio.command("playback", { turn_id: "t9", state: "paused" as "playing", position_ms: 1 })).rejects.toMatchObject({ code: "invalid_data" });
    } finally {
      await other.close();
    }
  });

  it("notify sends a playback report without an id: no command_ack comes back; a refusal still arrives, with id null", async () => {
    const { audio, other } = await audioAndPlainClient();
    try {
      const rec = record(audio);
      audio.notify("playback", { turn_id: "t9", state: "playing", position_ms: 100 });
      audio.notify("playback", { turn_id: "t9", state: "ended", position_ms: 200 });
      // Commands are answered in order: once this one is acked, the reports above were handled.
      const ack = await audio.getSystemInfo();
      expect(ack.state).toBe("idle");
      expect(rec.events.map((e) => e.event.type)).toEqual(["system_info", "command_ack"]);
      expect(rec.events[1]!.event.data).toMatchObject({ command: "get_system_info" });

      const refused = next(other, "command_error");
      other.notify("playback", { turn_id: "t9", state: "playing", position_ms: 100 });
      expect((await refused).data).toEqual({
        id: null,
        command: "playback",
        code: "invalid_state",
        message: "This connection does not receive audio: connect with ?audio=1 to report playback",
      });
      // What the client can tell by itself is thrown before anything is sent.
      expect(() => audio.notify("playback", { turn_id: "t9", state: "paused" as "playing", position_ms: 1 })).toThrow(
        expect.objectContaining({ code: "invalid_data" }),
      );
    } finally {
      await other.close();
    }
    await audio.close();
    expect(() => audio.notify("playback", { turn_id: "t9", state: "playing", position_ms: 1 })).toThrow(expect.objectContaining({ code: "not_connected" }));
  });

  it("sends nothing more of a turn after stop_speaking: the client held at most the lead", async () => {
    const clock = new ManualClock();
    // 30 ms of audio per character, a lead of 600 ms, a clock that never moves: the client holds 600 ms of a long answer.
    fixture = track(await startCoda({ tts: { msPerChar: 30 }, wordDelayMs: 40, playout: { audioLeadMs: 600, playoutClock: clock } }));
    client = trackClient(newClient(fixture.wsUrl, { audio: true }));
    const chunks: AudioChunk[] = [];
    client.on("audio", (c) => chunks.push(c));
    await client.connect();
    await client.textInput("tell me a joke");
    await until(() => chunks.length > 0, "first audio");
    await until(() => chunks.length >= 2, "lead filled");
    const before = chunks.reduce((n, c) => n + c.info!.audio_ms, 0);
    expect(before).toBeLessThanOrEqual(600);
    await client.stopSpeaking();
    clock.advance(60_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks.reduce((n, c) => n + c.info!.audio_ms, 0)).toBe(before);
  });

  it("gets no audio without the audio option", async () => {
    fixture = track(await startCoda());
    client = trackClient(newClient(fixture.wsUrl));
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
    track(closable(raw));
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
    client = trackClient(newClient(`ws://127.0.0.1:${(raw.address() as { port: number }).port}`));
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
