/**
 * The barge-in monitor on synthetic PCM (tone = speech, silence) with the
 * energy detector, whose frames are exact: it fires once speech frames
 * within one stretch of speech reach the minimum, at the frame that
 * completes it, with the audio since speech began; shorter speech, speech
 * split by long silences and clicks never fire; a detector that answers
 * asynchronously loses no audio; a failing detector is reported, not thrown.
 */
import { describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { BargeInMonitor, type BargeInSpeech } from "../../../actors/stt/barge-in.js";
import { energyVadProvider, type SpeechDetector, type VadProvider } from "../../../actors/stt/vad.js";
import { concatBytes } from "../../../actors/wav.js";
import { frames, pcm, silence, tone } from "../../helpers/synth-pcm.js";

const energy = energyVadProvider();

/** Feed `audio` in `frameMs` chunks; returns what fired and after how many chunks. */
async function watch(audio: Uint8Array, options: { minSpeechMs?: number; frameMs?: number; prerollMs?: number; vad?: VadProvider } = {}) {
  const fired: { speech: BargeInSpeech; afterChunks: number }[] = [];
  let pushed = 0;
  const monitor = new BargeInMonitor({
    vad: options.vad ?? energy,
    format: INPUT_PCM,
    minSpeechMs: options.minSpeechMs ?? 300,
    ...(options.prerollMs !== undefined ? { prerollMs: options.prerollMs } : {}),
    onSpeech: (speech) => fired.push({ speech, afterChunks: pushed }),
  });
  for (const chunk of frames(audio, options.frameMs ?? 20)) {
    monitor.push(chunk);
    pushed++;
    await monitor.idle();
  }
  return { fired, monitor };
}

const ms = (chunks: Uint8Array[]) => concatBytes(...chunks).byteLength / 32;

describe("BargeInMonitor", () => {
  it("fires at the frame that completes the minimum, with the audio since speech began", async () => {
    const { fired, monitor } = await watch(pcm(silence(200), tone(600), silence(400)));
    expect(fired).toHaveLength(1);
    const { speech, afterChunks } = fired[0]!;
    expect({ ...speech, preroll: ms(speech.preroll) }).toEqual({ speechMs: 300, startMs: 200, atMs: 500, preroll: 300 });
    // 25 chunks of 20 ms = 500 ms: it fired on the chunk that ended at 500 ms, not later.
    expect(afterChunks).toBe(25);
    // The pre-roll is the speech itself, byte for byte.
    expect(concatBytes(...speech.preroll)).toEqual(tone(600).subarray(0, 300 * 32));
    expect(monitor.done).toBe(true);
  });

  it("speech shorter than the minimum does not fire; nor do two short bursts a long silence apart", async () => {
    expect((await watch(pcm(silence(100), tone(200), silence(1000)))).fired).toEqual([]);
    // 700 ms of quiet (the energy detector's hangover) ends a stretch: each burst counts alone.
    expect((await watch(pcm(tone(200), silence(800), tone(200), silence(800)))).fired).toEqual([]);
  });

  it("clicks shorter than the detector's minimum speech are not speech", async () => {
    const clicks = Array.from({ length: 20 }, () => pcm(tone(40), silence(60)));
    expect((await watch(pcm(...clicks))).fired).toEqual([]);
  });

  it("counts speech frames only: pauses between words do not count, and the pre-roll starts at the first word", async () => {
    const { fired } = await watch(pcm(silence(100), tone(200), silence(300), tone(400)));
    expect(fired).toHaveLength(1);
    const { speech } = fired[0]!;
    expect({ ...speech, preroll: ms(speech.preroll) }).toEqual({ speechMs: 300, startMs: 100, atMs: 700, preroll: 600 });
  });

  it("with larger chunks, the pre-roll holds whole chunks from the one where speech began", async () => {
    const { fired } = await watch(pcm(silence(150), tone(500)), { frameMs: 100 });
    expect(fired).toHaveLength(1);
    // The 20 ms frame at 140 ms is half tone, loud enough to be speech.
    expect(fired[0]!.speech).toMatchObject({ speechMs: 300, startMs: 140, atMs: 440 });
    // Speech began inside the second chunk (100-200 ms): the pre-roll starts there.
    expect(ms(fired[0]!.speech.preroll)).toBe(400);
    expect(fired[0]!.afterChunks).toBe(5);
  });

  it("keeps at most prerollMs of audio", async () => {
    const { fired } = await watch(pcm(tone(100), silence(600), tone(100), silence(600), tone(200)), { prerollMs: 500, frameMs: 100 });
    expect(fired).toHaveLength(1);
    expect(fired[0]!.speech).toMatchObject({ speechMs: 300, startMs: 0, atMs: 1500 });
    expect(ms(fired[0]!.speech.preroll)).toBe(500);
  });

  it("an asynchronous detector: chunks that arrive while it decides are part of the pre-roll; close() stops it", async () => {
    const slow: VadProvider = {
      ...energy,
      create: (format, options) => {
        const inner = energy.create(format, options);
        const detector: SpeechDetector = {
          name: "slow",
          push: (chunk) => new Promise((resolve) => setTimeout(() => resolve(inner.push(chunk)), 1)),
          reset: () => inner.reset(),
          get inSpeech() {
            return inner.inSpeech;
          },
        };
        return detector;
      },
    };
    const fired: BargeInSpeech[] = [];
    const monitor = new BargeInMonitor({ vad: slow, format: INPUT_PCM, minSpeechMs: 300, onSpeech: (s) => fired.push(s) });
    // Everything arrives before the detector has looked at anything.
    for (const chunk of frames(pcm(tone(500)), 20)) monitor.push(chunk);
    await monitor.idle();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ speechMs: 300, startMs: 0, atMs: 300 });
    expect(ms(fired[0]!.preroll)).toBe(500);

    const closed: BargeInSpeech[] = [];
    const early = new BargeInMonitor({ vad: slow, format: INPUT_PCM, minSpeechMs: 300, onSpeech: (s) => closed.push(s) });
    for (const chunk of frames(pcm(tone(500)), 20)) early.push(chunk);
    early.close();
    await early.idle();
    expect(closed).toEqual([]);
  });

  it("a detector that fails is reported once and the monitor stops", async () => {
    const broken: VadProvider = {
      ...energy,
      create: () => ({ name: "broken", inSpeech: false, reset() {}, push: () => Promise.reject(new Error("model worker died")) }),
    };
    const errors: unknown[] = [];
    const fired: BargeInSpeech[] = [];
    const monitor = new BargeInMonitor({ vad: broken, format: INPUT_PCM, minSpeechMs: 300, onSpeech: (s) => fired.push(s), onError: (e) => errors.push(e) });
    monitor.push(tone(100));
    monitor.push(tone(100));
    await monitor.idle();
    expect(errors).toEqual([new Error("model worker died")]);
    expect(fired).toEqual([]);
    expect(monitor.done).toBe(true);
  });

  it("refuses a minimum that is not positive", () => {
    expect(() => new BargeInMonitor({ vad: energy, format: INPUT_PCM, minSpeechMs: 0, onSpeech() {} })).toThrow(new TypeError("barge-in minSpeechMs must be a positive number"));
    expect(() => new BargeInMonitor({ vad: energy, format: INPUT_PCM, minSpeechMs: 300, prerollMs: 100, onSpeech() {} })).toThrow(
      new TypeError("barge-in prerollMs must be at least minSpeechMs"),
    );
  });
});
