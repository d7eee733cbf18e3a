/**
 * Typed command helpers against the real server: answers resolve the
 * promise, refusals reject with the server's code, and what the client can
 * tell by itself (bad data, no connection, no answer, abort, close) rejects
 * with the client's own codes.
 */
import { describe, expect, it } from "vitest";
import { WebSocketServer as WsServer } from "ws";
import { CodaClient, CommandError } from "../../../server/client/index.js";
import { startCoda, type CodaFixture } from "./fixture.js";
import { useServers, closable } from "../../helpers/server.js";
import { newClient, next, record } from "./helpers.js";

let fixture: CodaFixture | undefined;
let client: CodaClient | undefined;
const { track, trackClient } = useServers();

async function rejection(p: Promise<unknown>): Promise<CommandError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CommandError);
  return err as CommandError;
}

describe("CodaClient commands", () => {
  it("resolves requests with their answer and actions with their command_ack", async () => {
    fixture = track(await startCoda());
    client = trackClient(newClient(fixture.wsUrl));
    await client.connect();
    expect(client.state).toBe("open");
    expect(client.clientId).toBe("c1");
    expect(client.machineState).toBe("idle");

    const info = await client.getSystemInfo();
    expect(info.state).toBe("idle");
    expect(info.clients).toBe(1);
    expect(info.engines).toEqual({ stt: "scripted", llm: "builtin", tts: "scripted", memory: "in-memory" });
    // The voice is known before any answer (the scripted synthesiser's is "none").
    expect(info.voice).toBe("none");

    const ack = await client.textInput("what is 12 times 7");
    expect(ack).toEqual({ id: "c2", command: "text_input" });
    const result = await next(client, "llm_result");
    expect(result.data.text).toBe("12 * 7 is 84.");
    await next(client, "latency_trace");

    const metrics = await client.getPerformanceMetrics();
    expect(metrics.turns).toBe(1);
    expect(metrics.figures.total_ms?.count).toBe(1);

    const replay = await client.getReplay(0);
    expect(replay.since).toBe(0);
    expect(replay.events[0]!.seq).toBe(1);
    expect(replay.last_seq).toBe(client.lastSeq);

    const memories = await client.memoryList(5);
    expect(memories.query).toBeNull();
    expect(memories.items).toHaveLength(1);
    expect(memories.items[0]!.kind).toBe("turn");
  });

  it("sttStart says whether the audio is echo-cancelled only when told (the server reads a missing flag as false)", async () => {
    fixture = await startCoda({ stt: { utterances: [], waitForAudioEnd: true } });
    const seen: unknown[] = [];
    const dispatch = fixture.bridge.dispatch.bind(fixture.bridge);
    fixture.bridge.dispatch = (command, source) => {
      if (command.type === "stt_start") seen.push(command.data);
      dispatch(command, source);
    };
    client = newClient(fixture.wsUrl);
    await client.connect();
    expect(await client.sttStart("continuous", { echoCancellation: true })).toMatchObject({ command: "stt_start" });
    const idle = new Promise<void>((resolve) => {
      const off = client!.on("event", (e) => {
        if (e.type === "state_change" && e.data.state === "idle") resolve(off());
      });
    });
    await client.sttStop();
    await idle;
    await client.sttStart("push_to_talk");
    expect(seen).toEqual([{ mode: "continuous", echo_cancellation: true }, { mode: "push_to_talk" }]);
  });

  it("answers two requests sent at once in order, each with its own answer", async () => {
    fixture = track(await startCoda());
    client = trackClient(newClient(fixture.wsUrl));
    await client.connect();
    const [info, replay, metrics] = await Promise.all([client.getSystemInfo(), client.getReplay(), client.getPerformanceMetrics()]);
    expect(info.version).toBe("0.1.0");
    expect(replay.since).toBeNull();
    expect(metrics.window).toBe(100);
    expect(metrics.turns).toBe(0);
  });

  it("rejects a refused command with the server's code and message", async () => {
    fixture = track(await startCoda());
    client = trackClient(newClient(fixture.wsUrl));
    await client.connect();
    const stop = await rejection(client.sttStop());
    expect(stop.code).toBe("invalid_state");
    expect(stop.message).toBe("Not listening");
    expect(stop.command).toBe("stt_stop");
    expect(stop.id).toBe("c1");

    const forget = await rejection(client.memoryForget("m404"));
    expect(forget.code).toBe("not_found");
  });

  it("rejects data that fails the command schema without sending it", async () => {
    fixture = track(await startCoda());
    client = trackClient(newClient(fixture.wsUrl));
    const rec = record(client);
    await client.connect();
    const err = await rejection(client.textInput("   "));
    expect(err.code).toBe("invalid_data");
    expect(err.id).toBeNull();
    expect(err.issues.map((i) => i.path)).toEqual(["data.text"]);
    const bad = await rejection(client.command("stt_start", { mode: "shouting" as never }));
    expect(bad.code).toBe("invalid_data");
    // Nothing reached the server: its next id is still c1.
    expect(await client.stopSpeaking().catch((e: CommandError) => e.id)).toBe("c1");
    expect(rec.events.filter((e) => e.event.type === "command_error")).toHaveLength(1);
  });

  it("rejects with not_connected before connect and closed after close", async () => {
    fixture = track(await startCoda());
    client = trackClient(newClient(fixture.wsUrl));
    expect((await rejection(client.demoFlow())).code).toBe("not_connected");
    await client.connect();
    const pendingClose = client.close();
    await pendingClose;
    expect(client.state).toBe("closed");
    expect((await rejection(client.demoFlow())).code).toBe("not_connected");
    expect((await rejection(client.connect())).code).toBe("closed");
  });
});

