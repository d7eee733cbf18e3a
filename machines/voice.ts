/**
 * The session machine (the root of the voice pipeline): rest, the listening
 * mode of a voice session and its audio owner (the client whose stt_start
 * opened it, with its echo cancellation), one turn machine
 * (machines/turn.ts) at a time, and the one place that decides what comes
 * after a turn. Pure XState:
 * every actor, action, guard and delay is named in `setup`; the turn's
 * stage actor slots are supplied with `.provide({ actors })` (see
 * actors/index.ts), which reaches the invoked turn because the turn's
 * slots are this machine's too.
 *
 * Shape (docs/machines.md has the generated diagram, docs/voice-machine.md the prose):
 *
 *   idle ── user.listen / user.demo / user.text ─▶ turn ─ done ─▶ after_turn ─┬─▶ turn (continuous session)
 *                                                                              └─▶ idle
 *   turn: listening | answering | remembering   (the turn's stage, mirrored from its reports)
 *   system.shutdown ─▶ stopping ─ no cut turn's memory still storing (or memoryDeadline) ─▶ stopped
 *
 * What was heard is what is remembered: a turn cut while answering (its
 * answer partly heard) is stored by a cut memory actor the session spawns
 * (machines/cut-memory.ts) with the heard text, marked interrupted; it
 * outlives the cut turn, and shutdown waits for it at most the memory
 * deadline (`stopping`).
 *
 * Barge-in (user.listen / user.text while a turn runs, one transition:
 * BARGE_IN) interrupts the turn and starts the new one in the same
 * transition, so the old turn's actors are stopped before anything of the
 * new turn runs. The turn emits its own domain events and reports only its
 * coarse state (`turn.phase`), its stage (`turn.stage`) and what was heard
 * (`turn.heard`) here, to the session it gets in its input;
 * `onVoiceEmitted` (machines/emitted.ts) gives listeners the session's and
 * its turns' events as one ordered stream. The session is the turn's only
 * door: what the turn acts on from outside (stt_stop, the audio owner
 * leaving, the playout clock's `playout.*`) comes to the session as its
 * own events and is forwarded (`forwardToTurn`).
 */
import { assign, enqueueActions, setup, type AnyActorRef, type DoneActorEvent } from "xstate";
import { DEFAULT_USER_ID, type ChatMessage } from "../actors/contracts/index.js";
import { withFastShape } from "./context-shape.js";
import { cutMemoryMachine } from "./cut-memory.js";
import { turnMachine, type TurnActorSlots } from "./turn.js";
import { turnCutEvents } from "./turn-events.js";
import { heardSomething, turnMessages } from "./turn-messages.js";
import type { TurnInput, TurnOutput, TurnReportTarget } from "./turn-types.js";
import {
  DEFAULT_DEADLINES,
  DEFAULT_DEMO_TEXT,
  DEFAULT_ENGINE_INFO,
  DEFAULT_SYSTEM_PROMPT,
  type CutOutcome,
  type Phase,
  type TurnRequest,
  type TurnStage,
  type VoiceContext,
  type VoiceEmitted,
  type VoiceEvent,
  type VoiceMachineInput,
} from "./voice-types.js";

/** Id of the running (or last) turn of a session. */
export const turnId = (c: Pick<VoiceContext, "turnPrefix" | "turnCount">) => `${c.turnPrefix}${c.turnCount}`;

/** Id of the turn the session starts next. */
const nextTurnId = (c: Pick<VoiceContext, "turnPrefix" | "turnCount">) => turnId({ turnPrefix: c.turnPrefix, turnCount: c.turnCount + 1 });

/** The session's running turn actor, if one runs (pure traversals, xstate/graph, run without live children). */
function runningTurn(self: AnyActorRef): AnyActorRef | undefined {
  return (self.getSnapshot() as { children?: { turn?: AnyActorRef } } | undefined)?.children?.turn;
}

/** Append a finished turn's messages to the history, dropping whole turns from the front beyond maxHistory. */
function appendHistory(c: VoiceContext, messages: ChatMessage[]): ChatMessage[] {
  if (messages.length === 0) return c.history;
  const history = [...c.history, ...messages];
  // A history never starts inside a turn.
  while (history.length > c.maxHistory) {
    const nextUser = history.findIndex((m, i) => i > 0 && m.role === "user");
    history.splice(0, nextUser > 0 ? nextUser : history.length);
  }
  return history;
}

