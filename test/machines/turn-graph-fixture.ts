/**
 * What the model-based tests of the turn machine share: the inputs (one per
 * way a turn starts), the events (with payloads) the graph is explored with,
 * an abstraction of the context that keeps the state space finite, and the
 * machine with inert stage actors so that only the explored events move it
 * (`answerWhole` drives such a turn through its answer by hand).
 */
import { fromCallback, fromPromise, type AnyActorRef, type AnyEventObject, type SnapshotFrom } from "xstate";
import type {
  DemoSttInput,
  LlmInput,
  RecallInput,
  RecallOutput,
  StoreInput,
  StoreOutput,
  SttControlEvent,
  SttInput,
  ToolsInput,
  TtsInput,
} from "../../actors/contracts/index.js";
import { turnMachine } from "../../machines/turn.js";
import { heardSomething } from "../../machines/turn-messages.js";
import type { TurnEvent, TurnInput } from "../../machines/turn-types.js";
import { DEFAULT_DEADLINES, DEFAULT_ENGINE_INFO } from "../../machines/voice-types.js";

const settings = { deadlines: DEFAULT_DEADLINES, engines: DEFAULT_ENGINE_INFO, systemPrompt: "Be brief.", recallLimit: 3, maxToolRounds: 1, pipelined: true };
const base: TurnInput = { id: "t1", mode: "text", userText: "hello", demoText: null, listenMode: null, phase: "idle", path: "idle", history: [], settings };

/** A typed turn, a push-to-talk turn, a demo turn, and a typed turn spoken only after the whole answer. */
export const TEXT_INPUT = base;
export const TURN_INPUTS: TurnInput[] = [
  base,
  { ...base, mode: "push_to_talk", userText: null, listenMode: "push_to_talk" },
  { ...base, mode: "demo", userText: null, demoText: "demo words" },
  { ...base, settings: { ...settings, pipelined: false } },
];

const call = { id: "c1", name: "get_time", arguments: {} };

/** Sample events; an event type the machine accepts but not listed here is explored as `{ type }`. */
export const TURN_EVENTS = [
  { type: "user.stop_listening" },
  // The client streaming the audio left (the session forwards it while the turn listens).
  { type: "user.left" },
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
  // The playout clock: the answer heard to its end (this turn, and a late report of an earlier one), and how far at a cut.
  { type: "playout.ended", turnId: "t1", heardMs: 1000 },
  { type: "playout.ended", turnId: "t0", heardMs: 1000 },
  { type: "playout.heard", turnId: "t1", text: "Hi—", heardMs: 100 },
  // Every listener left before the first word: the cut mark alone.
  { type: "playout.heard", turnId: "t1", text: "—", heardMs: 0 },
  // The synthesis bound: the buffer ahead of the listeners is full (this turn, and a late report of an earlier one), or has room again.
  { type: "playout.full", turnId: "t1", aheadMs: 30000 },
  { type: "playout.full", turnId: "t0", aheadMs: 30000 },
  { type: "playout.room", turnId: "t1" },
  // Deadlines: the events the named `after` delays raise.
  { type: "xstate.after.sttDeadline.turn.listening" },
  { type: "xstate.after.memoryDeadline.turn.answering.generation.recalling" },
  { type: "xstate.after.llmDeadline.turn.answering.generation.generating" },
  { type: "xstate.after.toolDeadline.turn.answering.generation.calling_tools" },
  { type: "xstate.after.ttsDeadline.turn.answering.speech.synthesizing" },
  { type: "xstate.after.holdDeadline.turn.answering.speech.held" },
  { type: "xstate.after.playoutDeadline.turn.playing" },
  { type: "xstate.after.memoryDeadline.turn.remembering" },
] as unknown as TurnEvent[];

export type TurnSnapshot = SnapshotFrom<typeof turnMachine>;

/** The parts of the context that decide what the turn does next (counters and texts left out). */
export function serializeTurn(s: TurnSnapshot): string {
  const t = s.context;
  return JSON.stringify({
    v: s.value,
    st: s.status,
    ph: t.phase,
    p: t.path,
    mode: t.mode,
    user: t.userText !== null,
    // Whether anything of the answer was heard decides what is remembered.
    heard: t.heard === null ? null : heardSomething(t.heard),
    listening: t.listening,
    llm: t.llm,
    round: t.round,
    calls: t.calls.length,
    rep: t.reported.length,
    sp: [t.speech.started, t.speech.finished, Math.min(t.speech.queue.length, 1), t.speech.current !== null, t.speech.full !== null],
    end: t.ending,
  });
}

/** Stage actors that never act, so only the explored events move a turn. */
export const inertStages = {
  stt: fromCallback<SttControlEvent, SttInput>(() => {}),
  demoStt: fromCallback<SttControlEvent, DemoSttInput>(() => {}),
  llm: fromCallback<AnyEventObject, LlmInput>(() => {}),
  tools: fromCallback<AnyEventObject, ToolsInput>(() => {}),
  tts: fromCallback<AnyEventObject, TtsInput>(() => {}),
  recall: fromPromise<RecallOutput, RecallInput>(() => new Promise(() => {})),
  store: fromPromise<StoreOutput, StoreInput>(() => new Promise(() => {})),
};

export const inertTurn = turnMachine.provide({ actors: inertStages });

/**
 * Drive a typed turn over inert stages through its whole answer: recalled
 * nothing, one sentence generated and synthesised (2 s of audio). The turn
 * is then `playing` (its answer being heard).
 */
export function answerWhole(turn: AnyActorRef): void {
  for (const e of [
    { type: "xstate.done.actor.recall", output: [] },
    { type: "llm.delta", text: "Once upon a time there was a fox." },
    { type: "llm.sentence", text: "Once upon a time there was a fox." },
    { type: "tts.chunk", pcm: new Uint8Array(4), audioMs: 2000 },
    { type: "llm.done", finishReason: "stop", toolCalls: [] },
    { type: "tts.done" },
  ]) turn.send(e);
}
