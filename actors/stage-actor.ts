/**
 * The one shell every streaming stage actor (STT, demo STT, LLM, tools,
 * TTS) shares: XState callback logic that runs the stage's work with an
 * AbortSignal, forwards what it reports to the turn while the actor is
 * open, aborts the work when the turn stops the actor (nothing is sent back
 * after that), and turns a failure into the stage's error event with a
 * stable code.
 */
import { fromCallback, type AnyEventObject, type EventObject } from "xstate";
import { stageErrorCode, stageErrorMessage } from "./contracts/index.js";
import { isAbortError } from "./engine-error.js";
import { STAGE_STOPPED } from "./sleep.js";

/** What a stage's work gets: its input, the signal that stops it, and where to report. */
export interface StageWork<TInput, TEvent, TReceived> {
  input: TInput;
  signal: AbortSignal;
  send: (event: TEvent) => void;
  /** Events the turn sends the actor (e.g. `audio.end`). */
  receive: (listener: (event: TReceived) => void) => void;
}

/**
 * Run `work`; if it throws (not because `signal` aborted), report `fail`'s
 * event with the error's stable code (default `engine_error`) and message.
 */
export async function runStage<TEvent>(signal: AbortSignal, send: (event: TEvent) => void, fail: (code: string, message: string) => TEvent, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (signal.aborted || isAbortError(err)) return;
    send(fail(stageErrorCode(err, "engine_error"), stageErrorMessage(err)));
  }
}

/**
 * Callback logic for a stage slot of the turn machine.
 * @example
 * const tts = fromStage<TtsInput, TtsEvent>(({ input, signal, send }) => synthesizeSentence(engine, input.text, signal, send));
 */
export function fromStage<TInput, TEvent extends EventObject, TReceived extends EventObject = AnyEventObject>(work: (args: StageWork<TInput, TEvent, TReceived>) => Promise<void>) {
  return fromCallback<TReceived, TInput>(({ input, sendBack, receive }) => {
    const controller = new AbortController();
    let open = true;
    const send = (event: TEvent) => {
      if (open) sendBack(event);
    };
    void work({ input, signal: controller.signal, send, receive });
    return () => {
      open = false;
      controller.abort(STAGE_STOPPED);
    };
  });
}