/** The input of the turn the session starts; the turn reports to `session`. */
function turnInput(c: VoiceContext, session: TurnReportTarget): TurnInput {
  return {
    id: turnId(c),
    mode: c.request.mode,
    userText: c.request.mode === "text" ? c.request.text : null,
    demoText: c.request.mode === "demo" ? c.request.text : null,
    userId: c.request.userId,
    listenMode: c.listenMode,
    phase: c.phase,
    path: c.path,
    history: c.history,
    settings: {
      deadlines: c.deadlines,
      engines: c.engines,
      systemPrompt: c.systemPrompt,
      recallLimit: c.recallLimit,
      maxToolRounds: c.maxToolRounds,
      pipelined: c.pipelined,
    },
    session,
  };
}

/** The client that sent a user's command (user.listen, user.text, user.demo, user.stop_speaking), null for any other event. */
function commandClient(event: VoiceEvent): string | null {
  if (event.type === "user.listen" || event.type === "user.text" || event.type === "user.demo" || event.type === "user.stop_speaking") return event.client ?? null;
  return null;
}

/** What the user of the running turn got when it is cut (`remembering`: the turn was storing its answer, heard whole). */
function cutOutcome(c: VoiceContext, remembering: boolean): CutOutcome {
  if (c.phase === "listening") return "utterance_dropped";
  if (remembering) return "answered";
  // What was heard, as reported just before the cut (answering only): the same test as rememberCut's.
  return c.heard && c.heard.turnId === turnId(c) && heardSomething(c.heard.text) ? "answer_cut" : "unanswered";
}

/**
 * Barge-in, the one transition for it: `user.listen` or `user.text` while a
 * turn runs cuts it (closing what it left open, keeping what was heard of
 * its answer: rememberCut stores only a turn cut while answering) and starts
 * the new turn in the same step, so the old turn's actors are stopped before
 * anything of the new one runs. Taken from `listening` (typed text only: a
 * second stt_start is refused), `answering` and `remembering`.
 */
const BARGE_IN = {
  target: "#voice.turn",
  reenter: true,
  actions: [{ type: "interruptTurn", params: { reason: "barge_in" } }, "rememberCut", "startTurn"],
} as const;

// --- the machine ---------------------------------------------------------------

