/**
 * The dashboard in a real browser (Debian's Chromium via playwright-core)
 * against the real server: the demo turn shows its transcript, streamed
 * answer, tool call and latency on the page; the statechart is legible at
 * 1400 px and shows the answer playing; the voice is named before any
 * answer; the memory panel lists, searches and forgets; the latency chart
 * shows the wait for the first audio on a scale one slow turn cannot
 * squash; typed questions get answers; an answer cut by a reload or a stop
 * comes back marked cut, as heard; push-to-talk streams the (fake)
 * microphone as PCM; speech is played; a question another client's took
 * over says whose did and what happened to it (and the release of an
 * overtaken push-to-talk is a plain notice); a server restart on the same port is
 * survived without duplicate lines; and a page from another origin cannot
 * open the WebSocket.
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
import { newClient, next } from "../client/helpers.js";
import { hangingOn } from "../../helpers/llm.js";
import { useServers } from "../../helpers/server.js";
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

// Registered after the fixtures' hook: its clients are closed first (after-hooks run in reverse).
const { trackClient } = useServers();

async function coda(options: Parameters<typeof startCoda>[0] = {}): Promise<CodaFixture> {
  const f = await startCoda({ wordDelayMs: 25, ...options });
  fixtures.push(f);
  return f;
}

type Page = import("playwright-core").Page;
const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

/**
 * How the statechart reads on screen: the smallest rendered size (px) of the
 * state names and of the arc labels in view, how many of each are in view,
 * and whether the highlighted state is wholly in view.
 */
function legibility(page: Page) {
  return page.evaluate(() => {
    const el = document.getElementById("statechart")!;
    const view = el.getBoundingClientRect();
    const k = el.querySelector("svg")!.getScreenCTM()!.a;
    const inView = (r: DOMRect) => r.right > view.left && r.left < view.right && r.bottom > view.top && r.top < view.bottom;
    const shown = (selector: string) => Array.from(el.querySelectorAll(selector)).filter((t) => inView(t.getBoundingClientRect()));
    const px = (ts: Element[]) => Math.min(...ts.map((t) => parseFloat(getComputedStyle(t).fontSize) * k));
    const names = shown(".sc-state .sc-name"), labels = shown(".sc-labels > text");
    const active = el.querySelector(".sc-state.active > rect")!.getBoundingClientRect();
    return {
      stateNamePx: px(names),
      arcLabelPx: px(labels),
      names: names.length,
      labels: labels.length,
      activeInView: active.left >= view.left && active.right <= view.right && active.top >= view.top && active.bottom <= view.bottom,
    };
  });
}

function expectLegible(l: Awaited<ReturnType<typeof legibility>>): void {
  expect(l.activeInView).toBe(true);
  expect(l.stateNamePx).toBeGreaterThanOrEqual(12);
  expect(l.arcLabelPx).toBeGreaterThanOrEqual(10.5);
  expect(l.names).toBeGreaterThanOrEqual(3);
  expect(l.labels).toBeGreaterThanOrEqual(3);
}

/** The dashboard's own formatting of milliseconds (dom.js). */
async function pageMs(page: Page, value: number | null): Promise<string> {
  // A page module, imported by the page (an import inside an evaluated function would be rewritten by vitest).
  const dom = await page.evaluateHandle("import('/dashboard/dom.js')");
  return page.evaluate(([m, v]) => (m as { ms(v: number | null): string }).ms(v), [dom, value] as const);
}

