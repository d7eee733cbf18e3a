/**
 * Barge-in watching of one session, on synthetic PCM with the energy
 * detector: when it applies (policy, echo cancellation, continuous
 * session, answering, not stopping, a detector), which frames it takes,
 * that speech long enough over an answer is reported with its turn and
 * client, and that the count starts again for a new turn or after stop().
 */
import { describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import type { BargeInSpeech } from "../../../actors/stt/barge-in.js";
import { energyVadProvider } from "../../../actors/stt/vad.js";
import { BargeInWatch, type BargeInPolicy, type WatchedSession } from "../../../server/pipeline/barge-in-watch.js";
import { frames, tone } from "../../helpers/synth-pcm.js";

const quiet = { info() {}, warn() {}, error() {} };
const answering: WatchedSession = { turnId: "t1", answering: true, listenMode: "continuous", echoCancellation: true, stopAfterTurn: false };

function watcher(policy: BargeInPolicy = "auto", vad = true) {
  const fired: { turnId: string; clientId: string; speech: BargeInSpeech }[] = [];
  const watch = new BargeInWatch({
    vad: vad ? energyVadProvider() : null,
    format: INPUT_PCM,
    policy,
    minSpeechMs: 300,
    logger: quiet,
    onSpeech: (turnId, clientId, speech) => fired.push({ turnId, clientId, speech }),
  });
  return { watch, fired };
}

/** Push `ms` of speech in 20 ms frames and let the detector answer. */
async function speak(watch: BargeInWatch, s: WatchedSession, ms: number, client = "c1"): Promise<boolean[]> {
  const taken = frames(tone(ms), 20).map((f) => watch.frame(s, client, f));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return taken;
}

describe("BargeInWatch", () => {
  it.each([
    // policy, what changes from an echo-cancelled continuous session answering, applies
    ["auto", {}, true],
    ["auto", { echoCancellation: false }, false],
    ["on", { echoCancellation: false }, true],
    ["off", {}, false],
    ["auto", { listenMode: "push_to_talk" }, false],
    ["auto", { listenMode: null }, false],
    ["auto", { answering: false }, false],
    ["auto", { stopAfterTurn: true }, false],
  ] as const)("policy %s, session %j: applies %s", (policy, change, expected) => {
    expect(watcher(policy).watch.applies({ ...answering, ...change })).toBe(expected);
  });

  it("never applies without a detector", () => {
    expect(watcher("on", false).watch.applies(answering)).toBe(false);
  });

  it("takes the frames while it applies, reports 300 ms of speech over the answer once, with its turn and client", async () => {
    const { watch, fired } = watcher();
    expect(await speak(watch, { ...answering, answering: false }, 100)).toEqual([false, false, false, false, false]);
    const taken = await speak(watch, answering, 400);
    expect(taken.every(Boolean)).toBe(true);
    expect(fired.map((f) => [f.turnId, f.clientId, f.speech.speechMs])).toEqual([["t1", "c1", 300]]);
  });

  it("starts the count again for a new turn, and after stop()", async () => {
    const { watch, fired } = watcher();
    await speak(watch, answering, 200);
    await speak(watch, { ...answering, turnId: "t2" }, 200);
    expect(fired).toEqual([]);
    watch.stop();
    await speak(watch, { ...answering, turnId: "t2" }, 200);
    expect(fired).toEqual([]);
    await speak(watch, { ...answering, turnId: "t2" }, 100);
    expect(fired.map((f) => f.turnId)).toEqual(["t2"]);
  });

  it("refuses a bad policy or minimum with a TypeError", () => {
    const base = { vad: null, format: INPUT_PCM, logger: quiet, onSpeech() {} };
    expect(() => new BargeInWatch({ ...base, policy: "sometimes" as BargeInPolicy })).toThrow(new TypeError('bridge bargeIn must be "auto", "on" or "off"'));
    expect(() => new BargeInWatch({ ...base, minSpeechMs: 0 })).toThrow(new TypeError("bridge bargeInMinMs must be a positive number"));
  });
});
