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
 * (`cut.emitted`), which re-emits it; its last word is `cut.done`. The
 * session to report to comes in the input.
 */
import { enqueueActions, setup, type ActorRef, type DoneActorEvent, type ErrorActorEvent, type Snapshot } from "xstate";
import type { StoreInput, StoreOutput } from "../actors/contracts/index.js";
import { turnActorSlots } from "./turn.js";
import { memoryFailedEvent, memoryStoredEvent, type StageFailureCause } from "./turn-events.js";
import type { CutMemoryReport, VoiceEmitted } from "./voice-types.js";

/** What the session gives the memory of a cut turn. */
export interface CutMemoryInput {
  /** The turn's user words and the heard part of its answer, `interrupted: true`. */
  store: StoreInput;
  /** The memory deadline (the session's `deadlines.memoryMs`). */
  deadlineMs: number;
  /** The session to report to. Default: none (the actor runs on its own, as in tests). */
  session?: ActorRef<Snapshot<unknown>, CutMemoryReport> | null;
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
    /** Emit the store's outcome (`cause` null: the memory deadline passed) and report it to the session. */
    reportOutcome: enqueueActions(({ context, enqueue }, params: { item: StoreOutput | null; cause: StageFailureCause | null }) => {
      const { turnId } = context.store;
      const e = params.item ? memoryStoredEvent(turnId, params.item) : memoryFailedEvent(turnId, "store", params.cause ?? { deadlineMs: context.deadlineMs });
      enqueue.emit(e);
      if (context.session) enqueue.sendTo(context.session, { type: "cut.emitted", emitted: e });
    }),
    /** Tell the session this turn's memory is settled (it stops this actor). */
    reportDone: enqueueActions(({ context, enqueue }) => {
      if (context.session) enqueue.sendTo(context.session, { type: "cut.done", turnId: context.store.turnId });
    }),
  },
}).createMachine({
  id: "cutMemory",
  context: ({ input }) => ({ ...input, session: input.session ?? null }),
  initial: "storing",
  states: {
    storing: {
      invoke: {
        id: "store",
        src: "store",
        input: ({ context }) => context.store,
        onDone: {
          target: "stored",
          actions: { type: "reportOutcome", params: ({ event }: { event: DoneActorEvent<StoreOutput> }) => ({ item: event.output, cause: null }) },
        },
        onError: {
          target: "failed",
          actions: { type: "reportOutcome", params: ({ event }: { event: ErrorActorEvent }) => ({ item: null, cause: { error: event.error ?? new Error("The memory store failed") } }) },
        },
      },
      // A slow store never holds the session (or a shutdown) past the memory deadline.
      after: { memoryDeadline: { target: "failed", actions: { type: "reportOutcome", params: { item: null, cause: null } } } },
    },
    stored: { type: "final", entry: "reportDone" },
    failed: { type: "final", entry: "reportDone" },
  },
});

export type CutMemoryMachine = typeof cutMemoryMachine;
