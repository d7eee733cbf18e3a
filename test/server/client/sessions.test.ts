/**
 * CodaClient's `session` and `user` options against a real server whose
 * every session has its own voice machine: each client follows its own
 * conversation (its turns, its gapless seqs, nothing of the other's), acts
 * for its own user (memory), keeps both across a reconnection and resume,
 * and reports a reset when the server closed its session as idle while it
 * was away. Ids that are not ids are refused before anything is opened.
 */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../helpers/clock.js";
import { useServers } from "../../helpers/server.js";
import { until } from "../../helpers/wait.js";
import { startCoda } from "./fixture.js";
import { newClient, record } from "./helpers.js";
import { startProxy } from "./proxy.js";

const { track, trackClient } = useServers();

const answers = (rec: ReturnType<typeof record>) => rec.events.filter((e) => e.event.type === "llm_result").map((e) => (e.event.data as { text: string }).text);
const gapless = (seqs: number[]) => seqs.every((s, i) => s === i + 1);

describe("CodaClient session and user options", () => {
  it("joins the session and user it names: each client sees only its own conversation, with gapless seqs", async () => {
    const fixture = track(await startCoda({ perSession: true }));
    const a = trackClient(newClient(fixture.wsUrl, { session: "kitchen", user: "ana" }));
    const b = trackClient(newClient(fixture.wsUrl, { session: "office", user: "bob" }));
    const recA = record(a);
    const recB = record(b);
    expect([a.session, a.user, b.session, b.user]).toEqual(["kitchen", "ana", "office", "bob"]);
    await Promise.all([a.connect(), b.connect()]);
    expect([a.session, a.user, a.sessionNew, b.session, b.user, b.sessionNew]).toEqual(["kitchen", "ana", true, "office", "bob", true]);

    await Promise.all([a.textInput("what is 2 plus 3"), b.textInput("what is 6 times 7")]);
    await until(() => recA.events.some((e) => e.event.type === "latency_trace") && recB.events.some((e) => e.event.type === "latency_trace"), "both turns end");

    expect(answers(recA)).toEqual(["2 + 3 is 5."]);
    expect(answers(recB)).toEqual(["6 * 7 is 42."]);
    expect(gapless(recA.seqs()) && gapless(recB.seqs())).toBe(true);
    expect(a.epoch).not.toBe(b.epoch);
    expect(fixture.server.sessions().map((s) => [s.id, s.clients, s.turns])).toEqual([
      ["default", 0, 0],
      ["kitchen", 1, 1],
      ["office", 1, 1],
    ]);

    // Memory belongs to the user: each sees the turn it stored, not the other's.
    await until(async () => (await a.memoryList()).items.length === 1 && (await b.memoryList()).items.length === 1, "both turns stored");
    expect((await a.memoryList()).items.map((m) => m.text)).toEqual([expect.stringContaining("2 plus 3")]);
    expect((await b.memoryList()).items.map((m) => m.text)).toEqual([expect.stringContaining("6 times 7")]);
  });

  it("takes them from the URL too, the options overriding it, and without either joins `default`", async () => {
    const fixture = track(await startCoda({ perSession: true }));
    const fromUrl = trackClient(newClient(`${fixture.wsUrl}/?session=hall&user=cy`));
    const overridden = trackClient(newClient(`${fixture.wsUrl}/?session=hall&user=cy`, { session: "attic" }));
    const plain = trackClient(newClient(fixture.wsUrl));
    expect(plain.session).toBeNull();
    await Promise.all([fromUrl.connect(), overridden.connect(), plain.connect()]);
    expect([fromUrl.session, fromUrl.user]).toEqual(["hall", "cy"]);
    expect([overridden.session, overridden.user]).toEqual(["attic", "cy"]);
    expect([plain.session, plain.user, plain.sessionNew]).toEqual(["default", "default", false]);
  });

  it("keeps session and user across a reconnection and resumes that session's events only", async () => {
    const fixture = track(await startCoda({ perSession: true }));
    const proxy = track(await startProxy(fixture.server.port));
    const client = trackClient(newClient(proxy.url, { session: "kitchen", user: "ana" }));
    const rec = record(client);
    const welcomes: unknown[] = [];
    client.on("welcome", (d) => welcomes.push([d.session, d.user, d.session_new]));
    await client.connect();
    await client.textInput("what is 2 plus 3");
    await until(() => rec.events.some((e) => e.event.type === "latency_trace"), "first turn ends");

    proxy.refuse(true);
    proxy.drop();
    await until(() => client.state === "reconnecting", "reconnecting");
    await until(() => fixture.server.sessions().find((s) => s.id === "kitchen")?.clients === 0, "the server saw it leave");
    // While it is away: one event in its session, one in another and one in default.
    const info = (v: string) => ({ type: "system_info" as const, data: { version: v, uptime: 1, memory: 1 } });
    await fixture.server.broadcast(info("kitchen"), { session: "kitchen" });
    await fixture.server.broadcast(info("office"), { session: "office" });
    await fixture.server.broadcast(info("default"));
    proxy.refuse(false);
    await until(() => client.connections === 2 && client.state === "open", "resumed");

    expect(welcomes).toEqual([
      ["kitchen", "ana", true],
      ["kitchen", "ana", false],
    ]);
    const missed = rec.events.filter((e) => e.replayed && e.event.type === "system_info").map((e) => (e.event.data as { version: string }).version);
    expect(missed).toEqual(["kitchen"]);
    expect(gapless(rec.seqs())).toBe(true);
    expect(rec.notes.filter((n) => n === "reset" || n.startsWith("gap"))).toEqual([]);
  });

  it("reports a reset when its session was closed as idle while it was away, and starts the new one's seqs over", async () => {
    const clock = new ManualClock();
    const fixture = track(await startCoda({ perSession: true, sessionIdleMs: 60_000, sessionClock: clock }));
    const proxy = track(await startProxy(fixture.server.port));
    const client = trackClient(newClient(proxy.url, { session: "kitchen" }));
    const rec = record(client);
    let atReset = -1;
    client.on("reset", () => (atReset = rec.events.length));
    await client.connect();
    await client.textInput("what is 2 plus 3");
    await until(() => rec.events.some((e) => e.event.type === "latency_trace"), "turn ends");
    const epoch = client.epoch;

    proxy.refuse(true);
    proxy.drop();
    await until(() => fixture.server.sessions().find((s) => s.id === "kitchen")?.clients === 0, "the server saw it leave");
    clock.advance(60_000);
    await until(() => !fixture.server.sessions().some((s) => s.id === "kitchen"), "kitchen closed as idle");
    proxy.refuse(false);
    await until(() => client.connections === 2 && client.state === "open", "rejoined");

    expect(rec.notes.filter((n) => n === "reset")).toEqual(["reset"]);
    expect(client.sessionNew).toBe(true);
    expect(client.epoch).not.toBe(epoch);
    expect(client.conversation.turns).toEqual([]);
    // The new session's log starts at 1 again; nothing of the old one is delivered twice.
    await client.textInput("what is 6 times 7");
    await until(() => answers(rec).length === 2, "second turn answered");
    expect(answers(rec)).toEqual(["2 + 3 is 5.", "6 * 7 is 42."]);
    const after = rec.events.slice(atReset).filter((e) => e.event.seq !== undefined).map((e) => e.event.seq!);
    expect(after.length).toBeGreaterThan(0);
    expect(gapless(after)).toBe(true);
  });

  it("refuses a session or user that is not an id before opening anything", () => {
    expect(() => newClient("ws://127.0.0.1:1", { session: "a b" })).toThrow(new TypeError(`session must be 1 to 64 letters, digits, '_' or '-', got "a b"`));
    expect(() => newClient("ws://127.0.0.1:1", { user: "x".repeat(65) })).toThrow(/^user must be 1 to 64 letters/);
    expect(() => newClient("ws://127.0.0.1:1/?session=a.b")).toThrow(`session must be 1 to 64 letters, digits, '_' or '-', got "a.b"`);
  });
});
