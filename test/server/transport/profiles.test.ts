/**
 * Client profiles plug into the transport from outside (`profiles`): a
 * profile's encoder is asked once per logged event however many of its
 * clients there are, its clients get what it writes (events, the replay on
 * connect and the answer to get_replay) while v1 clients get the logged
 * frames untouched; its dialect rewrites its clients' commands; its
 * periodic frames reach its clients only, and only while it has some. A
 * profile that throws costs its own clients the translation, nobody else
 * anything. Names are checked at construction and at the upgrade. And the
 * transport itself imports nothing of server/compat/.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Connection } from "../../../server/transport/connection.js";
import { WebSocketServer } from "../../../server/transport/server.js";
import type { ClientProfile, EventEncoder } from "../../../server/transport/profile.js";
import { ProfileRegistry } from "../../../server/transport/profiles.js";
import type { LogFields, Logger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { useServers } from "../../helpers/server.js";
import { until } from "../../helpers/wait.js";

const { server, client, connect } = useServers();

const info = (uptime: number) => ({ type: "system_info" as const, data: { version: "t", uptime, memory: 1 } });

/** A profile that upper-cases event types and counts what it was asked to encode. */
function shouting(counts = { events: 0, replays: 0 }): ClientProfile & { counts: typeof counts } {
  return {
    name: "shouting",
    counts,
    dialect: { rewrite: (frame) => (frame.type === "INFO" ? { ...frame, type: "get_system_info" } : frame) },
    createEncoder: (): EventEncoder => ({
      encode(event) {
        counts.events++;
        return [Buffer.from(JSON.stringify({ ...event, type: event.type.toUpperCase() }))];
      },
      encodeReplay(replay) {
        counts.replays++;
        return Buffer.from(JSON.stringify({ type: "REPLAY", events: replay.logged().map((e) => e.seq), last_seq: replay.head.last_seq }));
      },
    }),
  };
}

