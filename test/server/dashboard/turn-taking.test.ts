/**
 * Turn-taking in the dashboard, in Chromium, against a server built as
 * `npm start` builds it: PocketSphinx, Silero VAD, the built-in responder
 * with its tools, Flite, SQLite memory in a temporary folder. The page's
 * microphone is the test's (test/server/dashboard/fake-mic.ts): real words in the
 * default voice, and, for continuous mode, the page's own speaker output as
 * a microphone without echo cancellation hears it.
 *
 * - Push-to-talk held across a 1 s pause in speech is one utterance (the
 *   VAD, which ends an utterance after 700 ms of silence in continuous mode,
 *   does not cut a held button), and releasing it is acked, not refused.
 * - In continuous mode the answer plays to its end while the microphone
 *   hears it: no turn starts from the assistant's own voice, the turn ends
 *   completed, and listening resumes only after the page reported the end
 *   of playback.
 * - A spoken answer leaves no flood in the event log: no row per audio
 *   frame (tts_audio), no command_ack per playback report.
 *
 * Skipped, saying why, without Chromium or PocketSphinx.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { PocketSphinxStt } from "../../../actors/stt/pocketsphinx.js";
import { concatBytes } from "../../../actors/wav.js";
import { normaliseWords, wordErrors } from "../../../bench/voice-sentences.js";
import { createCodaServer, type CodaServer } from "../../../server/app/app.js";
import type { Bridge } from "../../../server/pipeline/bridge.js";
import type { Logger } from "../../../server/app/logger.js";
import { silence, speak } from "../../helpers/speech.js";
import { hasChromium, SKIP_REASON, useBrowser } from "./browser.js";
import { installFakeMic, sayInPage, setEcho } from "./fake-mic.js";

const sphinx = PocketSphinxStt.isAvailable();
const skipReason = !hasChromium ? SKIP_REASON : !sphinx ? "skipped: PocketSphinx is missing (apt-get install pocketsphinx pocketsphinx-en-us)" : "";

const browser = useBrowser();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What the page saw, in its order: every event its client delivered, and every playback report its player made. */
interface Seen {
  type: string;
  data: Record<string, unknown>;
}
type SeenWindow = { seen: Seen[] };

interface Served {
  coda: CodaServer;
  bridge: Bridge;
  /** Microphone frames the server took, with the machine's state when each arrived and the frame's RMS (0..1). */
  frames: { state: string; rms: number }[];
  /** Server log lines at warn and error. */
  problems: string[];
}

/** A server with the default engines (npm start's), and a record of the microphone audio it takes. */
async function serve(): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), "coda-turn-taking-"));
  const problems: string[] = [];
  const logger: Logger = {
    info() {},
    warn: (msg, fields) => problems.push(`warn ${msg} ${JSON.stringify(fields ?? {})}`),
    error: (msg, fields) => problems.push(`error ${msg} ${JSON.stringify(fields ?? {})}`),
  };
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: join(dir, "memory.db"), llmEngine: "builtin", logger });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => coda.stop());
  const bridge = coda.pipeline as Bridge;
  expect(coda.engines.stt.name).toBe("pocketsphinx");
  expect(coda.engines.tts.name).toBe("flite");
  const frames: Served["frames"] = [];
  const push = bridge.pushAudio.bind(bridge);
  bridge.pushAudio = (source, chunk) => {
    // A copy: a frame from ws may start at an odd offset of its pooled buffer.
    const samples = new Int16Array(chunk.slice().buffer, 0, chunk.byteLength >> 1);
    let sum = 0;
    for (const s of samples) sum += (s / 32768) ** 2;
    frames.push({ state: bridge.state(), rms: Math.sqrt(sum / Math.max(1, samples.length)) });
    push(source, chunk);
  };
  return { coda, bridge, frames, problems };
}

/** The dashboard with the fake microphone, connected, recording what it sees. */
async function open(served: Served): Promise<Page & { problems: string[] }> {
  const page = await browser()!.page();
  cleanups.push(() => page.close());
  await installFakeMic(page);
  await page.goto(served.coda.url.replace("ws://", "http://") + "/");
  await page.locator("#conn[data-state=open]").waitFor();
  await page.locator("#machine-state[data-phase=idle]").waitFor();
  await page.evaluate(() => {
    const w = window as unknown as SeenWindow & {
      coda: { client: { on(type: "event", fn: (e: Seen) => void): void }; player: { report: (turnId: string, state: string, positionMs: number) => void } };
    };
    w.seen = [];
    w.coda.client.on("event", (e) => w.seen.push({ type: e.type, data: e.data }));
    const report = w.coda.player.report;
    w.coda.player.report = (turnId, state, positionMs) => {
      w.seen.push({ type: "playback_report", data: { turn_id: turnId, state, position_ms: positionMs } });
      report(turnId, state, positionMs);
    };
  });
  return page;
}

