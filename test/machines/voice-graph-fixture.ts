/**
 * What the model-based tests of the session machine share: the events (with
 * payloads) the graph is explored with, including the reports and endings a
 * turn sends its session, the reports of a cut turn's memory, an abstraction of the context that keeps the
 * state space finite, and the machine whose turns run inert stage actors so
 * that only the explored events move it.
 */
import type { SnapshotFrom } from "xstate";
import { voiceMachine, withStageActors } from "../../machines/voice.js";
import type { TurnOutput } from "../../machines/turn-types.js";
import type { VoiceEvent, VoiceMachineInput } from "../../machines/voice-types.js";
import { inertStages } from "./turn-graph-fixture.js";

export const INPUT: VoiceMachineInput = { maxToolRounds: 1, turnPrefix: "t" };

const ended = (outcome: TurnOutput["outcome"], endSession: boolean) => ({
  type: "xstate.done.actor.turn",
  output: { turnId: "t1", outcome, endSession, messages: [{ role: "user", content: "hello" }] } satisfies TurnOutput,
});

/** Sample events; an event type the machine accepts but not listed here is explored as `{ type }`. */
export const EVENTS = [
  { type: "user.listen", mode: "push_to_talk" },
  { type: "user.listen", mode: "continuous" },
  // A client's stt_start makes it the audio owner; the owner leaving (another client's leaving changes nothing).
  { type: "user.listen", mode: "continuous", client: "c1", echoCancellation: true },
  { type: "user.left", client: "c1" },
  { type: "user.stop_listening" },
  { type: "user.text", text: "hello" },
  { type: "user.demo", text: "demo words" },
  { type: "user.stop_speaking" },
  { type: "system.shutdown" },
  { type: "turn.stage", stage: "answering" },
  { type: "turn.stage", stage: "remembering" },
  // A state change still queued from a replaced turn: the session keeps its phase.
  { type: "turn.phase", turnId: "t0", state: "speaking", path: "speaking" },
  // What was heard just before a cut: a few words, or nothing but the cut mark (nothing to remember).
  { type: "turn.heard", turnId: "t1", user: "hello", text: "Hi there—" },
  { type: "turn.heard", turnId: "t1", user: "hello", text: "—" },
  // The memory of a cut turn reports its outcome, then that it is done.
  { type: "cut.emitted", emitted: { type: "memory.stored", turnId: "t1", id: "m1", kind: "turn", preview: "User: hello", interrupted: true } },
  { type: "cut.done", turnId: "t1" },
  // The playout clock's reports, forwarded to the running turn (which keeps only those of its own id).
  { type: "playout.full", turnId: "t1", aheadMs: 30000 },
  { type: "playout.heard", turnId: "t0", text: "Hi—", heardMs: 100 },
  // Shutdown's wait for it: the named `after` delay of `stopping`.
  { type: "xstate.after.memoryDeadline.voice.stopping" },
  ended("completed", false),
  ended("completed", true),
  ended("failed", false),
  { type: "xstate.error.actor.turn", error: new Error("bug") },
] as unknown as VoiceEvent[];

export type VoiceSnapshot = SnapshotFrom<typeof voiceMachine>;

/**
 * The parts of the context that decide what the session does next. The
 * phase is left out: a live session takes it from its running turn, which
 * pure traversals do not start.
 */
export function serializeState(s: VoiceSnapshot): string {
  const c = s.context;
  return JSON.stringify({
    v: s.value,
    st: s.status,
    m: c.listenMode,
    owner: c.audioOwner,
    stop: c.stopAfterTurn,
    mode: c.request.mode,
    hist: Math.min(c.history.length, 1),
    heard: c.heard === null ? null : c.heard.text.length > 1,
    cut: c.storingCut,
  });
}

/** The session whose turns run stage actors that never act. */
export const inertMachine = withStageActors(inertStages);
