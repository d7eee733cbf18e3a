/**
 * Sessions in the whole server (createCodaServer, real engines: the
 * built-in responder, Flite in its worker, the in-process store) over real
 * sockets: every session gets a voice machine of its own over the shared
 * engines, so two sessions answer at the same time without refusing each
 * other as busy; `pipeline` is the default session's; the session settings
 * reach the server; a Coda Lite client (the coda-lite profile) in the
 * default session follows its turns and hears nothing of another session's;
 * stop() stops every session and closes the engines they shared once.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createCodaServer } from "../../../server/index.js";
import { silentLogger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { until } from "../../helpers/wait.js";

const cleanups = useCleanup();

async function start(options: Parameters<typeof createCodaServer>[0] = {}) {
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: "off", llmEngine: "builtin", sttEngine: "none", vad: "off", logger: silentLogger, ...options });
  cleanups.push(() => coda.stop());
  const join = async (query: string) => {
    const c = await TestClient.connect(`${coda.url}/?${query}`);
    cleanups.push(() => c.close());
    await c.waitForType("replay");
    return c;
  };
  return { coda, join };
}

describe("createCodaServer with sessions", () => {
  it("gives every session its own machine over the shared engines: two sessions answer at once", { timeout: 30_000 }, async () => {
    const { coda, join } = await start();
    const a = await join("session=a");
    const b = await join("session=b");
    const acks = await Promise.all([a.command("text_input", { text: "what is 6 times 7" }), b.command("text_input", { text: "what is 2 plus 2" })]);
    expect(acks.map((m) => m.type)).toEqual(["command_ack", "command_ack"]);
    const [ra, rb] = await Promise.all([a.waitFor((m) => m.type === "llm_result", { timeoutMs: 20_000 }), b.waitFor((m) => m.type === "llm_result", { timeoutMs: 20_000 })]);
    expect((ra.data as { text: string }).text).toMatch(/42/);
    expect((rb.data as { text: string }).text).toMatch(/\b4\b/);
    await Promise.all([a.waitFor((m) => m.type === "latency_trace", { timeoutMs: 20_000 }), b.waitFor((m) => m.type === "latency_trace", { timeoutMs: 20_000 })]);
    // Both answered with real speech, each turn t1 of its own session.
    for (const c of [a, b]) expect(c.ofType("tts_result").map((m) => [m.data.turn_id, m.data.audio_ms > 0])).toEqual([["t1", true]]);
    // The default session (coda.pipeline) did nothing.
    expect(coda.pipeline.metrics().turns).toBe(0);
    expect(coda.server.sessions().map((r) => [r.id, r.turns])).toEqual([
      ["default", 0],
      ["a", 1],
      ["b", 1],
    ]);
  });

  it("takes maxSessions and sessionIdleMs, and tokenSecret as the token rule beyond loopback", async () => {
    const { coda, join } = await start({ maxSessions: 2, sessionIdleMs: 1000 });
    expect(coda.settings).toMatchObject({ maxSessions: 2, sessionIdleMs: 1000 });
    expect(coda.server.settings).toMatchObject({ maxSessions: 2, sessionIdleMs: 1000 });
    await join("session=one");
    await expect(TestClient.connect(`${coda.url}/?session=two`)).rejects.toMatchObject({ status: 503, body: "Too many sessions (limit 2); join an open one or try again later" });
    await expect(createCodaServer({ host: "0.0.0.0", port: 0, memoryDb: "off", logger: silentLogger, tokenSecret: "short" })).rejects.toThrow(/tokenSecret/);
  });

  it("a Coda Lite client in the default session follows its turns and nothing of another session's", { timeout: 30_000 }, async () => {
    const { coda, join } = await start({ compat: "coda-lite" });
    const frames: { type: string; data?: Record<string, unknown> }[] = [];
    const lite = new WebSocket(coda.url);
    cleanups.push(() => new Promise<void>((resolve) => (lite.readyState === WebSocket.CLOSED ? resolve() : (lite.once("close", () => resolve()), lite.close()))));
    lite.on("message", (raw) => frames.push(JSON.parse(raw.toString()) as { type: string }));
    await new Promise((resolve) => lite.once("open", resolve));
    const other = await join("session=other&compat=none");
    other.send({ type: "text_input", data: { text: "what is 1 plus 1" } });
    await other.waitFor((m) => m.type === "latency_trace", { timeoutMs: 20_000 });
    lite.send(JSON.stringify({ type: "text_input", data: { text: "what is 12 times 7" }, timestamp: new Date().toISOString() }));
    await until(() => frames.some((f) => f.type === "latency_trace"), "the Coda Lite client's latency_trace", 20_000);
    const turns = frames.filter((f) => f.type === "conversation_turn").map((f) => [f.data!.role, f.data!.content]);
    expect(turns).toEqual([
      ["user", "what is 12 times 7"],
      ["assistant", expect.stringMatching(/84/)],
    ]);
    expect(JSON.stringify(frames)).not.toMatch(/1 plus 1/);
  });

  it("stop() stops every session's machine and closes the shared engines once", { timeout: 30_000 }, async () => {
    const { coda, join } = await start();
    await join("session=a");
    await join("session=b");
    let closes = 0;
    const close = coda.engines.llm.close.bind(coda.engines.llm);
    coda.engines.llm.close = async () => {
      closes++;
      await close();
    };
    await coda.stop();
    expect(coda.pipeline.state()).toBe("stopped");
    expect(coda.server.sessions()).toEqual([]);
    expect(closes).toBe(1);
  });
});
