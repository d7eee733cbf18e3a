/**
 * Two sessions (two bridges) speaking at once over one shared Flite engine,
 * through its real worker pool: with two workers their answers are
 * synthesised side by side (the second session's first sentence is heard
 * before the first session's answer ends, the pool had both workers busy at
 * once) and neither session waited (`tts_queued_ms` 0 in both traces);
 * with one worker they take turns, and the session that had to wait says
 * so in its latency_trace (`tts_queued_ms` > 0). Either way each session's
 * sentences are spoken in order. The same for recognition: two sessions
 * talking at once through PocketSphinx bounded to one process (a stand-in
 * program that answers with what it heard), the second one's trace reports
 * its wait (`stt_queued_ms`).
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PocketSphinxStt } from "../../../actors/stt/pocketsphinx.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import { until } from "../../helpers/wait.js";
import type { VoiceEngines } from "../../../actors/index.js";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import { FliteTts } from "../../../actors/tts/flite.js";
import { createBridge, type Bridge } from "../../../server/pipeline/bridge.js";
import type { EventData, EventInput } from "../../../server/protocol/index.js";

/** The first session's answer: long enough that the second session starts while it is still being spoken. */
const LONG = [
  "Here is the forecast for the whole of next week, day by day.",
  "On Monday it will be cloudy in the morning and clear in the afternoon.",
  "On Tuesday a light rain is expected from noon until the evening.",
  "On Wednesday the sun comes back and the temperature rises a little.",
  "On Thursday there is a strong wind from the west for most of the day.",
  "On Friday it will be warm and dry, a good day to be outside.",
];
const SHORT = ["Your timer is set for ten minutes.", "I will tell you when it rings.", "Anything else?"];

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** Engines shared by the sessions: the model speaks back what it was told; Flite with `poolSize` warm workers. */
async function sharedEngines(poolSize: number): Promise<{ engines: VoiceEngines; tts: FliteTts }> {
  const tts = new FliteTts({ poolSize, startTimeoutMs: 60_000 });
  stops.push(() => tts.close());
  await tts.start(poolSize);
  const engines: VoiceEngines = {
    stt: new ScriptedSttEngine(),
    llm: new ScriptedLlmEngine({ answer: ({ messages }) => String(messages.at(-1)?.content ?? "") }),
    tts,
    memory: new InMemoryStore(),
    tools: new FakeToolRunner(),
  };
  return { engines, tts };
}

interface Session {
  bridge: Bridge;
  events: EventInput[];
  trace: Promise<EventData<"latency_trace">>;
}

function session(engines: VoiceEngines): Session {
  const bridge = createBridge({ engines, closeEngines: false });
  stops.push(() => bridge.stop());
  const events: EventInput[] = [];
  const trace = new Promise<EventData<"latency_trace">>((resolve) => {
    bridge.subscribe((e) => {
      events.push(e);
      if (e.type === "latency_trace") resolve(e.data);
    });
  });
  return { bridge, events, trace };
}

/** Resolves at the first event of `s` that `match` accepts (already seen or still to come). */
function next(s: Session, match: (e: EventInput) => boolean): Promise<void> {
  if (s.events.some(match)) return Promise.resolve();
  return new Promise((resolve) => {
    const off = s.bridge.subscribe((e) => {
      if (match(e)) {
        off();
        resolve();
      }
    });
  });
}

const say = (s: Session, sentences: string[]) => s.bridge.dispatch({ type: "text_input", data: { text: sentences.join(" ") } }, { clientId: "c1" });

/** Run the two sessions' turns: B speaks once A's first sentence has been synthesised. Returns both traces and one merged event order. */
async function twoSessions(engines: VoiceEngines) {
  const a = session(engines);
  const b = session(engines);
  const order: string[] = [];
  a.bridge.subscribe((e) => order.push(`a:${e.type}`));
  b.bridge.subscribe((e) => order.push(`b:${e.type}`));
  say(a, LONG);
  await next(a, (e) => e.type === "tts_progress");
  say(b, SHORT);
  const [ta, tb] = await Promise.all([a.trace, b.trace]);
  return { a, b, ta, tb, order };
}

/** Each session's sentences were spoken whole and in order. */
function expectSpokenInOrder(s: Session, sentences: string[]): void {
  const progress = s.events.filter((e): e is EventInput & { type: "tts_progress" } => e.type === "tts_progress").map((e) => e.data);
  expect(progress.map((p) => p.sentence_index)).toEqual(sentences.map((_, i) => i));
  expect(progress.map((p) => p.text)).toEqual(sentences);
  expect(s.events.find((e) => e.type === "tts_result")?.data).toMatchObject({ sentences: sentences.length, interrupted: false });
}