describe.skipIf(!hasChromium)(`dashboard in Chromium${hasChromium ? "" : ` (${SKIP_REASON})`}`, () => {
  it("runs the demo: transcript, streamed answer, tool call, latency, statechart; then answers a typed question", async () => {
    console.log("T start");
    const f = await coda();
    const page = await browser!.page();
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${f.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator('#statechart[data-active="voice.idle"]').waitFor();
    // The voice is named before any answer (system_info), and nothing is remembered yet.
    await page.locator("#voice", { hasText: "voice: scripted" }).waitFor();
    await page.locator("#mem-status", { hasText: "No memories yet." }).waitFor();
    // At 1400 px the statechart is read at (at least) its CSS sizes around the active state.
    expectLegible(await legibility(page));
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
    // Once synthesised, the answer plays out: `playing` is highlighted until the turn ends.
    expect(seen.states).toEqual(["voice.idle", "voice.turn.listening.demo", "voice.turn.answering", "voice.turn.answering.speech.synthesizing", "voice.turn.playing", "voice.idle"]);
    const tools = await texts(page, ".turn .chip.tool");
    expect(tools).toHaveLength(2);
    expect(tools[0]).toMatch(/^tool get_time\(\) → \{"timezone":"UTC",/);
    expect(tools[1]).toMatch(/^tool recall\(/);
    // The latency row is the wait for the first audio after the question was heard, not the whole turn.
    const trace = await page.evaluate(() => (window as unknown as { coda: { client: import("../../../server/client/index.js").CodaClient } }).coda.client.conversation.turns[0]!.latency!);
    expect(trace.input_to_first_audio_ms).not.toBeNull();
    expect(await texts(page, ".latency .turn-total")).toEqual([await pageMs(page, trace.input_to_first_audio_ms)]);
    expect(await page.locator(".turn .latency-line").textContent()).toBe(`first audio ${await pageMs(page, trace.input_to_first_audio_ms)} after the transcript · whole turn ${await pageMs(page, trace.total_ms)}`);
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

    // The memory panel follows what the turns stored: both turns, newest first.
    const stored = await f.memory.list({ limit: 10 });
    expect(stored.map((m) => m.kind)).toEqual(["turn", "turn"]);
    await expect.poll(() => page.locator("#memories .memory").evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.id))).toEqual(stored.map((m) => m.id));
    expect(await texts(page, "#memories .memory-text")).toEqual(stored.map((m) => m.text));
    expect(await page.locator("#memories .heard-only").count()).toBe(0);
    // Search, then forget what was found: gone from the page and from the server's store.
    await page.locator("#mem-query").fill("weather");
    await page.locator("#mem-query").press("Enter");
    await page.locator("#mem-status", { hasText: "No memory matches “weather”." }).waitFor();
    await page.locator("#mem-query").fill("plans");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.locator("#mem-status", { hasText: "1 memory matches “plans”, best first." }).waitFor();
    expect(await texts(page, "#memories .memory-text")).toEqual([stored[1]!.text]);
    await page.getByRole("button", { name: `Forget memory ${stored[1]!.id}` }).click();
    await page.locator("#mem-status", { hasText: `Forgot ${stored[1]!.id}.` }).waitFor();
    expect(await page.locator("#memories .memory").count()).toBe(0);
    expect((await f.memory.list({ limit: 10 })).map((m) => m.id)).toEqual([stored[0]!.id]);
    await page.locator("#mem-query").fill("");
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.locator("#mem-status", { hasText: "The 1 memory, newest first." }).waitFor();

    // One slow turn does not squash the others: the scale ends at three times the median wait.
    const latencyModule = await page.evaluateHandle("import('/dashboard/latency.js')");
    const chart = await page.evaluate((m) => {
      type Chart = { add(trace: object): void };
      const { LatencyChart } = m as { LatencyChart: new (el: HTMLElement) => Chart };
      const el = document.createElement("div");
      el.className = "latency";
      document.body.append(el);
      const c = new LatencyChart(el);
      const trace = (turn_id: string, wait: number) => ({ turn_id, mode: "push_to_talk", interrupted: false, stt_ms: 4000, memory_ms: 5, llm_first_token_ms: wait - 100, llm_total_ms: wait, tool_ms: null, tts_first_audio_ms: 60, tts_total_ms: 900, input_to_first_audio_ms: wait, total_ms: wait + 9000 });
      for (const [id, wait] of [["t1", 400], ["t2", 20_000], ["t3", 500], ["t4", 450]] as const) c.add(trace(id, wait));
      const plot = el.querySelector("svg")!.getBoundingClientRect().width;
      const rows = Array.from(el.querySelectorAll(".row")).map((row) => {
        const segs = Array.from(row.querySelectorAll(".seg")).map((r) => r.getBoundingClientRect());
        return { turn: row.getAttribute("data-turn"), clipped: row.classList.contains("clipped"), label: row.querySelector(".turn-total")!.textContent, share: (Math.max(...segs.map((r) => r.right)) - Math.min(...segs.map((r) => r.left))) / plot, stt: row.querySelectorAll(".seg-stt").length };
      });
      el.remove();
      return rows;
    }, latencyModule);
    expect(chart.map((r) => [r.turn, r.clipped, r.label, r.stt])).toEqual([["t1", false, "400 ms", 0], ["t2", true, "20.00 s", 0], ["t3", false, "500 ms", 0], ["t4", false, "450 ms", 0]]);
    // 400 ms of a scale ending at 1.425 s (3 × the median 475 ms) is over a fifth of the plot, not 2 % of 20 s.
    expect(chart[0]!.share).toBeGreaterThan(0.2);
    expect(chart[1]!.share).toBeGreaterThan(chart[2]!.share);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it("an answer cut by a reload, then one cut by Stop 1 s in: each is shown as heard, marked cut, in the conversation and the memory panel; `playing` is highlighted, legibly, while an answer plays", async () => {
    // About 60 ms of audio per character: the answer below lasts several seconds; it is synthesised at once.
    const f = await coda({ tts: { msPerChar: 60 } });
    const page = await browser!.page();
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${f.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    type W = { coda: { player: { turn: unknown; sources: Set<unknown> } } };
    const ask = async (text: string) => {
      await page.locator("#text").fill(text);
      await page.locator("#text").press("Enter");
      await page.waitForFunction(() => (window as unknown as W).coda.player.turn !== null);
    };

    // The page, the only listener, reloads while the answer plays: the server keeps only what was heard.
    await ask("what can you do");
    await page.locator('#statechart[data-active="voice.turn.playing"]').waitFor();
    expectLegible(await legibility(page));
    await page.waitForTimeout(1000);
    await page.reload();
    await page.locator("#conn[data-state=open]").waitFor();
    await page.locator("#machine-state[data-phase=idle]").waitFor();
    const [kept] = await f.memory.list({ limit: 1 });
    expect(kept).toMatchObject({ kind: "turn", interrupted: true });
    const heardBeforeReload = kept!.text.split("\nAssistant (interrupted): ")[1]!;
    expect(heardBeforeReload.endsWith("—")).toBe(true);
    await page.locator(".turn .assistant.cut").waitFor();
    expect(await texts(page, ".turn .assistant")).toEqual([heardBeforeReload]);
    await page.locator("#memories .memory .heard-only").waitFor();

    // Stop 1 s into the next answer.
    await ask("what can you do");
    await page.waitForTimeout(1000);
    // Synthesis ended long ago; the answer is still being heard, so the header still says speaking.
    expect(await page.locator("#machine-state").getAttribute("data-phase")).toBe("speaking");
    expect(await page.locator("#statechart").getAttribute("data-active")).toBe("voice.turn.playing");
    await page.getByRole("button", { name: "Stop" }).click();
    await page.locator("#machine-state[data-phase=idle]").waitFor();
    expect(await page.evaluate(() => (window as unknown as W).coda.player.sources.size)).toBe(0);
    const heard = (await texts(page, ".turn .assistant.cut"))[1];
    const full = f.bridge.actor.getSnapshot().context.history.findLast((m) => m.role === "assistant")!.content;
    expect(heard).toBe(full);
    expect(heard!.endsWith("—")).toBe(true);
    expect(heard!.length).toBeGreaterThan(1);
    await expect.poll(() => page.locator("#memories .memory .heard-only").count()).toBe(2);
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
    // The wait shown is from the transcript to the first audio: the time the button was held is not in it.
    const trace = await page.evaluate(() => (window as unknown as { coda: { client: import("../../../server/client/index.js").CodaClient } }).coda.client.conversation.turns[0]!.latency!);
    expect(trace.stt_ms).toBeGreaterThan(trace.input_to_first_audio_ms!);
    expect(await texts(page, ".latency .turn-total")).toEqual([await pageMs(page, trace.input_to_first_audio_ms)]);
    expect(Number(await page.locator(".latency .row").getAttribute("data-wait"))).toBe(trace.input_to_first_audio_ms);
    expect(f.stt.calls).toHaveLength(1);
    // 100 ms frames of 16 kHz 16-bit mono (3200 bytes); the last one, flushed on release, may be shorter.
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.slice(0, -1).every((n) => n === 3200)).toBe(true);
    expect(frames.at(-1)! % 2).toBe(0);
    expect(frames.at(-1)!).toBeLessThanOrEqual(3200);
    expect(page.problems).toEqual([]);
    await page.close();
  });

  it("another client's question takes over: the page says whose question did and what happened to its own (utterance dropped, question not answered), and the release of an overtaken push-to-talk is a notice, not an error", async () => {
    const f = await coda({ stt: { utterances: ["hello there"], waitForAudioEnd: true }, llm: hangingOn(/story/, "12 * 7 is 84.") });
    // What the pipeline refused, by command and code.
    const refused: string[] = [];
    const dispatch = f.bridge.dispatch.bind(f.bridge);
    f.bridge.dispatch = (command, source) => {
      try {
        dispatch(command, source);
      } catch (err) {
        refused.push(`${command.type} ${(err as { code?: string }).code}`);
        throw err;
      }
    };
    const page = await browser!.page();
    await page.goto(`${f.httpUrl}/`);
    await page.locator("#conn[data-state=open]").waitFor();
    const other = trackClient(newClient(f.wsUrl));
    await other.connect();
    const me = await page.evaluate(() => (window as unknown as { coda: { client: { clientId: string } } }).coda.client.clientId);
    const takeover = (turn: string) => page.locator(`.turn[data-turn="${turn}"] .takeover`);
    const ask = async (text: string) => {
      await page.locator("#text").fill(text);
      await page.locator("#text").press("Enter");
    };

    // Push-to-talk held here; the other client types a question.
    await page.locator("#ptt").focus();
    await page.keyboard.down("Space");
    await page.locator('#statechart[data-active="voice.turn.listening.voice"]').waitFor();
    await other.textInput("what is 12 times 7");
    const dropped = `Another client (${other.clientId}) asked “what is 12 times 7” — your utterance was dropped before it was heard.`;
    await takeover("t1").filter({ hasText: dropped }).waitFor();
    await page.locator(".turn[data-turn=t2] .latency-line:not([hidden])").waitFor();
    // Released after the answer: told what happened, in the header, not an error.
    await page.keyboard.up("Space");
    await expect.poll(() => refused).toEqual(["stt_stop overtaken"]);
    await page.locator("#notice", { hasText: dropped }).waitFor();
    expect(await page.locator("#ptt").getAttribute("aria-pressed")).toBe("false");

    // A question typed here, still being thought about, when the other client asks.
    await ask("tell me a long story");
    await page.locator(".turn[data-turn=t3] .user", { hasText: "tell me a long story" }).waitFor();
    await page.locator('#machine-state[data-phase="thinking"]').waitFor();
    await other.textInput("what is 12 times 7");
    const unanswered = `Another client (${other.clientId}) asked “what is 12 times 7” — your question “tell me a long story” was not answered.`;
    await takeover("t3").filter({ hasText: unanswered }).waitFor();
    // The header says it too, naming the other question once it is known.
    await page.locator("#notice", { hasText: unanswered }).waitFor();
    await page.locator(".turn[data-turn=t4] .latency-line:not([hidden])").waitFor();

    // The other way round: this page's question takes over the other client's.
    const thinking = next(other, "llm_start");
    await other.textInput("tell me a story");
    await thinking;
    await ask("what is 12 times 7");
    await takeover("t5").filter({ hasText: `You asked “what is 12 times 7” — ${other.clientId}'s question “tell me a story” was not answered.` }).waitFor();
    await page.locator(".turn[data-turn=t6] .latency-line:not([hidden])").waitFor();
    // The turns nobody took over say nothing of the kind.
    expect(await texts(page, ".turn .takeover:not([hidden])")).toHaveLength(3);
    expect(await page.locator("#notice").textContent()).not.toMatch(/invalid_state|overtaken:/);
    expect(refused).toEqual(["stt_stop overtaken"]);
    expect(me).not.toBe(other.clientId);
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
