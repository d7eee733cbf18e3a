/**
 * The one shell every streaming stage actor (STT, demo STT, LLM, tools,
 * TTS) shares: XState callback logic that runs the stage's work with an
 * AbortSignal, forwards what it reports to the turn while the actor is
 * open, aborts the work when the turn stops the actor (nothing is sent back
 * after that), and turns a failure into the stage's error event with a
 * stable code. Also the running total of what a stage's engines say they
 * waited for a busy shared engine (`QueueWait`), which the stage reports
 * with its results.
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

/**
 * The time a stage's work waited for busy shared engines, added up from
 * what they report (`onQueued`); values that are not a positive number are
 * ignored.
 * @example
 * const wait = new QueueWait();
 * for await (const pcm of engine.synthesize(text, { signal, onQueued: wait.add })) send({ ..., queuedMs: wait.take() });
 */
export class QueueWait {
  #ms = 0;

  /** Add one reported wait (ms). */
  readonly add = (ms: number): void => {
    if (Number.isFinite(ms) && ms > 0) this.#ms += ms;
  };

  /** The total so far (ms). */
  get ms(): number {
    return this.#ms;
  }

  /** The total so far (ms), starting again from 0. */
  take(): number {
    const ms = this.#ms;
    this.#ms = 0;
    return ms;
  }
}
