/**
 * The memory of a turn cut short: stores what was heard of its answer,
 * marked interrupted, after the turn itself is gone. A cut turn's actor is
 * stopped at once (its stage actors with it), so it never reaches its own
 * `remembering`; the session (machines/voice.ts) spawns one of these per
 * cut turn whose answer was at least partly heard, and it outlives the turn
 * (and the next turns) until the store answers or the memory deadline
 * passes. Pure XState: the `store` slot is the turn's (the same stage actor
 * is provided to both by `withStageActors`).
 *
 * Shape (docs/machines.md has the generated diagram):
 *
 *   storing ─ done ─▶ stored
 *           ─ error / memoryDeadline ─▶ failed
 *
 * Like the turn, it emits each domain event (`memory.stored` or
 * `memory.failed`, operation `store`) and reports it to the session
 * (`cut.emitted`), which re-emits it; its last word is `cut.done`.
 */
import { enqueueActions, setup, type AnyActorRef, type DoneActorEvent, type ErrorActorEvent } from "xstate";
import type { StoreInput, StoreOutput } from "../actors/contracts/index.js";
import { memoryFailedEvent, memoryStoredEvent, turnActorSlots } from "./turn.js";
export { heardSomething } from "./turn.js";
import type { VoiceEmitted } from "./voice-types.js";

/** What the session gives the memory of a cut turn. */
export interface CutMemoryInput {
  /** The turn's user words and the heard part of its answer, `interrupted: true`. */
  store: StoreInput;
  /** The memory deadline (the session's `deadlines.memoryMs`). */
  deadlineMs: number;
}


export const cutMemoryMachine = setup({
  types: {
    context: {} as CutMemoryInput,
    input: {} as CutMemoryInput,
    emitted: {} as VoiceEmitted,
  },
  actors: { store: turnActorSlots.store },
  delays: {
    memoryDeadline: ({ context }) => context.deadlineMs,
  },
  actions: {
    /** Emit the store's outcome and report it to the session. */
    reportOutcome: enqueueActions(({ context, enqueue, self }, params: { item: StoreOutput | null; error: unknown }) => {
      const { turnId } = context.store;
      const e = params.item ? memoryStoredEvent(turnId, params.item) : memoryFailedEvent(turnId, "store", params.error, context.deadlineMs);
      enqueue.emit(e);
      if (self._parent) enqueue.sendTo(self._parent as AnyActorRef, { type: "cut.emitted", emitted: e });
    }),
    /** Tell the session this turn's memory is settled (it stops this actor). */
    reportDone: enqueueActions(({ context, enqueue, self }) => {
      if (self._parent) enqueue.sendTo(self._parent as AnyActorRef, { type: "cut.done", turnId: context.store.turnId });
    }),
  },
}).createMachine({
  id: "cutMemory",
  context: ({ input }) => input,
  initial: "storing",
  states: {
    storing: {
      invoke: {
        id: "store",
        src: "store",
        input: ({ context }) => context.store,
        onDone: {
          target: "stored",
          actions: { type: "reportOutcome", params: ({ event }: { event: DoneActorEvent<StoreOutput> }) => ({ item: event.output, error: null }) },
        },
        onError: {
          target: "failed",
          actions: { type: "reportOutcome", params: ({ event }: { event: ErrorActorEvent }) => ({ item: null, error: event.error ?? new Error("The memory store failed") }) },
        },
      },
      // A slow store never holds the session (or a shutdown) past the memory deadline.
      after: { memoryDeadline: { target: "failed", actions: { type: "reportOutcome", params: { item: null, error: null } } } },
    },
    stored: { type: "final", entry: "reportDone" },
    failed: { type: "final", entry: "reportDone" },
  },
});

export type CutMemoryMachine = typeof cutMemoryMachine;
