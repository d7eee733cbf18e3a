/**
 * Audio sources: the client push queue (owner, drop while no reader, bounded), the microphone through a
 * (fake) recorder found on PATH, and a configured WAV file converted to
 * 16 kHz s16le mono.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { INPUT_PCM } from "../../../actors/audio.js";
import { EngineError } from "../../../actors/engine-error.js";
import { ClientAudioSource, FileSource, findRecorder, MicrophoneSource, NO_RECORDER_MESSAGE } from "../../../actors/stt/sources.js";
import { concatBytes, encodeWav } from "../../../actors/wav.js";
import { collect } from "../../helpers/iterables.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const ms = (n: number) => new Uint8Array(n * 32);

describe("ClientAudioSource", () => {
  it("delivers chunks pushed while a reader is open, in order; the reader drains them and ends when its signal aborts", async () => {
    const source = new ClientAudioSource();
    expect(source.kind).toBe("client");
    expect(source.format).toEqual(INPUT_PCM);
    const controller = new AbortController();
    const reading = collect(source.open(controller.signal));
    expect(source.reading).toBe(true);
    expect(source.push(new Uint8Array([1, 2]))).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(source.push(new Uint8Array([3, 4]))).toBe(true);
    controller.abort(); // stt_stop: what already arrived is still heard
    expect((await reading).map((c) => [...c])).toEqual([[1, 2], [3, 4]]);
    expect(source.reading).toBe(false);
  });

  it("drops chunks while no recogniser is reading and counts them", async () => {
    const source = new ClientAudioSource();
    expect(source.push(ms(10))).toBe(false);
    expect(source.droppedBytes).toBe(10 * 32);
    const controller = new AbortController();
    const reading = collect(source.open(controller.signal));
    source.push(new Uint8Array([7, 7]));
    controller.abort();
    expect((await reading).map((c) => [...c])).toEqual([[7, 7]]);
    expect(source.push(ms(5))).toBe(false);
    expect(source.droppedBytes).toBe(15 * 32);
  });

  it("copies pushed frames, so a reused buffer does not change queued audio", async () => {
    const source = new ClientAudioSource();
    const controller = new AbortController();
    const reading = collect(source.open(controller.signal));
    const frame = new Uint8Array([9, 9]);
    source.push(frame);
    frame.fill(0);
    controller.abort();
    expect((await reading).map((c) => [...c])).toEqual([[9, 9]]);
  });

  it("pre-roll (the speech of a barge-in) comes first in the next reader, is bounded, and is forgotten when the owner changes", async () => {
    const source = new ClientAudioSource({ maxQueuedMs: 100 });
    source.owner = "c1";
    const given = [ms(40).fill(1), ms(40).fill(2), ms(40).fill(3)];
    source.preroll(given);
    given[1]!.fill(0); // copied: the caller's buffers may be reused
    expect(source.droppedBytes).toBe(40 * 32);
    const controller = new AbortController();
    const reading = collect(source.open(controller.signal));
    source.push(ms(10).fill(4));
    controller.abort();
    expect((await reading).map((c) => [c[0], c.byteLength / 32])).toEqual([
      [2, 40],
      [3, 40],
      [4, 10],
    ]);
    // Taken once: the next reader starts empty.
    const again = new AbortController();
    const second = collect(source.open(again.signal));
    again.abort();
    expect(await second).toEqual([]);
    // Kept for c1's next utterance, but c2 starting a stream does not get it.
    source.preroll([ms(10).fill(5)]);
    source.owner = "c2";
    const third = new AbortController();
    const reading3 = collect(source.open(third.signal));
    third.abort();
    expect(await reading3).toEqual([]);
    // With a reader open, pre-roll goes to it at once.
    const fourth = new AbortController();
    const reading4 = collect(source.open(fourth.signal));
    source.preroll([ms(10).fill(6)]);
    fourth.abort();
    expect((await reading4).map((c) => c[0])).toEqual([6]);
  });

  it("keeps at most maxQueuedMs of unread audio, dropping the oldest", async () => {
    const source = new ClientAudioSource({ maxQueuedMs: 100 });
    const controller = new AbortController();
    const reader = source.open(controller.signal);
    expect(source.push(ms(60).fill(1))).toBe(true);
    expect(source.push(ms(40).fill(2))).toBe(true);
    expect(source.push(ms(20).fill(3))).toBe(true);
    expect(source.droppedBytes).toBe(60 * 32);
    controller.abort();
    const chunks = await collect(reader);
    expect(chunks.map((c) => [c[0], c.byteLength / 32])).toEqual([
      [2, 40],
      [3, 20],
    ]);
    expect(() => new ClientAudioSource({ maxQueuedMs: 0 })).toThrow(new TypeError("client audio maxQueuedMs must be positive"));
  });

  it("a reader closed early (the VAD ended the utterance) detaches; the next utterance opens its own reader", async () => {
    const source = new ClientAudioSource();
    const signal = new AbortController().signal;
    const first = source.open(signal);
    source.push(new Uint8Array([1, 1]));
    source.push(new Uint8Array([2, 2]));
    for await (const chunk of first) {
      expect([...chunk]).toEqual([1, 1]);
      break;
    }
    expect(source.reading).toBe(false);
    // Between utterances (the assistant answers) audio is dropped, not saved for later.
    expect(source.push(new Uint8Array([3, 3]))).toBe(false);
    const controller = new AbortController();
    const second = collect(source.open(controller.signal));
    source.push(new Uint8Array([4, 4]));
    controller.abort();
    expect((await second).map((c) => c[0])).toEqual([4]);
  });

  it("a newer reader replaces an older one, which ends", async () => {
    const source = new ClientAudioSource();
    const signal = new AbortController().signal;
    const first = source.open(signal)[Symbol.asyncIterator]();
    const pending = first.next();
    const controller = new AbortController();
    const second = collect(source.open(controller.signal));
    expect((await pending).done).toBe(true);
    source.push(new Uint8Array([5, 5]));
    controller.abort();
    expect((await second).map((c) => c[0])).toEqual([5]);
  });
});

describe("MicrophoneSource", () => {
  const tmp = useTempDir("coda-mic-");
  let dir: string;
  let bin: string;
  beforeEach(() => {
    dir = tmp();
    bin = join(dir, "bin");
    mkdirSync(bin);
  });
  function fake(name: string, body: string): void {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}`);
    chmodSync(join(bin, name), 0o755);
  }

  it("throws audio_error with install advice when no recorder is on PATH", () => {
    expect(findRecorder({ PATH: bin })).toBeNull();
    expect(() => new MicrophoneSource({ env: { PATH: bin } })).toThrow(new EngineError("audio_error", NO_RECORDER_MESSAGE));
  });

  it("records 16 kHz s16le mono from arecord's stdout with the right arguments", async () => {
    const record = join(dir, "rec");
    writeFileSync(`${record}.input`, Buffer.alloc(6400, 7));
    fake("rec", "exit 3\n");
    fake("arecord", 'printf "%s\\n" "$@" > "$RECORD.args"\nexec /bin/cat "$RECORD.input"\n');
    const mic = new MicrophoneSource({ env: { PATH: bin, RECORD: record }, device: "plughw:1,0" });
    expect(mic.recorder).toEqual({ name: "arecord", path: join(bin, "arecord") });
    const pcm = concatBytes(...(await collect(mic.open(new AbortController().signal))));
    expect(pcm.byteLength).toBe(6400);
    expect(pcm[0]).toBe(7);
    expect(readFileSync(`${record}.args`, "utf8").trim().split("\n")).toEqual(["-q", "-D", "plughw:1,0", "-t", "raw", "-f", "S16_LE", "-r", "16000", "-c", "1", "-"]);
  });

  it("uses sox's rec when arecord is missing", async () => {
    const record = join(dir, "rec");
    fake("rec", 'printf "%s\\n" "$@" > "$RECORD.args"\n');
    const mic = new MicrophoneSource({ env: { PATH: bin, RECORD: record } });
    expect(mic.recorder.name).toBe("rec");
    expect(await collect(mic.open(new AbortController().signal))).toEqual([]);
    expect(readFileSync(`${record}.args`, "utf8").trim().split("\n")).toEqual(["-q", "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-r", "16000", "-c", "1", "-"]);
  });

  it("stops the recorder when the signal aborts", async () => {
    const pidFile = join(dir, "pid");
    fake("arecord", `echo $$ > "${pidFile}"\nexec /bin/cat /dev/zero\n`);
    const controller = new AbortController();
    let chunks = 0;
    for await (const _chunk of new MicrophoneSource({ env: { PATH: bin } }).open(controller.signal)) {
      if (++chunks === 3) controller.abort();
    }
    expect(chunks).toBe(3);
    const pid = Number(readFileSync(pidFile, "utf8"));
    // The recorder is gone (kill -0 fails), a moment after the reader returned.
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 10));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  it("reports a recorder that fails as audio_error with its last stderr line", async () => {
    fake("arecord", 'echo "arecord: main:831: audio open error: No such file or directory" >&2\nexit 1\n');
    const err = await collect(new MicrophoneSource({ env: { PATH: bin } }).open(new AbortController().signal)).catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("audio_error");
    expect((err as EngineError).message).toBe("Recorder arecord exited with status 1: arecord: main:831: audio open error: No such file or directory");
  });
});

describe("FileSource", () => {
  const tmp = useTempDir("coda-file-");
  let dir: string;
  beforeEach(() => {
    dir = tmp();
  });

  it("decodes a 44.1 kHz stereo WAV and yields 16 kHz mono s16le in chunkMs pieces", async () => {
    const path = join(dir, "hello.wav");
    const frames = 44100; // one second
    const pcm = new Uint8Array(frames * 4);
    const view = new DataView(pcm.buffer);
    for (let i = 0; i < frames; i++) {
      view.setInt16(i * 4, 8000, true);
      view.setInt16(i * 4 + 2, 4000, true);
    }
    writeFileSync(path, encodeWav(pcm, { sample_rate: 44100, sample_type: "s16le", channels: 2 }));
    const source = new FileSource({ path, chunkMs: 250 });
    expect(source.kind).toBe("file");
    const chunks = await collect(source.open(new AbortController().signal));
    expect(chunks.map((c) => c.byteLength)).toEqual([8000, 8000, 8000, 8000]);
    const out = new DataView(concatBytes(...chunks).buffer);
    expect(out.getInt16(1000, true)).toBe(6000);
  });

  it("reports a missing file and a non-WAV file as audio_error", async () => {
    const missing = join(dir, "missing.wav");
    const err = await collect(new FileSource({ path: missing }).open(new AbortController().signal)).catch((e: unknown) => e);
    expect((err as EngineError).code).toBe("audio_error");
    expect((err as EngineError).message).toBe(`Cannot read the configured audio file ${missing} (ENOENT).`);
    const text = join(dir, "notes.wav");
    writeFileSync(text, "just some text, not audio");
    const err2 = await collect(new FileSource({ path: text }).open(new AbortController().signal)).catch((e: unknown) => e);
    expect((err2 as EngineError).code).toBe("audio_error");
    expect((err2 as EngineError).message).toBe("not a RIFF/WAVE file");
  });

  it("stops a real-time paced file when aborted", async () => {
    const path = join(dir, "long.wav");
    writeFileSync(path, encodeWav(new Uint8Array(32000 * 10), INPUT_PCM));
    const controller = new AbortController();
    let chunks = 0;
    for await (const _c of new FileSource({ path, chunkMs: 100, realtime: true }).open(controller.signal)) {
      if (++chunks === 2) controller.abort();
    }
    expect(chunks).toBe(2);
    expect(existsSync(path)).toBe(true);
  });

  it("takes its path only at construction (no method accepts a path)", () => {
    const source = new FileSource({ path: "/srv/coda/test.wav" });
    expect(source.path).toBe("/srv/coda/test.wav");
    expect(source.open.length).toBe(1);
    expect(() => new FileSource({ path: "" })).toThrow(new TypeError("file source needs a path"));
  });
});