export const voiceMachine = setup({
  types: {
    context: {} as VoiceContext,
    events: {} as VoiceEvent,
    input: {} as VoiceMachineInput | undefined,
    emitted: {} as VoiceEmitted,
    children: {} as { turn: "turn"; [cut: `cut.${string}`]: "cutMemory" },
  },
  actors: { turn: turnMachine, cutMemory: cutMemoryMachine },
  delays: {
    memoryDeadline: ({ context }) => context.deadlines.memoryMs,
  },
  guards: {
    /** After a turn, listen again: a continuous session that was not asked to stop. */
    shouldRelisten: ({ context }) => context.listenMode === "continuous" && !context.stopAfterTurn,
    inContinuousSession: ({ context }) => context.listenMode === "continuous",
    isTextTurn: ({ context }) => context.request.mode === "text",
    /** The turn reports that it entered `stage`. */
    turnEntered: ({ event }, params: { stage: TurnStage }) => event.type === "turn.stage" && event.stage === params.stage,
    /** No cut turn's memory is still being stored (shutdown need not wait). */
    storingNoCut: ({ context }) => context.storingCut.length === 0,
    /** The client that left owns the session's audio. */
    isAudioOwner: ({ context, event }) => event.type === "user.left" && context.audioOwner !== null && event.client === context.audioOwner,
  },
  actions: {
    /** Give the context a fast shape once, at start, that every later assign keeps (machines/context-shape.ts). */
    compactContext: assign(({ context }) => withFastShape(context)),
    /** Publish a coarse state change (skipped when nothing a UI shows changed). */
    announce: enqueueActions(({ context, enqueue }, params: { state: Phase; path: string }) => {
      if (context.phase === params.state && context.path === params.path) return;
      enqueue.emit({ type: "state.changed", state: params.state, previous: context.phase, path: params.path, turnId: null, mode: context.listenMode });
      enqueue.assign({ phase: params.state, path: params.path });
    }),
    /** The running turn's coarse state is the session's phase too. */
    mirrorPhase: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "turn.phase") return;
      // Reports still queued from a turn that was already replaced are dropped.
      if (event.turnId !== turnId(context)) return;
      enqueue.assign({ phase: event.state, path: event.path });
    }),

    // turns
    startTurn: enqueueActions(({ context, event, enqueue }) => {
      let request: TurnRequest;
      // The turn's user is that of the command that started it; a continuous session's next turn keeps it.
      const userId = "userId" in event && event.userId !== undefined ? event.userId : event.type.startsWith("user.") ? DEFAULT_USER_ID : context.request.userId;
      if (event.type === "user.listen") request = { mode: event.mode, text: null, userId, client: event.client ?? null };
      else if (event.type === "user.text") request = { mode: "text", text: event.text, userId, client: event.client ?? null };
      else if (event.type === "user.demo") request = { mode: "demo", text: event.text ?? context.demoText, userId, client: event.client ?? null };
      // A continuous session's next turn hears its audio owner.
      else request = { mode: "continuous", text: null, userId, client: context.audioOwner };
      // stt_start opens a voice session (or a new one, on barge-in): its client owns the audio.
      if (event.type === "user.listen") {
        enqueue.assign({ listenMode: event.mode, stopAfterTurn: false, audioOwner: event.client ?? null, echoCancellation: event.echoCancellation ?? false });
      }
      enqueue.assign({ turnCount: context.turnCount + 1, request, heard: null });
      enqueue.emit({ type: "turn.started", turnId: nextTurnId(context), mode: request.mode });
    }),
    /** A turn ended by itself: keep its messages; a turn that ended the session leaves no relistening. */
    finishTurn: enqueueActions(({ context, enqueue }, params: { output: TurnOutput }) => {
      const { output } = params;
      enqueue.assign({ history: appendHistory(context, output.messages), ...(output.endSession ? { stopAfterTurn: true } : {}) });
    }),
    /** The turn actor itself failed (a bug, not a stage failure): close what it left open, end it as failed, rest. */
    failTurn: enqueueActions(({ context, enqueue, self }) => {
      const turn = self.getSnapshot()?.children?.turn?.getSnapshot();
      if (turn) for (const e of turnCutEvents(turn.context, "failed", true, "failure")) enqueue.emit(e);
      else enqueue.emit({ type: "turn.ended", turnId: turnId(context), mode: context.request.mode, outcome: "failed" });
      enqueue.assign({ stopAfterTurn: true });
    }),
    /** Cut the running turn: close its open streams, end it, say why (and which turn replaces it). */
    interruptTurn: enqueueActions(({ context, event, enqueue, self }, params: { reason: "barge_in" | "stop" | "shutdown" }) => {
      const id = turnId(context);
      // Read from the live snapshot: pure traversals (xstate/graph) run without live children.
      const turn = self.getSnapshot()?.children?.turn?.getSnapshot();
      if (turn && turn.status === "active") {
        for (const e of turnCutEvents(turn.context, "interrupted", true, params.reason)) enqueue.emit(e);
        enqueue.assign({ history: appendHistory(context, turnMessages(turn.context, true)) });
      } else {
        enqueue.emit({ type: "turn.ended", turnId: id, mode: context.request.mode, outcome: "interrupted" });
      }
      // Who asked, what they got, and whose command cut it: so every client can tell its own turn was taken over.
      const live = turn && turn.status === "active" ? turn : null;
      enqueue.emit({
        type: "turn.interrupted",
        turnId: id,
        reason: params.reason,
        state: context.phase,
        outcome: cutOutcome(context, live?.matches("remembering") ?? false),
        client: context.request.client,
        question: live ? live.context.userText : context.request.mode === "text" ? context.request.text : null,
        by: params.reason === "barge_in" ? nextTurnId(context) : null,
        byClient: commandClient(event),
      });
    }),
    /** The running turn says how far its answer was heard (it is about to be cut, or every listener left early). */
    noteHeard: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "turn.heard" || event.turnId !== turnId(context)) return;
      enqueue.assign({ heard: { turnId: event.turnId, user: event.user, text: event.text } });
    }),
    /**
     * What was heard is what is remembered: a turn cut while answering whose
     * answer was at least partly heard is stored with the heard text, marked
     * interrupted, by a cut memory actor that outlives the turn. Nothing heard
     * (cut while thinking, or before the first word played): nothing stored;
     * the user's words stay in the history for the next model call.
     */
    rememberCut: enqueueActions(({ context, enqueue, self }) => {
      const h = context.heard;
      if (!h || h.turnId !== turnId(context) || !heardSomething(h.text)) return;
      enqueue.spawnChild("cutMemory", {
        id: `cut.${h.turnId}`,
        input: { store: { turnId: h.turnId, userId: context.request.userId, user: h.user, assistant: h.text, interrupted: true }, deadlineMs: context.deadlines.memoryMs, session: self },
      });
      enqueue.assign({ storingCut: [...context.storingCut, h.turnId], heard: null });
    }),
    /** Re-emit what a cut turn's memory reports (its turn has ended: no running-turn check). */
    relayCut: enqueueActions(({ event, enqueue }) => {
      if (event.type === "cut.emitted") enqueue.emit(event.emitted);
    }),
    /**
     * The turn left `answering`: what was heard of its answer is its own to
     * remember now (its `remembering` stores it), so a later cut stores nothing.
     */
    forgetHeard: enqueueActions(({ enqueue }) => {
      enqueue.assign({ heard: null });
    }),
    /** A cut turn's memory is settled: stop its actor, so snapshots do not grow. */
    forgetCut: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "cut.done") return;
      enqueue.stopChild(`cut.${event.turnId}`);
      enqueue.assign({ storingCut: context.storingCut.filter((id) => id !== event.turnId) });
    }),
    leaveSession: enqueueActions(({ enqueue }) => {
      enqueue.assign({ listenMode: null, stopAfterTurn: false, audioOwner: null, echoCancellation: false });
    }),
    markStopAfterTurn: enqueueActions(({ enqueue }) => {
      enqueue.assign({ stopAfterTurn: true });
    }),
    /** The audio owner left: nobody owns the session's audio any more. */
    releaseAudio: enqueueActions(({ enqueue }) => {
      enqueue.assign({ audioOwner: null });
    }),
    /**
     * Pass the running turn what it acts on from outside: the end of the
     * utterance's audio, the owner leaving, the playout clock's reports.
     * Outside code never writes into the turn; the session is its door.
     */
    forwardToTurn: enqueueActions(({ event, enqueue, self }) => {
      const turn = runningTurn(self);
      if (!turn) return;
      if (event.type === "user.stop_listening" || event.type === "user.left") enqueue.sendTo(turn, { type: event.type });
      else if (event.type.startsWith("playout.")) enqueue.sendTo(turn, event);
    }),
  },
}).createMachine({
  id: "voice",
  context: ({ input }) => ({
    deadlines: { ...DEFAULT_DEADLINES, ...input?.deadlines },
    engines: { ...DEFAULT_ENGINE_INFO, ...input?.engines },
    systemPrompt: input?.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
    demoText: input?.demoText ?? DEFAULT_DEMO_TEXT,
    maxHistory: input?.maxHistory ?? 40,
    recallLimit: input?.recallLimit ?? 3,
    maxToolRounds: input?.maxToolRounds ?? 4,
    pipelined: input?.pipelined ?? true,
    turnPrefix: input?.turnPrefix ?? "t",
    listenMode: null,
    audioOwner: null,
    echoCancellation: false,
    stopAfterTurn: false,
    turnCount: 0,
    request: { mode: "text", text: null, userId: DEFAULT_USER_ID, client: null },
    history: [],
    heard: null,
    storingCut: [],
    phase: "idle",
    path: "idle",
  }),
  entry: "compactContext",
  initial: "idle",
  // Cut turns' memories report in any state (they outlive their turns).
  on: {
    "cut.emitted": { actions: "relayCut" },
    "cut.done": { actions: "forgetCut" },
  },
  states: {
    idle: {
      entry: [{ type: "announce", params: { state: "idle", path: "idle" } }],
      on: {
        "user.listen": { target: "turn", actions: "startTurn" },
        "user.demo": { target: "turn", actions: "startTurn" },
        "user.text": { target: "turn", actions: "startTurn" },
        "system.shutdown": { target: "stopping" },
      },
    },

    // One turn runs; its substate mirrors the turn's stage (what the user may do now).
    turn: {
      invoke: {
        id: "turn",
        src: "turn",
        input: ({ context, self }) => turnInput(context, self),
        onDone: {
          target: "after_turn",
          actions: { type: "finishTurn", params: ({ event }: { event: DoneActorEvent<TurnOutput> }) => ({ output: event.output }) },
        },
        onError: { target: "after_turn", actions: "failTurn" },
      },
      initial: "starting",
      states: {
        starting: {
          always: [{ guard: "isTextTurn", target: "answering" }, { target: "listening" }],
        },
        listening: {
          on: {
            "user.stop_listening": { actions: ["forwardToTurn", "markStopAfterTurn"] },
            "user.text": BARGE_IN,
          },
        },
        answering: {
          on: {
            "turn.heard": { actions: "noteHeard" },
            "user.listen": BARGE_IN,
            "user.text": BARGE_IN,
            "user.stop_speaking": { target: "#voice.after_turn", actions: [{ type: "interruptTurn", params: { reason: "stop" } }, "rememberCut"] },
            "user.stop_listening": { guard: "inContinuousSession", actions: "markStopAfterTurn" },
            "turn.stage": { guard: { type: "turnEntered", params: { stage: "remembering" } }, target: "remembering" },
          },
        },
        remembering: {
          // What was heard is the turn's own to store now (rememberCut keeps only a turn cut while answering).
          entry: "forgetHeard",
          on: {
            "user.listen": BARGE_IN,
            "user.text": BARGE_IN,
            "user.stop_listening": { guard: "inContinuousSession", actions: "markStopAfterTurn" },
          },
        },
      },
      on: {
        "turn.phase": { actions: "mirrorPhase" },
        "turn.stage": { guard: { type: "turnEntered", params: { stage: "answering" } }, target: ".answering" },
        // The playout clock's reports about the answer; the turn keeps those of its own id.
        "playout.*": { actions: "forwardToTurn" },
        // The audio owner left: listening fails (its recogniser reports client_gone, which ends the session); an answer plays out, then rest.
        "user.left": { guard: "isAudioOwner", actions: ["forwardToTurn", "releaseAudio", "markStopAfterTurn"] },
        // rememberCut stores only a turn heard while `answering`: in `remembering` the turn's own store already runs and finishes (stores take no signal).
        "system.shutdown": { target: "stopping", actions: [{ type: "interruptTurn", params: { reason: "shutdown" } }, "rememberCut", "leaveSession"] },
      },
    },

    // The one place that decides what comes after a turn: listen again, or rest.
    after_turn: {
      always: [{ guard: "shouldRelisten", target: "turn", actions: "startTurn" }, { target: "idle", actions: "leaveSession" }],
    },

    // Shutdown waits for cut turns' memories still storing, at most the memory deadline (each also has its own).
    stopping: {
      entry: [{ type: "announce", params: { state: "stopped", path: "stopped" } }],
      always: { guard: "storingNoCut", target: "stopped" },
      after: { memoryDeadline: { target: "stopped" } },
    },

    stopped: {
      type: "final",
      entry: [{ type: "announce", params: { state: "stopped", path: "stopped" } }],
    },
  },
});

export type VoiceMachine = typeof voiceMachine;

/**
 * The session machine with real stage actors. They run inside the turn, so
 * they are provided to the turn machine, which is provided to the session;
 * the store also to the memory of cut turns (machines/cut-memory.ts).
 * @example
 * const machine = withStageActors(createVoiceActors({ stt, llm, tts, memory, tools }));
 * const actor = createActor(machine, { input: { deadlines: { llmMs: 20_000 } } }).start();
 */
export function withStageActors(actors: Partial<TurnActorSlots>): VoiceMachine {
  const cutMemory = actors.store ? cutMemoryMachine.provide({ actors: { store: actors.store } }) : cutMemoryMachine;
  return voiceMachine.provide({ actors: { turn: turnMachine.provide({ actors }), cutMemory } });
}
