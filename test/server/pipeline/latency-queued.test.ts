/**
 * The queue-wait figures of latency_trace (docs/latency.md): what the
 * stages' events say they waited for busy shared engines, summed per turn
 * and stage; null for a stage that did not run, 0 for one that ran without
 * waiting. Fed by hand with domain events on a clock the test sets.
 */
import { describe, expect, it } from "vitest";
import type { VoiceEmitted } from "../../../machines/voice-types.js";
import { LatencyTracker } from "../../../server/pipeline/latency.js";

const format = { sample_rate: 16000, sample_type: "s16le", channels: 1 } as const;

function audio(turnId: string, sentenceIndex: number, chunkIndex: number, queuedMs?: number): VoiceEmitted {
  return { type: "tts.audio", turnId, sentenceIndex, chunkIndex, text: "Hi.", chars: 3, audioMs: 100, bytes: 3200, pcm: new Uint8Array(3200), ...(queuedMs !== undefined ? { queuedMs } : {}) };
}

function tracker() {
  let now = 0;
  const t = new LatencyTracker(() => now);
  return { t, at: (ms: number) => (now = ms) };
}

describe("latency_trace queue waits", () => {
  it("sums what the sentences waited for a synthesiser; a typed turn has no recognition waits", () => {
    const { t, at } = tracker();
    t.record({ type: "turn.started", turnId: "t1", mode: "text" });
    t.record({ type: "tts.started", turnId: "t1", engine: "flite", voice: "rms", format });
    at(50);
    t.record(audio("t1", 0, 0, 12.5));
    t.record(audio("t1", 0, 1));
    at(200);
    t.record(audio("t1", 1, 2, 30.25));
    at(300);
    t.record({ type: "tts.result", turnId: "t1", sentences: 2, chunks: 3, chars: 6, audioMs: 300, interrupted: false });
    const trace = t.finish("t1", false)!;
    expect(trace).toMatchObject({ stt_queued_ms: null, vad_queued_ms: null, tts_queued_ms: 42.75, tts_first_audio_ms: 50 });
  });

  it("takes the recogniser's and the detector's waits from the transcript; 0 when a stage ran without waiting", () => {
    const { t, at } = tracker();
    t.record({ type: "turn.started", turnId: "t2", mode: "continuous" });
    t.record({ type: "stt.started", turnId: "t2", mode: "continuous", engine: "pocketsphinx", source: "client" });
    at(900);
    t.record({ type: "stt.result", turnId: "t2", text: "hello", confidence: null, queuedMs: 80, vadQueuedMs: 3.5 });
    t.record({ type: "tts.started", turnId: "t2", engine: "flite", voice: "rms", format });
    t.record(audio("t2", 0, 0));
    expect(t.finish("t2", false)).toMatchObject({ stt_queued_ms: 80, vad_queued_ms: 3.5, tts_queued_ms: 0 });

    t.record({ type: "turn.started", turnId: "t3", mode: "push_to_talk" });
    t.record({ type: "stt.started", turnId: "t3", mode: "push_to_talk", engine: "pocketsphinx", source: "client" });
    t.record({ type: "stt.failed", turnId: "t3", code: "engine_error", message: "PocketSphinx failed" });
    // Recognition ran (and failed): 0, not null; no speech: null.
    expect(t.finish("t3", false)).toMatchObject({ stt_queued_ms: 0, vad_queued_ms: 0, tts_queued_ms: null });
  });
});
