/**
 * --inspect: the voice machine's inspection frames reach a WebSocket
 * receiver during a demo_flow, through the loopback relay (as a browser page
 * would get them) and directly; anything beyond loopback is refused.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { attachInspector } from "../../../server/app/inspect.js";
import { demoTurn as runDemoTurn } from "./inspect-turn.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { until } from "../../helpers/wait.js";

const cleanup = useCleanup();

interface Frame {
  type: string;
  sessionId?: string;
  name?: string;
  event?: { type: string; pcm?: unknown; state?: string };
  snapshot?: { value?: unknown };
}


function recordFrames(ws: WebSocket): Frame[] {
  const frames: Frame[] = [];
  ws.on("message", (d) => frames.push(JSON.parse(d.toString()) as Frame));
  return frames;
}

const demoTurn = (actorOptions: object) => runDemoTurn(actorOptions, cleanup);

/** The turn is over in the frames: an idle snapshot follows a remembering one. */
function turnDone(frames: Frame[]): boolean {
  const values = frames.filter((f) => f.type === "@xstate.snapshot").map((f) => JSON.stringify(f.snapshot?.value));
  const remembering = values.indexOf('"remembering"');
  return remembering >= 0 && values.indexOf('"idle"', remembering) > remembering;
}

function checkFrames(frames: Frame[]): void {
  const session = (name: string) => {
    const actor = frames.find((f) => f.type === "@xstate.actor" && f.name === name);
    expect(actor, `actor ${name}`).toBeDefined();
    return {
      events: frames.filter((f) => f.type === "@xstate.event" && f.sessionId === actor!.sessionId).map((f) => f.event!),
      values: frames.filter((f) => f.type === "@xstate.snapshot" && f.sessionId === actor!.sessionId).map((f) => JSON.stringify(f.snapshot!.value)),
    };
  };
  // The session machine takes the command and its turn's reports, and rests at idle.
  const voice = session("voice");
  expect(voice.events.map((e) => e.type)).toEqual(expect.arrayContaining(["user.demo", "turn.stage", "turn.phase", "xstate.done.actor.turn"]));
  // The turn's domain events are not passed through the session (listeners take them from the turn).
  expect(voice.events.filter((e) => e.type === "turn.phase").map((e) => e.state)).toEqual(["listening", "thinking", "speaking"]);
  expect(voice.values).toEqual(expect.arrayContaining(['{"turn":"listening"}', '{"turn":"answering"}', '{"turn":"remembering"}', '"idle"']));
  // The turn machine is inspected too: its stage actors' events and its states.
  const turn = session("turn");
  expect(turn.events.map((e) => e.type)).toEqual(expect.arrayContaining(["stt.final", "llm.delta", "llm.done", "tts.chunk", "tts.done"]));
  expect(turn.values).toEqual(expect.arrayContaining(['{"listening":"demo"}', '"remembering"', '"completed"']));
  // Audio samples are not shipped to the inspector, only their size.
  const chunk = turn.events.find((e) => e.type === "tts.chunk")!;
  expect(chunk.pcm).toEqual({ bytes: expect.any(Number) });
  // Stage actors show up as children.
  expect(frames.filter((f) => f.type === "@xstate.actor").map((f) => f.name)).toEqual(expect.arrayContaining(["stt", "llm", "tts"]));
}

describe("attachInspector", () => {
  it("sends actor, event and snapshot frames of a demo turn to a local receiver", async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", () => r()));
    cleanup.push(() => new Promise<void>((r) => (wss.close(), http.close(() => r()))));
    const frames: Frame[] = [];
    wss.on("connection", (ws) => ws.on("message", (d) => frames.push(JSON.parse(d.toString()) as Frame)));
    const inspection = await attachInspector({}, { receiverUrl: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` });
    cleanup.push(() => inspection.close());
    expect(inspection.pageUrl).toBeNull();
    await demoTurn(inspection.actorOptions);
    await until(() => turnDone(frames));
    checkFrames(frames);
  });

  it("relays the frames to a page's socket through the loopback relay, which refuses foreign origins", async () => {
    const inspection = await attachInspector({});
    cleanup.push(() => inspection.close());
    expect(inspection.pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(inspection.pageUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("https://stately.ai/inspect");
    const origin = inspection.pageUrl!.replace(/\/$/, "");
    const pageSocketUrl = inspection.pageUrl!.replace(/^http/, "ws");
    const browser = new WebSocket(pageSocketUrl, { origin });
    cleanup.push(() => browser.terminate());
    await new Promise((r, j) => (browser.once("open", r), browser.once("error", j)));
    const frames = recordFrames(browser);
    const foreign = new WebSocket(pageSocketUrl, { origin: "https://evil.example" });
    const refused = await new Promise<number>((r) => foreign.once("unexpected-response", (_q, res) => r(res.statusCode!)));
    expect(refused).toBe(403);
    await demoTurn(inspection.actorOptions);
    await until(() => turnDone(frames));
    checkFrames(frames);
  });

  it("refuses a receiver beyond loopback", async () => {
    await expect(attachInspector({}, { receiverUrl: "ws://192.168.1.20:8080" })).rejects.toThrow(
      new TypeError("inspector receiver must be a loopback ws:// URL (127.0.0.1, [::1] or localhost), got ws://192.168.1.20:8080"),
    );
  });
});
