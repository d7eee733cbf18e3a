/**
 * The text-to-speech stage as XState logic: one sentence in, `tts.chunk`
 * events (PCM and its duration) out, then `tts.done` or `tts.error`. The
 * machine runs one such actor per sentence, in order, so speech plays in
 * order. The sentence is rewritten into speakable text first (actors/tts/speakable.ts:
 * "12 * 7" is said "12 times 7"). The first chunk carries how long the
 * sentence waited for a busy engine (`queuedMs`, from the engine's
 * `onQueued`). Stopping the actor aborts the synthesis; no chunk is sent
 * back after.
 */
import type { TtsEvent, TtsInput } from "../contracts/index.js";
import { pcmDurationMs } from "../audio.js";
import { EngineError } from "../engine-error.js";
import { MALFORMED_OUTPUT } from "../engine-output.js";
import { fromStage, QueueWait, runStage } from "../stage-actor.js";
import { toSpeakable } from "./speakable.js";
import type { TtsEngine } from "./types.js";

export interface TtsLogicOptions {
  engine: TtsEngine;
}

/** Logic for the machine's `tts` slot. */
export function createTtsLogic(options: TtsLogicOptions) {
  return fromStage<TtsInput, TtsEvent>(({ input, signal, send }) => synthesizeSentence(options.engine, toSpeakable(input.text), signal, send));
}

/** Synthesise one sentence and report it with `send` (nothing after `signal` aborts). */
export async function synthesizeSentence(engine: TtsEngine, text: string, signal: AbortSignal, send: (event: TtsEvent) => void): Promise<void> {
  await runStage(signal, send, ttsError, async () => {
    // The wait for a busy engine goes out with the sentence's first chunk.
    const wait = new QueueWait();
    for await (const pcm of engine.synthesize(text, { signal, onQueued: wait.add })) {
      if (signal.aborted) return;
      if (!(pcm instanceof Uint8Array)) throw new EngineError(MALFORMED_OUTPUT, "The synthesiser produced a chunk that is not PCM bytes");
      if (pcm.byteLength === 0) continue;
      const queuedMs = wait.take();
      send({ type: "tts.chunk", pcm, audioMs: pcmDurationMs(pcm.byteLength, engine.format), ...(queuedMs > 0 ? { queuedMs } : {}) });
    }
    if (!signal.aborted) send({ type: "tts.done" });
  });
}

const ttsError = (code: string, message: string): TtsEvent => ({ type: "tts.error", code, message });