describe("CodaClient commands against a server that never answers", () => {
  let silent: WsServer | undefined;

  /** A server that welcomes and replays like Coda, then ignores every command. */
  async function startSilent(): Promise<string> {
    silent = new WsServer({ host: "127.0.0.1", port: 0 });
    track(closable(silent));
    await new Promise<void>((resolve) => silent!.once("listening", () => resolve()));
    silent.on("connection", (ws) => {
      const ts = new Date().toISOString();
      ws.send(JSON.stringify({ type: "connection_status", data: { status: "connected", client_id: "c1", clients: 1, epoch: "e1", last_seq: 0 }, timestamp: ts }));
      ws.send(JSON.stringify({ type: "replay", data: { since: null, events: [], first_seq: null, last_seq: 0, missed: 0, reset: false }, timestamp: ts }));
    });
    return `ws://127.0.0.1:${(silent.address() as { port: number }).port}`;
  }

  it("rejects with timeout after timeoutMs", async () => {
    client = trackClient(newClient(await startSilent(), { commandTimeoutMs: 30 }));
    await client.connect();
    const err = await rejection(client.getSystemInfo());
    expect(err.code).toBe("timeout");
    expect(err.message).toBe("No answer to get_system_info within 30 ms");
  });

  it("rejects with aborted when the signal fires, and with closed when the client closes", async () => {
    client = trackClient(newClient(await startSilent()));
    await client.connect();
    const ac = new AbortController();
    const aborted = rejection(client.demoFlow("hello", { signal: ac.signal }));
    const closed = rejection(client.getSystemInfo());
    ac.abort();
    expect((await aborted).code).toBe("aborted");
    await client.close();
    expect((await closed).code).toBe("closed");
  });

  it("rejects pending commands with disconnected when the connection drops", async () => {
    client = trackClient(newClient(await startSilent(), { reconnect: false }));
    await client.connect();
    const pending = rejection(client.sttStart("continuous"));
    for (const ws of silent!.clients) ws.terminate();
    const err = await pending;
    expect(err.code).toBe("disconnected");
    expect(client.state).toBe("closed");
  });
});

describe("CodaClient construction", () => {
  it("throws one precise TypeError per invalid option", () => {
    expect(() => new CodaClient({ url: "http://x" })).toThrow(new TypeError("url must use ws: or wss:, got http:"));
    expect(() => new CodaClient({ url: "nope" })).toThrow(TypeError);
    expect(() => newClient("ws://127.0.0.1:1", { since: -1 })).toThrow(new TypeError("since must be a non-negative integer"));
    expect(() => newClient("ws://127.0.0.1:1", { backoff: { initialMs: 10, maxMs: 5 } })).toThrow(new TypeError("backoff.maxMs must be a finite number >= initialMs"));
  });
});