const seen = (page: Page) => page.evaluate(() => (window as unknown as SeenWindow).seen);
/** Wait (generously: real engines on a loaded machine) until the page has seen an event that `match`es. */
async function waitForSeen(page: Page, match: { type: string; turn_id?: string; state?: string }): Promise<void> {
  await page.waitForFunction(
    (m) => (window as unknown as SeenWindow).seen.some((e) => e.type === m.type && Object.entries(m).every(([k, v]) => k === "type" || e.data[k] === v)),
    match,
    { timeout: 120_000 },
  );
}
const ofType = (events: Seen[], type: string, turnId?: string) => events.filter((e) => e.type === type && (turnId === undefined || e.data.turn_id === turnId));
const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

/** A spoken answer leaves the event log readable: no row per audio frame, no ack per playback report. */
async function expectNoLogFlood(page: Page, events: Seen[]): Promise<void> {
  const audioFrames = ofType(events, "tts_audio").length;
  const reports = ofType(events, "playback_report").length;
  // The page did hear speech and report its playback, so the checks below are about something.
  expect(audioFrames).toBeGreaterThan(5);
  expect(reports).toBeGreaterThan(2);
  const types = await texts(page, "#log tbody td.type");
  expect(types.length).toBeGreaterThan(10);
  expect(types.filter((t) => t === "tts_audio")).toEqual([]);
  expect(ofType(events, "command_ack").filter((e) => e.data.command === "playback")).toEqual([]);
  // The log's acks are those of the page's requests (system info, memory lists), none for a playback report.
  const acks = await page.locator("#log tbody tr[data-type=command_ack] td:nth-child(4)").allTextContents();
  expect(acks.length).toBeGreaterThan(0);
  expect(acks.filter((a) => a.includes('"command":"playback"'))).toEqual([]);
  // The frames are counted in the log's header instead.
  expect(await page.locator("#log-audio").textContent()).toBe(`${audioFrames} speech audio frames (tts_audio, not listed)`);
}