describe("two sessions speaking at once over one shared Flite", () => {
  it("with two workers: synthesised side by side, and neither session waited", async () => {
    const { engines, tts } = await sharedEngines(2);
    const { a, b, ta, tb, order } = await twoSessions(engines);
    // B's first sentence is heard while A's answer is still being spoken.
    expect(order.indexOf("b:tts_progress")).toBeLessThan(order.indexOf("a:tts_result"));
    expect(tts.stats).toMatchObject({ size: 2, members: 2, peakBusy: 2, waits: 0 });
    expect([ta.tts_queued_ms, tb.tts_queued_ms]).toEqual([0, 0]);
    // A typed turn has no recognition: its STT figures are null.
    expect([ta.stt_queued_ms, ta.vad_queued_ms, tb.stt_queued_ms, tb.vad_queued_ms]).toEqual([null, null, null, null]);
    expectSpokenInOrder(a, LONG);
    expectSpokenInOrder(b, SHORT);
  }, 120_000);

  it("with one worker: they take turns, and the waiting session's latency_trace says how long it waited", async () => {
    const { engines, tts } = await sharedEngines(1);
    const { a, b, ta, tb } = await twoSessions(engines);
    expect(tts.stats).toMatchObject({ size: 1, members: 1, peakBusy: 1 });
    expect(tts.stats.waits).toBeGreaterThan(0);
    expect(tb.tts_queued_ms).toBeGreaterThan(0);
    // The wait is part of the speech time it delayed.
    expect(tb.tts_queued_ms!).toBeLessThanOrEqual(tb.tts_total_ms!);
    expect(ta.tts_queued_ms).not.toBeNull();
    expectSpokenInOrder(a, LONG);
    expectSpokenInOrder(b, SHORT);
  }, 120_000);
});

describe("two sessions talking at once through PocketSphinx bounded to one process", () => {
  const tmp = useTempDir("coda-pools-", "file");

  it("the second waits for the first one's process, and its latency_trace says how long", async () => {
    const binary = join(tmp(), "fake-pocketsphinx");
    writeFileSync(binary, `#!/bin/sh\nn=$(wc -c < /dev/stdin | tr -d ' ')\necho "heard $n bytes"\n`);
    chmodSync(binary, 0o755);
    const stt = new PocketSphinxStt({ binary, maxProcesses: 1 });
    const engines: VoiceEngines = {
      stt,
      llm: new ScriptedLlmEngine({ answer: "Noted." }),
      tts: new ScriptedTtsEngine(),
      memory: new InMemoryStore(),
      tools: new FakeToolRunner(),
    };
    const a = session(engines);
    const b = session(engines);
    const source = { clientId: "c1" };
    a.bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, source);
    b.bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, source);
    a.bridge.pushAudio(source, new Uint8Array(3200));
    b.bridge.pushAudio(source, new Uint8Array(6400));
    await until(() => stt.stats.busy === 1 && stt.stats.queued === 1, "one utterance in the process, one waiting");
    a.bridge.dispatch({ type: "stt_stop", data: {} }, source);
    await next(a, (e) => e.type === "stt_result");
    b.bridge.dispatch({ type: "stt_stop", data: {} }, source);
    const [ta, tb] = await Promise.all([a.trace, b.trace]);
    // Each heard its own audio: B's was read while it waited, and given to its process whole.
    expect(a.events.find((e) => e.type === "stt_result")?.data).toMatchObject({ text: "heard 3200 bytes" });
    expect(b.events.find((e) => e.type === "stt_result")?.data).toMatchObject({ text: "heard 6400 bytes" });
    expect(ta.stt_queued_ms).toBe(0);
    expect(tb.stt_queued_ms).toBeGreaterThan(0);
    expect(tb.stt_queued_ms!).toBeLessThanOrEqual(tb.stt_ms!);
    // No detector runs in push-to-talk (stt_stop ends the utterance): nothing waited for one.
    expect([ta.vad_queued_ms, tb.vad_queued_ms]).toEqual([0, 0]);
    expect(stt.stats).toMatchObject({ peakBusy: 1, busy: 0, queued: 0 });
  }, 60_000);
});