describe("a client profile given to the server", () => {
  it("encodes each logged event once for all its clients; v1 clients get the logged frame", async () => {
    const profile = shouting();
    const s = await server({ profiles: [profile] });
    const loud = await Promise.all([1, 2, 3].map(() => connect(`${s.wsUrl}/?compat=shouting`)));
    const plain = await Promise.all([1, 2].map(() => client(s.wsUrl)));
    for (let i = 1; i <= 5; i++) await s.broadcast(info(i));
    for (const c of loud) await c.waitFor((m) => m.type === ("SYSTEM_INFO" as never) && m.seq === 5);
    for (const c of plain) await c.waitFor((m) => m.type === "system_info" && m.seq === 5);
    expect(profile.counts.events).toBe(5);
    for (const c of loud) {
      expect(c.messages.filter((m) => (m.type as string) === "SYSTEM_INFO").map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(c.ofType("system_info")).toEqual([]);
      // The welcome and direct replies stay v1; the replay is the profile's.
      expect(c.messages[0]!.type).toBe("connection_status");
      expect(c.messages[1]).toEqual({ type: "REPLAY", events: [], last_seq: 0 });
    }
    for (const c of plain) expect(c.ofType("system_info").map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("writes get_replay in the asker's profile, and reads the asker's commands through its dialect", async () => {
    const profile = shouting();
    const s = await server({ profiles: [profile], compat: "shouting" });
    for (let i = 1; i <= 3; i++) await s.broadcast(info(i));
    const loud = await connect(s.wsUrl); // the server's default profile
    const plain = await client(`${s.wsUrl}/?compat=none`);
    await loud.waitFor((m) => (m.type as string) === "REPLAY");
    await loud.command("get_replay", { since: 1 });
    expect(loud.messages.filter((m) => (m.type as string) === "REPLAY").at(-1)).toEqual({ type: "REPLAY", events: [2, 3], last_seq: 3 });
    expect((await loud.command("INFO")).type).toBe("command_ack");
    expect(loud.ofType("system_info")).toHaveLength(1);
    // A v1 client is not spoken to in the dialect.
    expect((await plain.command("INFO")).data).toMatchObject({ code: "unknown_type" });
    await plain.command("get_replay", { since: 1 });
    expect(plain.ofType("replay").at(-1)!.data.events.map((e) => e.seq)).toEqual([2, 3]);
  });

  it("refuses an unknown profile at the upgrade with 400 naming the known ones", async () => {
    const s = await server({ profiles: [shouting()] });
    await expect(TestClient.connect(`${s.wsUrl}/?compat=whisper`)).rejects.toMatchObject({ status: 400, body: "compat must be one of: none, shouting" });
    const bare = await server();
    await expect(TestClient.connect(`${bare.wsUrl}/?compat=coda-lite`)).rejects.toMatchObject({ status: 400, body: "compat must be one of: none" });
    expect(s.clientCount + bare.clientCount).toBe(0);
  });

  it("checks names at construction: a default nobody registered, a taken or malformed name", () => {
    expect(() => new WebSocketServer({ compat: "coda-lite" })).toThrow(new TypeError('Invalid server option: compat "coda-lite" is not a known client profile; known: none'));
    expect(() => new WebSocketServer({ profiles: [shouting(), shouting()] })).toThrow(/Client profile name "shouting" is taken/);
    expect(() => new WebSocketServer({ profiles: [{ ...shouting(), name: "none" }] })).toThrow(/"none" is taken/);
    expect(() => new WebSocketServer({ profiles: [{ ...shouting(), name: "Loud Voice" }] })).toThrow(/"Loud Voice" is invalid/);
    expect(() => new WebSocketServer({ compat: "Loud Voice" })).toThrow(/Invalid server option: compat/);
  });

  it("keeps a throwing encoder to its own clients: they get the v1 frame, the error is logged, others are untouched", async () => {
    const errors: { message: string; fields?: LogFields }[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (message, fields) => void errors.push({ message, fields }) };
    const broken: ClientProfile = { name: "broken", createEncoder: () => ({ encode: () => { throw new Error("boom"); }, encodeReplay: (r) => r.frame }) };
    const s = await server({ profiles: [broken, shouting()], logger });
    const b = await client(`${s.wsUrl}/?compat=broken`);
    const loud = await connect(`${s.wsUrl}/?compat=shouting`);
    const plain = await client(s.wsUrl);
    await s.broadcast(info(1));
    await b.waitFor((m) => m.type === "system_info" && m.seq === 1);
    await loud.waitFor((m) => (m.type as string) === "SYSTEM_INFO");
    await plain.waitFor((m) => m.type === "system_info");
    expect(errors).toEqual([{ message: "client profile failed to encode an event", fields: expect.objectContaining({ profile: "broken", type: "system_info" }) }]);
  });
});

describe("periodic frames of a profile", () => {
  afterEach(() => vi.useRealTimers());

  it("go to the profile's clients only, while it has some", () => {
    vi.useFakeTimers();
    const ticking: ClientProfile = { ...shouting(), periodic: { intervalMs: 1000, frame: () => Buffer.from("tick") } };
    const sent = new Map<string, string[]>();
    const conn = (id: string, profile: ClientProfile | null) => {
      sent.set(id, []);
      return { id, profile, sendFrame: (f: Buffer) => sent.get(id)!.push(f.toString()) } as unknown as Connection;
    };
    const a = conn("a", ticking);
    const b = conn("b", ticking);
    const v1 = conn("v1", null);
    const clients = [a, b, v1];
    const registry = new ProfileRegistry([ticking], "none", () => clients);
    registry.joined(ticking);
    registry.joined(ticking);
    vi.advanceTimersByTime(2000);
    expect(Object.fromEntries(sent)).toEqual({ a: ["tick", "tick"], b: ["tick", "tick"], v1: [] });
    registry.left(ticking);
    vi.advanceTimersByTime(1000);
    expect(sent.get("a")).toHaveLength(3);
    registry.left(ticking);
    vi.advanceTimersByTime(5000);
    expect(sent.get("a")).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reach a profile's client through the server, not a v1 client", async () => {
    const ticking: ClientProfile = { ...shouting(), periodic: { intervalMs: 100, frame: () => Buffer.from(JSON.stringify({ type: "TICK", data: {}, timestamp: new Date().toISOString() })) } };
    const s = await server({ profiles: [ticking] });
    const loud = await connect(`${s.wsUrl}/?compat=shouting`);
    const plain = await client(s.wsUrl);
    await until(() => loud.messages.some((m) => (m.type as string) === "TICK"), "a tick");
    expect(plain.messages.some((m) => (m.type as string) === "TICK")).toBe(false);
  });
});

describe("the transport", () => {
  it("imports nothing of server/compat/ (profiles plug in from outside)", () => {
    const dir = join(import.meta.dirname, "../../../server/transport");
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /from\s+["'][^"']*compat\//.test(readFileSync(join(dir, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