describe.skipIf(skipReason !== "")(`turn-taking in the dashboard with the default engines${skipReason ? ` (${skipReason})` : ""}`, () => {
  it("push-to-talk held across a 1 s pause in speech: one utterance, and no error on release", async () => {
    const served = await serve();
    const page = await open(served);
    const [first, second] = await Promise.all([speak("What is twelve times seven?"), speak("What time is it?")]);
    const speech = concatBytes(silence(300), first, silence(1000), second, silence(600));
    // A pause the VAD would take for the end of an utterance in continuous mode.
    expect(served.coda.settings.vadHangoverMs).toBeLessThan(1000);

    // Hold the button with the mouse.
    await page.locator("#ptt").hover();
    await page.mouse.down();
    await page.locator("#machine-state[data-phase=listening]").waitFor();
    await page.locator("#mic-status", { hasText: "Microphone on" }).waitFor();
    await sayInPage(page, speech);
    // All of it, pause and all, was spoken while the button was held: still the same utterance.
    expect(served.bridge.state()).toBe("listening");
    expect(await page.locator("#machine-state").getAttribute("data-phase")).toBe("listening");
    await page.mouse.up();

    await waitForSeen(page, { type: "latency_trace", turn_id: "t1" });
    await page.locator("#machine-state[data-phase=idle]").waitFor({ timeout: 60_000 });
    const events = await seen(page);
    expect(ofType(events, "stt_start")).toHaveLength(1);
    expect(ofType(events, "stt_start", "t1")[0]!.data).toMatchObject({ mode: "push_to_talk", engine: "pocketsphinx", source: "client" });
    const results = ofType(events, "stt_result");
    expect(results).toHaveLength(1);
    // Both parts, in order: the pause did not end the utterance. (Recognised exactly in every run here; up to
    // two wrong words are allowed for audio glitches on a loaded machine, while losing either part is four or five.)
    expect(wordErrors(normaliseWords("what is twelve times seven what time is it"), normaliseWords(String(results[0]!.data.text)))).toBeLessThanOrEqual(2);
    expect(await texts(page, ".turn .user")).toEqual([results[0]!.data.text]);
    // The release was acked (it ended the utterance), and nothing was refused: no late frame, no stt_stop.
    expect(ofType(events, "command_ack").map((e) => e.data.command)).toEqual(expect.arrayContaining(["stt_start", "stt_stop"]));
    expect(ofType(events, "command_error")).toEqual([]);
    expect(ofType(events, "stt_error")).toEqual([]);
    // The page shows no error.
    expect(await page.locator("#notice").textContent()).toBe("");
    expect(await page.locator(".chip.error").count()).toBe(0);
    expect(await page.locator("#machine-state").textContent()).toBe("state: idle");
    // The microphone streamed through the pause (100 ms frames), all while listening.
    expect(served.frames.length).toBeGreaterThanOrEqual(Math.floor(speech.byteLength / 3200) - 2);
    expect(ofType(events, "llm_result", "t1")).toHaveLength(1);
    await expectNoLogFlood(page, events);
    expect(page.problems).toEqual([]);
    expect(served.problems).toEqual([]);
  }, 240_000);

  it("in continuous mode the answer plays to its end without a new turn starting from its own audio", async () => {
    const served = await serve();
    const page = await open(served);
    const question = concatBytes(silence(300), await speak("What is twelve times seven?"), silence(300));
    // A microphone without echo cancellation next to the speakers: it hears the page's own speech.
    await setEcho(page, true);

    await page.getByRole("button", { name: "Continuous" }).click();
    await page.locator("#machine-state[data-phase=listening]").waitFor();
    await page.locator("#mic-status", { hasText: "Microphone on" }).waitFor();
    await sayInPage(page, question);
    // The VAD ends the question; the answer is spoken and played in the page; then the session listens again.
    await waitForSeen(page, { type: "stt_start", turn_id: "t2" });
    // Stop the session; what t2 heard so far is recognised.
    await page.getByRole("button", { name: "Continuous" }).click();
    await page.locator("#machine-state[data-phase=idle]").waitFor({ timeout: 60_000 });
    await waitForSeen(page, { type: "latency_trace", turn_id: "t2" });
    const events = await seen(page);

    const result = ofType(events, "stt_result", "t1");
    expect(result).toHaveLength(1);
    expect(wordErrors(normaliseWords("what is twelve times seven"), normaliseWords(String(result[0]!.data.text)))).toBeLessThanOrEqual(1);
    const answer = ofType(events, "llm_result", "t1")[0]!.data;
    expect(answer).toMatchObject({ finish_reason: "stop" });

    // The microphone heard the answer while it played (loud frames while speaking), and they were dropped quietly.
    const whileSpeaking = served.frames.filter((f) => f.state === "speaking");
    expect(whileSpeaking.length).toBeGreaterThan(5);
    expect(Math.max(...whileSpeaking.map((f) => f.rms))).toBeGreaterThan(0.02);
    expect(served.problems).toEqual([]);
    expect(ofType(events, "command_error")).toEqual([]);

    // The answer played to its end: the page reported it ended at the answer's full length, and the turn completed.
    const synthesised = ofType(events, "tts_result", "t1")[0]!.data;
    const ended = ofType(events, "playback_report", "t1").filter((e) => e.data.state === "ended");
    expect(ended).toHaveLength(1);
    expect(Math.abs((ended[0]!.data.position_ms as number) - (synthesised.audio_ms as number))).toBeLessThanOrEqual(5);
    expect(ofType(events, "playback_report", "t1").map((e) => e.data.state)).not.toContain("stopped");
    expect(ofType(events, "turn_interrupted")).toEqual([]);
    expect(ofType(events, "latency_trace", "t1")[0]!.data).toMatchObject({ interrupted: false });

    // No turn started while it played; listening resumed only after the page reported the end of playback.
    const order = events.map((e) => `${e.type}:${String(e.data.turn_id ?? "")}${e.type === "playback_report" ? `:${String(e.data.state)}` : ""}`);
    const firstAudio = order.indexOf("tts_audio:t1");
    const endedAt = order.indexOf("playback_report:t1:ended");
    const relisten = order.indexOf("stt_start:t2");
    expect(firstAudio).toBeGreaterThan(-1);
    expect(endedAt).toBeGreaterThan(firstAudio);
    expect(relisten).toBeGreaterThan(endedAt);
    expect(order.slice(firstAudio, relisten).filter((t) => t.startsWith("stt_"))).toEqual([]);
    const listening = events.findIndex((e) => e.type === "state_change" && e.data.state === "listening" && e.data.turn_id === "t2");
    expect(listening).toBeGreaterThan(endedAt);
    // Its own voice did not become a question: the relistening turn heard nothing and asked nothing.
    expect(ofType(events, "stt_result", "t2").map((e) => e.data.text)).toEqual([""]);
    expect(ofType(events, "llm_start", "t2")).toEqual([]);
    expect(ofType(events, "stt_start")).toHaveLength(2);
    expect(await texts(page, ".turn .assistant:not([hidden])")).toEqual([answer.text]);
    expect(await page.locator("#notice").textContent()).toBe("");
    await expectNoLogFlood(page, events);
    expect(page.problems).toEqual([]);
  }, 240_000);
});
