/**
 * The text-to-speech stage as XState logic: one sentence in, `tts.chunk`
 * events (PCM and its duration) out, then `tts.done` or `tts.error`. The
 * machine runs one such actor per sentence, in order, so speech plays in
 * order. Stopping the actor aborts the synthesis; no chunk is sent back after.
 */
import { fromCallback, type AnyEventObject } from "xstate";
import type { TtsEvent, TtsInput } from "../contracts/index.js";
import { pcmDurationMs } from "../audio.js";
import { EngineError, isAbortError } from "../engine-error.js";
import { MALFORMED_OUTPUT } from "../engine-output.js";
import { STAGE_STOPPED } from "../sleep.js";
import type { TtsEngine } from "./types.js";

export interface TtsLogicOptions {
  engine: TtsEngine;
}

/** Logic for the machine's `tts` slot. */
export function createTtsLogic(options: TtsLogicOptions) {
  return fromCallback<AnyEventObject, TtsInput>(({ input, sendBack }) => {
    const controller = new AbortController();
    let open = true;
    void synthesizeSentence(options.engine, input.text, controller.signal, (e) => {
      if (open) sendBack(e);
    });
    return () => {
      open = false;
      controller.abort(STAGE_STOPPED);
    };
  });
}

/** Synthesise one sentence and report it with `send` (nothing after `signal` aborts). */
export async function synthesizeSentence(engine: TtsEngine, text: string, signal: AbortSignal, send: (event: TtsEvent) => void): Promise<void> {
  try {
    for await (const pcm of engine.synthesize(text, { signal })) {
      if (signal.aborted) return;
      if (!(pcm instanceof Uint8Array)) throw new EngineError(MALFORMED_OUTPUT, "The synthesiser produced a chunk that is not PCM bytes");
      if (pcm.byteLength === 0) continue;
      send({ type: "tts.chunk", pcm, audioMs: pcmDurationMs(pcm.byteLength, engine.format) });
    }
    if (!signal.aborted) send({ type: "tts.done" });
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return;
    send({
      type: "tts.error",
      code: err instanceof EngineError ? err.code : "engine_error",
      message: err instanceof Error ? err.message : String(err),
    });
  }
}
