/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core)
 * against the real server: the demo turn shows its transcript, streamed
 * answer, tool call and latency on the page; typed questions get answers;
 * push-to-talk streams the (fake) microphone as PCM; speech is played; a
 * server restart on the same port is survived without duplicate lines; and a
 * page from another origin cannot open the WebSocket.
 *
 * Screenshot: the demo test writes one to the temp folder (docs/dashboard.png
 * comes from `npm run docs:screenshot`, with the real default engines)
 * (the README's picture); otherwise it writes to the temp folder, so test
 * runs do not touch the tree.
 */
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "../../../server/app/logger.js";
import { startCoda, type CodaFixture } from "../client/fixture.js";
import { hasChromium, launch, SKIP_REASON, type Browser } from "./browser.js";

const SCREENSHOT = join(tmpdir(), "coda-dashboard.png");

let browser: Browser | undefined;
let fixtures: CodaFixture[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  if (hasChromium) browser = await launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const f of fixtures) await f.close();
  fixtures = [];
  for (const s of servers.splice(0)) {
    s.closeAllConnections(); // the browser keeps its connection alive
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function coda(options: Parameters<typeof startCoda>[0] = {}): Promise<CodaFixture> {
  const f = await startCoda({ wordDelayMs: 25, ...options });
  fixtures.push(f);
  return f;
}

const texts = (page: import("playwright-core").Page, selector: string) => page.locator(selector).allTextContents();

describe.skipIf(!hasChromium)(`dashboard in Chromium${hasChromium ? "" : ` (${SKIP_REASON})`}`, () => {
  it("runs the demo: transcript, streamed answer, tool call, latency, statechart; then answers a typed question", async () => {
    const f = await coda();
    const page = await browser!.page();
    await page.goto(`${f.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator('#statechart[data-active="voice.idle"]').waitFor();
    // Record how the answer and the highlighted state change while the turn runs.
    await page.evaluate(() => {
      const w = window as unknown as { seen: { answers: string[]; states: string[] } };
      w.seen = { answers: [], states: [] };
      new MutationObserver(() => {
        const a = document.querySelector(".turn .assistant")?.textContent ?? "";
        if (a && w.seen.answers.at(-1) !== a) w.seen.answers.push(a);
        const s = document.getElementById("statechart")!.dataset.active ?? "";
        if (w.seen.states.at(-1) !== s) w.seen.states.push(s);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });

    await page.getByRole("button", { name: "Demo" }).click();
    await page.locator(".turn .latency-line:not([hidden])").waitFor();
    await page.locator('#statechart[data-active="voice.idle"]').waitFor();

    expect(await texts(page, ".turn .user")).toEqual(["What time is it, and what did I tell you about my plans?"]);
    const [answer] = await texts(page, ".turn .assistant");
    // Both parts of the demo question are answered.
    expect(answer).toMatch(/^It's \d{1,2}:\d{2} [AP]M \(UTC\)\. I don't remember anything about your plans yet\.$/);
    const seen = await page.evaluate(() => (window as unknown as { seen: { answers: string[]; states: string[] } }).seen);
    // Streamed: the answer grew word by word before it was complete.
    expect(seen.answers.length).toBeGreaterThan(2);
    expect(seen.answers.every((a) => answer!.startsWith(a))).toBe(true);
    expect(seen.states).toEqual(["voice.idle", "voice.turn.listening.demo", "voice.turn.answering", "voice.turn.answering.speech.synthesizing", "voice.idle"]);
    const tools = await texts(page, ".turn .chip.tool");
    expect(tools).toHaveLength(2);
    expect(tools[0]).toMatch(/^tool get_time\(\) → \{"timezone":"UTC",/);
    expect(tools[1]).toMatch(/^tool recall\(/);
    expect(await texts(page, ".latency .turn-total")).toEqual([expect.stringMatching(/^\d+ ms$|^\d+\.\d\d s$/)]);
    expect(await page.locator("#log tbody tr").count()).toBeGreaterThan(20);
    // The header names the speech engine and voice of the turn, and its title says how to switch.
    expect(await page.locator("#voice").textContent()).toBe("voice: scripted");
    expect(await page.locator("#voice").getAttribute("title")).toContain("Default: Flite, voice rms. Switch with --tts-voice");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The log's type filter shows only the chosen type.
    await page.selectOption("#log-filter", "tool_call");
    expect(await page.locator("#log tbody tr:visible").count()).toBe(2);
    await page.selectOption("#log-filter", "");

    // A typed question, sent with the keyboard.
    await page.locator("#text").fill("what is 12 times 7");
    await page.locator("#text").press("Enter");
    await page.locator(".turn:nth-child(2) .latency-line:not([hidden])").waitFor();
    expect(await texts(page, ".turn .user")).toEqual(["What time is it, and what did I tell you about my plans?", "what is 12 times 7"]);
    expect((await texts(page, ".turn .assistant"))[1]).toBe("12 * 7 is 84.");
    expect(await page.locator(".latency .turn-total").count()).toBe(2);
    // Speech was played in the page (the scripted synthesiser's tone).
    expect(await page.evaluate(() => (window as unknown as { coda: { player: { chunks: number } } }).coda.player.chunks)).toBeGreaterThan(0);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it("Stop 1 s into a long answer: the player falls silent, the header says idle, the conversation shows the heard part marked cut", async () => {
    // About 60 ms of audio per character: the answer below lasts several seconds; it is synthesised at once.
    const f = await coda({ tts: { msPerChar: 60 } });
    const page = await browser!.page();
    await page.goto(`${f.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator("#text").fill("what can you do");
    await page.locator("#text").press("Enter");
    type W = { coda: { player: { turn: unknown; sources: Set<unknown> } } };
    await page.waitForFunction(() => (window as unknown as W).coda.player.turn !== null);
    await page.waitForTimeout(1000);
    // Synthesis ended long ago; the answer is still being heard, so the header still says speaking.
    expect(await page.locator("#machine-state").getAttribute("data-phase")).toBe("speaking");
    await page.getByRole("button", { name: "Stop" }).click();
    await page.locator("#machine-state[data-phase=idle]").waitFor();
    expect(await page.evaluate(() => (window as unknown as W).coda.player.sources.size)).toBe(0);
    const [heard] = await texts(page, ".turn .assistant.cut");
    const full = (f.bridge.actor.getSnapshot().context.history.find((m) => m.role === "assistant")!).content;
    expect(heard).toBe(full);
    expect(heard!.endsWith("—")).toBe(true);
    expect(heard!.length).toBeGreaterThan(1);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it("push-to-talk streams the microphone as 16 kHz s16le PCM while held", async () => {
    const f = await coda({ stt: { utterances: ["what is 6 times 7"], waitForAudioEnd: true } });
    // Record the size of every microphone frame the server takes.
    const frames: number[] = [];
    const push = f.bridge.pushAudio.bind(f.bridge);
    f.bridge.pushAudio = (source, chunk) => {
      frames.push(chunk.byteLength);
      push(source, chunk);
    };
    const page = await browser!.page();
    await page.goto(`${f.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    const ptt = page.locator("#ptt");
    await ptt.focus();
    await page.keyboard.down("Space");
    await page.locator('#statechart[data-active="voice.turn.listening.voice"]').waitFor();
    await expect.poll(() => f.stt.calls[0]?.chunks ?? 0, { timeout: 5000 }).toBeGreaterThan(3);
    await page.keyboard.up("Space");
    await page.locator(".turn .latency-line:not([hidden])").waitFor();
    expect(await texts(page, ".turn .user")).toEqual(["what is 6 times 7"]);
    expect(await texts(page, ".turn .assistant")).toEqual(["6 * 7 is 42."]);
    expect(f.stt.calls).toHaveLength(1);
    // 100 ms frames of 16 kHz 16-bit mono (3200 bytes); the last one, flushed on release, may be shorter.
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.slice(0, -1).every((n) => n === 3200)).toBe(true);
    expect(frames.at(-1)! % 2).toBe(0);
    expect(frames.at(-1)!).toBeLessThanOrEqual(3200);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it("reconnects after a server restart on the same port and resumes without duplicate lines", async () => {
    const first = await coda();
    const port = first.server.port;
    const page = await browser!.page();
    await page.goto(`${first.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator("#text").fill("what is 2 plus 2");
    await page.locator("#text").press("Enter");
    await page.locator(".turn .latency-line:not([hidden])").waitFor();
    const rowsBefore = await page.locator("#log tbody tr").count();

    await first.close();
    fixtures = fixtures.filter((x) => x !== first);
    await page.locator("#conn[data-state=reconnecting]").waitFor();
    const second = await coda({ port });
    await page.locator('#conn[data-state=open][data-reconnects="1"]').waitFor();
    expect(await page.locator("#conn").textContent()).toBe("connected · 1 reconnect");
    expect(await page.locator("#notice").textContent()).toBe("The server restarted; showing its new run.");
    expect(await texts(page, ".conversation > li")).toHaveLength(2); // the old turn and the divider
    expect(await page.locator(".conversation .divider").textContent()).toBe("Server restarted");

    await page.locator("#text").fill("what is 3 plus 3");
    await page.locator("#text").press("Enter");
    await page.locator(".turn:nth-of-type(3) .latency-line:not([hidden])").waitFor();
    expect(await texts(page, ".turn .user")).toEqual(["what is 2 plus 2", "what is 3 plus 3"]);
    expect(await texts(page, ".turn .assistant")).toEqual(["2 + 2 is 4.", "3 + 3 is 6."]);
    // Every logged event appears once: one llm_result and one latency_trace per turn.
    const types = await texts(page, "#log tbody td.type");
    expect(types.filter((t) => t === "llm_result")).toHaveLength(2);
    expect(types.filter((t) => t === "latency_trace")).toHaveLength(2);
    expect(types.length).toBeGreaterThan(rowsBefore);
    expect(second.server.clientCount).toBe(1);
    expect(page.problems.filter((p) => !p.includes("WebSocket"))).toEqual([]);
    await page.close();
  });

  it("refuses a WebSocket from a page of another origin (403)", async () => {
    const refusals: object[] = [];
    const logger: Logger = { info: (msg, fields) => msg === "upgrade refused" && refusals.push(fields ?? {}), warn() {}, error() {} };
    const f = await coda({ logger });
    // A page on another port of the same machine: a different origin.
    const other = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><title>pending</title><script>
        const ws = new WebSocket("ws://127.0.0.1:${f.server.port}/");
        ws.onopen = () => (document.title = "opened");
        ws.onclose = (e) => (document.title = "closed " + e.code);
      </script>`);
    });
    servers.push(other);
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const page = await browser!.page();
    await page.goto(`http://127.0.0.1:${(other.address() as { port: number }).port}/`);
    await expect.poll(() => page.title(), { timeout: 5000 }).toBe("closed 1006");
    expect(refusals).toEqual([{ status: 403, reason: `Origin "http://127.0.0.1:${(other.address() as { port: number }).port}" is not allowed; add it with --allowed-origin` }]);
    expect(f.server.clientCount).toBe(0);
    await page.close();
  });
});
