/**
 * What the model-based tests of the voice machine share: the events (with
 * payloads) the graph is explored with, an abstraction of the context that
 * keeps the state space finite, and the machine with inert actor slots so
 * that only the explored events move it.
 */
import { fromCallback, fromPromise, type SnapshotFrom } from "xstate";
import { voiceMachine } from "../../machines/voice.js";
import type { RecallInput, RecallOutput, StoreInput, StoreOutput, VoiceEvent, VoiceMachineInput } from "../../machines/voice-types.js";

export const INPUT: VoiceMachineInput = { maxToolRounds: 1, turnPrefix: "t" };

const call = { id: "c1", name: "get_time", arguments: {} };

/** Sample events; an event type the machine accepts but not listed here is explored as `{ type }`. */
export const EVENTS = [
  { type: "user.listen", mode: "push_to_talk" },
  { type: "user.listen", mode: "continuous" },
  { type: "user.stop_listening" },
  { type: "user.text", text: "hello" },
  { type: "user.demo", text: "demo words" },
  { type: "user.stop_speaking" },
  { type: "system.shutdown" },
  { type: "stt.partial", text: "hel" },
  { type: "stt.final", text: "hello there", confidence: 0.9 },
  { type: "stt.final", text: "  ", confidence: null },
  { type: "stt.error", code: "engine_error", message: "boom" },
  { type: "llm.delta", text: "Hi. " },
  { type: "llm.sentence", text: "Hi." },
  { type: "llm.done", finishReason: "stop", toolCalls: [] },
  { type: "llm.done", finishReason: "tool_calls", toolCalls: [call] },
  { type: "llm.error", code: "unreachable", message: "down" },
  { type: "tools.outcome", outcome: { ok: true, callId: "c1", name: "get_time", result: "noon", preview: "noon", durationMs: 1 } },
  { type: "tools.done" },
  { type: "tts.chunk", pcm: new Uint8Array(4), audioMs: 0.125 },
  { type: "tts.done" },
  { type: "tts.error", code: "engine_error", message: "boom" },
  { type: "xstate.done.actor.recall", output: [] },
  { type: "xstate.error.actor.recall", error: Object.assign(new Error("locked"), { code: "locked" }) },
  { type: "xstate.done.actor.store", output: { id: "m1", kind: "turn", text: "User: hi", importance: 0.3, createdAt: "2026-05-01T00:00:00.000Z", turnId: "t1" } },
  { type: "xstate.error.actor.store", error: new Error("full") },
  // Deadlines: the events the named `after` delays raise.
  { type: "xstate.after.sttDeadline.voice.listening" },
  { type: "xstate.after.memoryDeadline.voice.answering.generation.recalling" },
  { type: "xstate.after.llmDeadline.voice.answering.generation.generating" },
  { type: "xstate.after.toolDeadline.voice.answering.generation.calling_tools" },
  { type: "xstate.after.ttsDeadline.voice.answering.speech.synthesizing" },
  { type: "xstate.after.memoryDeadline.voice.remembering" },
] as unknown as VoiceEvent[];

export type VoiceSnapshot = SnapshotFrom<typeof voiceMachine>;

/** The parts of the context that decide what the machine does next (counters and texts left out). */
export function serializeState(s: VoiceSnapshot): string {
  const c = s.context;
  const t = c.turn;
  return JSON.stringify({
    v: s.value,
    st: s.status,
    m: c.listenMode,
    stop: c.stopAfterTurn,
    ph: c.phase,
    p: c.path,
    t: t && {
      mode: t.mode,
      user: t.userText !== null,
      llm: t.llm,
      round: t.round,
      calls: t.calls.length,
      rep: t.reported.length,
      sp: [t.speech.started, t.speech.finished, Math.min(t.speech.queue.length, 1), t.speech.current !== null],
    },
  });
}

/** The machine with actors that never act, so only the explored events move it. */
export const inertMachine = voiceMachine.provide({
  actors: {
    stt: fromCallback(() => {}),
    demoStt: fromCallback(() => {}),
    llm: fromCallback(() => {}),
    tools: fromCallback(() => {}),
    tts: fromCallback(() => {}),
    recall: fromPromise<RecallOutput, RecallInput>(() => new Promise(() => {})),
    store: fromPromise<StoreOutput, StoreInput>(() => new Promise(() => {})),
  },
});
