/**
 * The --inspect relay holds the conversation, so it is bounded and guarded
 * like the main server: a foreign Origin gets 403 (page and upgrade), a
 * frame past the small limit closes its sender with 1009, only the voice
 * machine's own frames are relayed and kept (a local script connecting to
 * the relay cannot feed it), and what it keeps for late viewers is capped
 * in bytes, newest kept.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { attachInspector, type InspectOptions } from "../../../server/app/inspect.js";
import { demoTurn as runDemoTurn } from "./inspect-turn.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { until } from "../../helpers/wait.js";

const cleanup = useCleanup();

async function relay(options: InspectOptions = {}) {
  const inspection = await attachInspector({}, options);
  cleanup.push(() => inspection.close());
  const page = inspection.pageUrl!;
  return { inspection, page, origin: page.replace(/\/$/, ""), viewerUrl: page.replace(/^http/, "ws") };
}


const demoTurn = (actorOptions: object) => runDemoTurn(actorOptions, cleanup, "my secret plans");

async function open(url: string, origin?: string): Promise<WebSocket & { frames: string[] }> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin });
  // Refused and cut sockets report an error event (handshake aborted, frame too big): expected here, not a crash.
  ws.on("error", () => {});
  cleanup.push(() => ws.terminate());
  const frames: string[] = [];
  ws.on("message", (d) => frames.push(d.toString()));
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  return Object.assign(ws, { frames });
}

const isIdleSnapshot = (f: string) => f.includes('"type":"@xstate.snapshot"') && f.includes('"value":"idle"');

describe("inspector relay limits", () => {
  it("answers a foreign Origin with 403, on the page and on the upgrade", async () => {
    const { page, viewerUrl } = await relay();
    const res = await fetch(page, { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(403);
    const foreign = new WebSocket(viewerUrl, { origin: "https://evil.example" });
    foreign.on("error", () => {});
    cleanup.push(() => foreign.terminate());
    const status = await new Promise<number>((r) => foreign.once("unexpected-response", (_q, res) => r(res.statusCode!)));
    expect(status).toBe(403);
    const other = new WebSocket(viewerUrl, { origin: "http://127.0.0.1:1" });
    other.on("error", () => {});
    cleanup.push(() => other.terminate());
    expect(await new Promise<number>((r) => other.once("unexpected-response", (_q, res) => r(res.statusCode!)))).toBe(403);
  });

  it("closes a sender of a frame past the limit with 1009", async () => {
    const { viewerUrl } = await relay();
    const script = await open(viewerUrl);
    const closed = new Promise<number>((r) => script.once("close", (code) => r(code)));
    script.send("x".repeat(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
  });

  it("relays and keeps only the voice machine's frames, not a local script's", async () => {
    const { inspection, origin, viewerUrl } = await relay();
    const viewer = await open(viewerUrl, origin);
    const script = await open(viewerUrl);
    const forged = JSON.stringify({ type: "@xstate.snapshot", sessionId: "forged", snapshot: { value: "FORGED" } });
    script.send(forged);
    await demoTurn(inspection.actorOptions);
    await until(() => viewer.frames.some(isIdleSnapshot));
    expect(viewer.frames.some(isIdleSnapshot)).toBe(true);
    const late = await open(viewerUrl, origin);
    await until(() => late.frames.some(isIdleSnapshot));
    for (const frames of [viewer.frames, late.frames, script.frames]) expect(frames.some((f) => f.includes("FORGED"))).toBe(false);
    expect(late.frames.length).toBeGreaterThan(10);
  });

  it("keeps at most replayBytes for a late viewer, the newest frames", async () => {
    const { inspection, origin, viewerUrl } = await relay({ replayBytes: 16 * 1024 });
    const live = await open(viewerUrl, origin);
    await demoTurn(inspection.actorOptions);
    await until(() => live.frames.some(isIdleSnapshot));
    const all = live.frames.reduce((n, f) => n + Buffer.byteLength(f), 0);
    expect(all).toBeGreaterThan(16 * 1024);
    const late = await open(viewerUrl, origin);
    await until(() => late.frames.some(isIdleSnapshot));
    const kept = late.frames.reduce((n, f) => n + Buffer.byteLength(f), 0);
    expect(kept).toBeLessThanOrEqual(16 * 1024);
    expect(kept).toBeGreaterThan(0);
    // The newest: what the late viewer got is the tail of what the live one saw.
    expect(late.frames).toEqual(live.frames.slice(live.frames.length - late.frames.length));
  });
});
