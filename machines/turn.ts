/**
 * The turn machine: one conversation turn, from listening (or typed text,
 * or a scripted demo utterance) through memory recall, model generation
 * with tool rounds and pipelined speech, to the stored memory. The session
 * machine (machines/voice.ts) invokes one per turn and decides what comes
 * after it; stopping the turn actor (barge-in, stop, shutdown) stops every
 * stage actor it runs. Pure XState: every actor, action, guard and delay is
 * named in `setup`; the stage actor slots hold placeholders and the real
 * stage actors are supplied with `.provide({ actors })` on the session.
 *
 * Shape (docs/machines.md has the generated diagram, docs/voice-machine.md the prose):
 *
 *   start ─▶ listening.voice | listening.demo ─ stt.final ─▶ answering ─▶ playing ─▶ remembering ─▶ completed
 *         └────────────── (typed text) ─────────────────────▶ answering
 *
 *   playing: the answer is synthesised and still being heard; it ends at
 *   `playout.ended` from the playout clock (the coarse state stays speaking).
 *
 *   answering (parallel)
 *     generation: recalling ─▶ generating ⇄ calling_tools ─▶ done
 *     speech:     pending ─▶ synthesizing ─▶ next ─▶ synthesizing | held | gap | done   (sentence by sentence, in order)
 *
 *   held: the synthesis bound. The playout reports `playout.full` when the
 *   audio synthesised ahead of the listeners reaches it; the next sentence
 *   then waits in `held` (no synthesis deadline runs) until `playout.room`.
 *
 * Every stage state has a named `after` deadline; errors and deadlines emit
 * the stage's failure (built once, by `stageFailure` in
 * machines/turn-events.ts) and end the turn in `failed`. Each domain event
 * is emitted (typed `emit`; machines/emitted.ts merges them with the
 * session's), each coarse state change is reported to the session
 * (`turn.phase`), and each top-level stage entered is reported as
 * `turn.stage`. Reports go to the session passed in the turn's input (none
 * when the turn runs on its own). Everything from outside comes through the
 * session: the user's `user.stop_listening` / `user.left` (passed on to the
 * recogniser as `audio.end` / `audio.lost`) and the playout's reports.
 *
 * Context is updated with plain object spreads (no drafts): one update per
 * streamed token and audio chunk is the hot path (bench:turn).
 *
 * Helpers that are not the machine live beside it: the events built in
 * several places in machines/turn-events.ts, the conversation messages in
 * machines/turn-messages.ts.
 *
 * Extending: a stage the session must know about gets a `reportStage`
 * entry and a mirror state in the session (`playing` is part of the
 * session's `answering`: stop and barge-in work until playout ends).
 */
import { assign, enqueueActions, fromCallback, fromPromise, setup, type AnyActorRef, type AnyEventObject, type DoneActorEvent, type ErrorActorEvent } from "xstate";
import {
  DEFAULT_USER_ID,
  toolMessageContent,
  type DemoSttInput,
  type LlmInput,
  type RecallInput,
  type RecallOutput,
  type StoreInput,
  type StoreOutput,
  type SttControlEvent,
  type SttInput,
  type ToolsInput,
  type ToolOutcome,
  type TtsInput,
} from "../actors/contracts/index.js";
import { withFastShape } from "./context-shape.js";
import { memoryFailedEvent, memoryStoredEvent, preview, stageFailure, turnCutEvents } from "./turn-events.js";
import { buildMessages, heardSomething, turnMessages } from "./turn-messages.js";
import type { TurnContext, TurnEvent, TurnInput, TurnOutput } from "./turn-types.js";
import type { Phase, TurnReport, TurnStage, VoiceEmitted } from "./voice-types.js";

// --- placeholders: typed actor slots, replaced by .provide({ actors }) ----------
// Each reports "unavailable" instead of hanging, so an unprovided stage fails plainly.

const unavailable = (stage: string) => `No ${stage} engine was provided to the voice machine`;

const sttSlot = fromCallback<SttControlEvent, SttInput>(({ sendBack }) => {
  sendBack({ type: "stt.error", code: "unavailable", message: unavailable("speech recognition") });
});
const demoSttSlot = fromCallback<SttControlEvent, DemoSttInput>(({ sendBack }) => {
  sendBack({ type: "stt.error", code: "unavailable", message: unavailable("demo recognition") });
});
const llmSlot = fromCallback<AnyEventObject, LlmInput>(({ sendBack }) => {
  sendBack({ type: "llm.error", code: "unavailable", message: unavailable("language model") });
});
const toolsSlot = fromCallback<AnyEventObject, ToolsInput>(({ sendBack }) => {
  sendBack({ type: "tools.done" });
});
const ttsSlot = fromCallback<AnyEventObject, TtsInput>(({ sendBack }) => {
  sendBack({ type: "tts.error", code: "unavailable", message: unavailable("speech synthesis") });
});
const recallSlot = fromPromise<RecallOutput, RecallInput>(async () => []);
const storeSlot = fromPromise<StoreOutput, StoreInput>(async () => {
  throw Object.assign(new Error(unavailable("memory")), { code: "unavailable" });
});

/** The stage actor slots of a turn (what `createVoiceActors` provides). */
export const turnActorSlots = {
  stt: sttSlot,
  demoStt: demoSttSlot,
  recall: recallSlot,
  llm: llmSlot,
  tools: toolsSlot,
  tts: ttsSlot,
  store: storeSlot,
};
export type TurnActorSlots = typeof turnActorSlots;

function initialContext(input: TurnInput): TurnContext {
  return {
    id: input.id,
    mode: input.mode,
    demoText: input.demoText,
    userText: input.userText,
    userId: input.userId ?? DEFAULT_USER_ID,
    partials: 0,
    listening: false,
    recalled: [],
    round: 0,
    roundText: "",
    answer: "",
    deltas: 0,
    llm: "idle",
    calls: [],
    reported: [],
    messages: input.userText === null ? [] : [{ role: "user", content: input.userText }],
    speech: { started: false, finished: false, queue: [], current: null, sentence: 0, chunks: 0, chars: 0, audioMs: 0, full: null },
    settings: input.settings,
    history: input.history,
    listenMode: input.listenMode,
    phase: input.phase,
    path: input.path,
    ending: { outcome: "completed", endSession: false },
    heard: null,
    session: input.session ?? null,
  };
}

// What an action gets to emit and send with.
interface Enqueue {
  emit: (e: VoiceEmitted) => void;
  sendTo: (to: AnyActorRef, event: AnyEventObject) => void;
}

/** Tell the session (when the turn runs under one) something it acts on: a coarse state, a stage entered, what was heard. */
function tellSession(enqueue: Pick<Enqueue, "sendTo">, context: TurnContext, r: TurnReport): void {
  if (context.session) enqueue.sendTo(context.session, r);
}

/**
 * Emit a domain event. Listeners take it from the turn itself
 * (machines/emitted.ts), not through the session; a coarse state change is
 * also reported to the session, which mirrors it as its phase.
 */
function report(enqueue: Enqueue, context: TurnContext, e: VoiceEmitted): void {
  enqueue.emit(e);
  if (e.type === "state.changed") tellSession(enqueue, context, { type: "turn.phase", turnId: context.id, state: e.state, path: e.path });
}

/** Send a stage actor of the turn an event, if it runs (pure traversals, xstate/graph, run without live children). */
function tellStage(enqueue: Pick<Enqueue, "sendTo">, self: AnyActorRef, stage: "stt", event: SttControlEvent): void {
  const child = (self.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> } | undefined)?.children?.[stage];
  if (child) enqueue.sendTo(child, event);
}

// --- the machine ---------------------------------------------------------------

export const turnMachine = setup({
  types: {
    context: {} as TurnContext,
    events: {} as TurnEvent,
    input: {} as TurnInput,
    output: {} as TurnOutput,
    emitted: {} as VoiceEmitted,
  },
  actors: turnActorSlots,
  delays: {
    sttDeadline: ({ context }) => context.settings.deadlines.sttMs,
    memoryDeadline: ({ context }) => context.settings.deadlines.memoryMs,
    llmDeadline: ({ context }) => context.settings.deadlines.llmMs,
    toolDeadline: ({ context }) => context.settings.deadlines.toolMs,
    ttsDeadline: ({ context }) => context.settings.deadlines.ttsMs,
    /** Playout of the answer: its audio time plus one synthesis deadline of slack (a listener that never reports the end). */
    playoutDeadline: ({ context }) => context.speech.audioMs + context.settings.deadlines.ttsMs,
    /** Waiting for room: the audio waiting when the buffer filled, plus one synthesis deadline of slack (a listener stalled for good). */
    holdDeadline: ({ context }) => (context.speech.full?.aheadMs ?? 0) + context.settings.deadlines.ttsMs,
  },
  guards: {
    isDemo: ({ context }) => context.mode === "demo",
    isVoice: ({ context }) => context.mode === "push_to_talk" || context.mode === "continuous",
    heardNothing: ({ event }) => event.type === "stt.final" && event.text.trim() === "",
    /** The model asked for tools and the turn still has tool rounds left. */
    canCallTools: ({ context, event }) => event.type === "llm.done" && event.toolCalls.length > 0 && context.round < context.settings.maxToolRounds,
    wantsTools: ({ event }) => event.type === "llm.done" && event.toolCalls.length > 0,
    isPipelined: ({ context }) => context.settings.pipelined,
    /** The model's last round ended (no tool calls): the answer text is complete. */
    answerComplete: ({ event }) => event.type === "llm.done" && event.toolCalls.length === 0,
    answerCompleteWithQueue: ({ context, event }) => event.type === "llm.done" && event.toolCalls.length === 0 && context.speech.queue.length > 0,
    hasQueuedSentence: ({ context }) => context.speech.queue.length > 0,
    /** A sentence waits and the playout's buffer is at the synthesis bound. */
    mustHold: ({ context }) => context.speech.queue.length > 0 && context.speech.full !== null,
    generationDone: ({ context }) => context.llm === "done",
    /** Speech of the answer started, so there is a playout to wait for. */
    spoke: ({ context }) => context.speech.started,
    /** A playout report about this turn (not one still in flight for an earlier turn). */
    isThisTurn: ({ context, event }) =>
      (event.type === "playout.ended" || event.type === "playout.heard" || event.type === "playout.full" || event.type === "playout.room") && event.turnId === context.id,
    /** Every listener left or stopped before the first word of the answer was heard: nothing to remember. */
    heardNoneOfIt: ({ context, event }) => event.type === "playout.ended" && event.turnId === context.id && context.heard !== null && !heardSomething(context.heard),
  },
  actions: {
    /** Give the context a fast shape once, at start, that every later assign keeps (machines/context-shape.ts). */
    compactContext: assign(({ context }) => withFastShape(context)),
    /** Publish a coarse state change (skipped when nothing a UI shows changed). */
    announce: enqueueActions(({ context, enqueue }, params: { state: Phase; path: string }) => {
      if (context.phase === params.state && context.path === params.path) return;
      report(enqueue, context, { type: "state.changed", state: params.state, previous: context.phase, path: params.path, turnId: context.id, mode: context.listenMode });
      enqueue.assign({ phase: params.state, path: params.path });
    }),
    /** Tell the session which stage the turn is in (what the user may do depends on it). */
    reportStage: enqueueActions(({ context, enqueue }, params: { stage: TurnStage }) => {
      tellSession(enqueue, context, { type: "turn.stage", stage: params.stage });
    }),
    /** Close the turn: announce its end, keep how it ended for the output. */
    endTurn: enqueueActions(({ context, enqueue }, params: { outcome: "completed" | "failed"; endSession: boolean }) => {
      report(enqueue, context, { type: "turn.ended", turnId: context.id, mode: context.mode, outcome: params.outcome });
      enqueue.assign({ ending: { outcome: params.outcome, endSession: params.endSession } });
    }),

    // listening
    emitSttStarted: enqueueActions(({ context, enqueue }, params: { demo: boolean }) => {
      const info = params.demo ? context.settings.engines.demoStt : context.settings.engines.stt;
      const mode = context.mode === "demo" ? "demo" : context.mode === "continuous" ? "continuous" : "push_to_talk";
      report(enqueue, context, { type: "stt.started", turnId: context.id, mode, engine: info.name, source: info.source });
      enqueue.assign({ listening: true });
    }),
    /** stt_stop: the utterance's audio ends; the recogniser finishes with what it heard. */
    endAudio: enqueueActions(({ enqueue, self }) => tellStage(enqueue, self, "stt", { type: "audio.end" })),
    /** The client streaming the audio left: the recogniser is told its audio is lost (it reports the failure: `stt.error` `client_gone`). */
    loseAudio: enqueueActions(({ enqueue, self }) => tellStage(enqueue, self, "stt", { type: "audio.lost" })),
    recordPartial: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "stt.partial") return;
      report(enqueue, context, { type: "stt.progress", turnId: context.id, text: event.text, index: context.partials });
      enqueue.assign({ partials: context.partials + 1 });
    }),
    acceptTranscript: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "stt.final") return;
      const text = event.text.trim();
      const { queuedMs, vadQueuedMs } = event;
      report(enqueue, context, {
        type: "stt.result",
        turnId: context.id,
        text,
        confidence: event.confidence,
        ...(queuedMs !== undefined ? { queuedMs } : {}),
        ...(vadQueuedMs !== undefined ? { vadQueuedMs } : {}),
      });
      if (!text) enqueue.assign({ listening: false });
      else enqueue.assign({ listening: false, userText: text, messages: [...context.messages, { role: "user", content: text }] });
    }),
    failStt: enqueueActions(({ context, event, enqueue }, params: { timeout: boolean }) => {
      const failure = stageFailure("stt", params.timeout ? { deadlineMs: context.settings.deadlines.sttMs } : { event });
      report(enqueue, context, { type: "stt.failed", turnId: context.id, ...failure });
      enqueue.assign({ listening: false });
    }),

    // memory
    beginRecall: enqueueActions(({ context, enqueue }) => {
      report(enqueue, context, { type: "memory.recall_started", turnId: context.id, query: context.userText ?? "" });
    }),
    applyRecall: enqueueActions(({ context, enqueue }, params: { hits: RecallOutput }) => {
      const hits = params.hits ?? [];
      report(enqueue, context, {
        type: "memory.recalled",
        turnId: context.id,
        query: context.userText ?? "",
        hits: hits.map((h) => ({ id: h.item.id, kind: h.item.kind, preview: preview(h.item.text), score: h.score })),
      });
      enqueue.assign({ recalled: hits.map((h) => ({ id: h.item.id, kind: h.item.kind, text: h.item.text, score: h.score })) });
    }),
    failMemory: enqueueActions(({ context, enqueue }, params: { operation: "recall" | "store"; error: unknown; timeout: boolean }) => {
      const cause = params.timeout ? { deadlineMs: context.settings.deadlines.memoryMs } : { error: params.error };
      report(enqueue, context, memoryFailedEvent(context.id, params.operation, cause));
    }),
    applyStored: enqueueActions(({ context, enqueue }, params: { item: StoreOutput }) => {
      report(enqueue, context, memoryStoredEvent(context.id, params.item));
    }),

    // generation
    startRound: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ llm: "running", roundText: "" });
      const { llm } = context.settings.engines;
      report(enqueue, context, { type: "llm.started", turnId: context.id, engine: llm.name, model: llm.model, round: context.round });
    }),
    appendDelta: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.delta" || !event.text) return;
      report(enqueue, context, { type: "llm.progress", turnId: context.id, delta: event.text, index: context.deltas });
      enqueue.assign({ roundText: context.roundText + event.text, answer: context.answer + event.text, deltas: context.deltas + 1 });
    }),
    requestTools: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.done") return;
      report(enqueue, context, { type: "llm.round_ended", turnId: context.id, round: context.round, reason: "tool_calls" });
      enqueue.assign({
        messages: [...context.messages, { role: "assistant", content: context.roundText, toolCalls: event.toolCalls }],
        calls: event.toolCalls,
        reported: [],
        llm: "tools",
        // A round's text may lack a sentence end ("Let me check"): keep spoken words apart.
        answer: context.answer && !/\s$/.test(context.answer) ? `${context.answer} ` : context.answer,
      });
      for (const call of event.toolCalls) {
        report(enqueue, context, { type: "tool.called", turnId: context.id, callId: call.id, name: call.name, arguments: call.arguments });
      }
    }),
    reportToolOutcome: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "tools.outcome") return;
      const o = event.outcome;
      if (context.reported.includes(o.callId) || !context.calls.some((c) => c.id === o.callId)) return;
      const durationMs = Math.max(0, o.durationMs);
      if (o.ok) {
        report(enqueue, context, { type: "tool.result", turnId: context.id, callId: o.callId, name: o.name, preview: o.preview, durationMs });
      } else {
        report(enqueue, context, {
          type: "tool.failed",
          turnId: context.id,
          callId: o.callId,
          name: o.name,
          code: o.code,
          message: o.message,
          ...(o.issues ? { issues: o.issues } : {}),
          durationMs,
        });
      }
      enqueue.assign({
        reported: [...context.reported, o.callId],
        // A failure goes back to the model as a tool message; the turn goes on.
        messages: [...context.messages, { role: "tool", toolCallId: o.callId, name: o.name, content: toolMessageContent(o) }],
      });
    }),
    /** The tool round ended (all reported, or the deadline passed: the rest fail with `timeout`). */
    finishToolRound: enqueueActions(({ context, enqueue }, params: { timeout: boolean }) => {
      const missing: ToolOutcome[] = context.calls
        .filter((c) => !context.reported.includes(c.id))
        .map((call) => ({
          ok: false,
          callId: call.id,
          name: call.name,
          code: params.timeout ? "timeout" : "tool_failed",
          message: params.timeout ? `The tool did not answer within ${context.settings.deadlines.toolMs} ms` : "The tool runner reported no outcome",
          durationMs: params.timeout ? context.settings.deadlines.toolMs : 0,
        }));
      for (const o of missing) {
        if (!o.ok) report(enqueue, context, { type: "tool.failed", turnId: context.id, callId: o.callId, name: o.name, code: o.code, message: o.message, durationMs: o.durationMs });
      }
      report(enqueue, context, { type: "tools.finished", turnId: context.id, round: context.round });
      enqueue.assign({
        // The model is told, in the same format as any tool failure.
        messages: [...context.messages, ...missing.map((o) => ({ role: "tool" as const, toolCallId: o.callId, name: o.name, content: toolMessageContent(o) }))],
        calls: [],
        reported: [],
        round: context.round + 1,
      });
    }),
    finishGeneration: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.done") return;
      const reason = event.finishReason === "length" ? "length" : "stop";
      report(enqueue, context, { type: "llm.round_ended", turnId: context.id, round: context.round, reason });
      report(enqueue, context, { type: "llm.result", turnId: context.id, text: context.answer.trim(), finishReason: reason, rounds: context.round + 1 });
      enqueue.assign({ messages: [...context.messages, { role: "assistant", content: context.roundText }], llm: "done" });
    }),
    /** The model failed (engine error, deadline, endless tool rounds): report it and close the turn as failed. */
    failGeneration: enqueueActions(({ context, event, enqueue }, params: { reason: "error" | "timeout" | "tool_rounds" }) => {
      // Endless tool rounds are the turn's own verdict on the model, not a failure the stage reported.
      const { code, message } =
        params.reason === "tool_rounds"
          ? { code: "tool_rounds_exceeded", message: `The model asked for tools more than ${context.settings.maxToolRounds} times in one turn` }
          : stageFailure("llm", params.reason === "timeout" ? { deadlineMs: context.settings.deadlines.llmMs } : { event });
      report(enqueue, context, { type: "llm.round_ended", turnId: context.id, round: context.round, reason: "failed" });
      report(enqueue, context, { type: "llm.failed", turnId: context.id, code, message, partialText: context.answer });
      for (const e of turnCutEvents({ ...context, llm: "done" }, "failed", false, "failure")) report(enqueue, context, e);
      // The round's text stays in the history as a cut answer (the context's `llm` is still "running").
      enqueue.assign({ ending: { outcome: "failed", endSession: params.reason === "tool_rounds" } });
    }),

    /**
     * Keep how far the answer was heard (the session reads it when it cuts the
     * turn), and tell the session with the user's words: a cut turn's memory
     * is what was heard (machines/cut-memory.ts).
     */
    recordHeard: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "playout.heard") return;
      enqueue.assign({ heard: event.text });
      tellSession(enqueue, context, { type: "turn.heard", turnId: context.id, user: context.userText ?? "", text: event.text });
    }),
    /** Keep whether the playout's buffer is at the synthesis bound (`playout.full` / `playout.room`). */
    recordRoom: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === "playout.full") enqueue.assign({ speech: { ...context.speech, full: { aheadMs: event.aheadMs } } });
      else if (event.type === "playout.room") enqueue.assign({ speech: { ...context.speech, full: null } });
    }),

    // speech
    startSpeech: enqueueActions(({ context, enqueue }) => {
      const { tts } = context.settings.engines;
      report(enqueue, context, { type: "tts.started", turnId: context.id, engine: tts.name, voice: tts.voice, format: tts.format });
      enqueue.assign({ speech: { ...context.speech, started: true } });
    }),
    takeSentence: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.sentence") return;
      enqueue.assign({ speech: { ...context.speech, current: event.text, chars: context.speech.chars + event.text.length } });
    }),
    queueSentence: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.sentence") return;
      enqueue.assign({ speech: { ...context.speech, queue: [...context.speech.queue, event.text] } });
    }),
    takeQueuedSentence: enqueueActions(({ context, enqueue }) => {
      const [current = null, ...queue] = context.speech.queue;
      enqueue.assign({ speech: { ...context.speech, queue, current, chars: context.speech.chars + (current?.length ?? 0) } });
    }),
    emitAudio: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "tts.chunk") return;
      const s = context.speech;
      const text = s.current ?? "";
      report(enqueue, context, {
        type: "tts.audio",
        turnId: context.id,
        sentenceIndex: s.sentence,
        chunkIndex: s.chunks,
        text,
        chars: text.length,
        audioMs: event.audioMs,
        bytes: event.pcm.byteLength,
        pcm: event.pcm,
        ...(event.queuedMs !== undefined ? { queuedMs: event.queuedMs } : {}),
      });
      enqueue.assign({ speech: { ...s, chunks: s.chunks + 1, audioMs: s.audioMs + event.audioMs } });
    }),
    finishSentence: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ speech: { ...context.speech, sentence: context.speech.sentence + 1, current: null } });
    }),
    finishSpeech: enqueueActions(({ context, enqueue }) => {
      const s = context.speech;
      if (s.started) {
        report(enqueue, context, { type: "tts.result", turnId: context.id, sentences: s.sentence, chunks: s.chunks, chars: s.chars, audioMs: s.audioMs, interrupted: false });
      }
      enqueue.assign({ speech: { ...s, finished: true } });
    }),
    /** Synthesis failed: report it, cut the generation, close the turn as failed. */
    failSpeech: enqueueActions(({ context, event, enqueue }, params: { timeout: boolean }) => {
      const failure = stageFailure("tts", params.timeout ? { deadlineMs: context.settings.deadlines.ttsMs } : { event });
      report(enqueue, context, { type: "tts.failed", turnId: context.id, ...failure });
      for (const e of turnCutEvents({ ...context, speech: { ...context.speech, finished: true } }, "failed", true, "failure")) report(enqueue, context, e);
      enqueue.assign({ ending: { outcome: "failed", endSession: false } });
    }),
  },
}).createMachine({
  id: "turn",
  context: ({ input }) => initialContext(input),
  output: ({ context }): TurnOutput => ({
    turnId: context.id,
    ...context.ending,
    messages: turnMessages(context, context.ending.outcome === "failed"),
  }),
  entry: "compactContext",
  initial: "start",
  on: {
    "playout.heard": { guard: "isThisTurn", actions: "recordHeard" },
    "playout.full": { guard: "isThisTurn", actions: "recordRoom" },
    "playout.room": { guard: "isThisTurn", actions: "recordRoom" },
  },
  states: {
    // Where the turn begins depends on how it was asked for.
    start: {
      always: [{ guard: "isDemo", target: "listening.demo" }, { guard: "isVoice", target: "listening.voice" }, { target: "answering" }],
    },

    listening: {
      initial: "voice",
      states: {
        voice: {
          entry: [{ type: "announce", params: { state: "listening", path: "listening.voice" } }, { type: "emitSttStarted", params: { demo: false } }],
          invoke: { id: "stt", src: "stt", input: ({ context }) => ({ turnId: context.id }) },
        },
        demo: {
          entry: [{ type: "announce", params: { state: "listening", path: "listening.demo" } }, { type: "emitSttStarted", params: { demo: true } }],
          invoke: { id: "stt", src: "demoStt", input: ({ context }) => ({ turnId: context.id, text: context.demoText ?? "" }) },
        },
      },
      after: {
        sttDeadline: { target: "failed", actions: [{ type: "failStt", params: { timeout: true } }, { type: "endTurn", params: { outcome: "failed", endSession: false } }] },
      },
      on: {
        "stt.partial": { actions: "recordPartial" },
        "stt.final": [
          // Nothing heard: the turn (and a voice session) ends quietly.
          { guard: "heardNothing", target: "completed", actions: ["acceptTranscript", { type: "endTurn", params: { outcome: "completed", endSession: true } }] },
          { target: "answering", actions: "acceptTranscript" },
        ],
        // A recogniser that fails ends the session even in continuous mode (listening again would spin on a broken engine).
        "stt.error": { target: "failed", actions: [{ type: "failStt", params: { timeout: false } }, { type: "endTurn", params: { outcome: "failed", endSession: true } }] },
        "user.stop_listening": { actions: "endAudio" },
        "user.left": { actions: "loseAudio" },
      },
    },

    answering: {
      type: "parallel",
      entry: [{ type: "reportStage", params: { stage: "answering" } }, { type: "announce", params: { state: "thinking", path: "thinking.recalling" } }],
      states: {
        generation: {
          initial: "recalling",
          states: {
            recalling: {
              entry: "beginRecall",
              invoke: {
                id: "recall",
                src: "recall",
                input: ({ context }) => ({ query: context.userText ?? "", limit: context.settings.recallLimit, userId: context.userId }),
                onDone: { target: "generating", actions: { type: "applyRecall", params: ({ event }: { event: DoneActorEvent<RecallOutput> }) => ({ hits: event.output }) } },
                // Memory failures are reported and the turn goes on without memories.
                onError: {
                  target: "generating",
                  actions: { type: "failMemory", params: ({ event }: { event: ErrorActorEvent }) => ({ operation: "recall" as const, error: event.error, timeout: false }) },
                },
              },
              after: { memoryDeadline: { target: "generating", actions: { type: "failMemory", params: { operation: "recall", error: null, timeout: true } } } },
            },
            generating: {
              entry: "startRound",
              invoke: {
                id: "llm",
                src: "llm",
                input: ({ context }) => ({ turnId: context.id, round: context.round, messages: buildMessages(context) }),
              },
              on: {
                "llm.delta": { actions: "appendDelta" },
                "llm.done": [
                  { guard: "canCallTools", target: "calling_tools", actions: "requestTools" },
                  { guard: "wantsTools", target: "#turn.failed", actions: { type: "failGeneration", params: { reason: "tool_rounds" } } },
                  { target: "done", actions: "finishGeneration" },
                ],
                "llm.error": { target: "#turn.failed", actions: { type: "failGeneration", params: { reason: "error" } } },
              },
              after: { llmDeadline: { target: "#turn.failed", actions: { type: "failGeneration", params: { reason: "timeout" } } } },
            },
            calling_tools: {
              invoke: { id: "tools", src: "tools", input: ({ context }) => ({ turnId: context.id, calls: context.calls, userId: context.userId }) },
              on: {
                "tools.outcome": { actions: "reportToolOutcome" },
                "tools.done": { target: "generating", actions: { type: "finishToolRound", params: { timeout: false } } },
              },
              after: { toolDeadline: { target: "generating", actions: { type: "finishToolRound", params: { timeout: true } } } },
            },
            done: { type: "final" },
          },
        },
        speech: {
          initial: "pending",
          states: {
            // Nothing spoken yet: the coarse state is still "thinking".
            pending: {
              on: {
                "llm.sentence": [
                  {
                    guard: "isPipelined",
                    target: "synthesizing",
                    actions: [{ type: "announce", params: { state: "speaking", path: "speaking" } }, "startSpeech", "takeSentence"],
                  },
                  { actions: "queueSentence" },
                ],
                "llm.done": [
                  {
                    guard: "answerCompleteWithQueue",
                    target: "synthesizing",
                    actions: [{ type: "announce", params: { state: "speaking", path: "speaking" } }, "startSpeech", "takeQueuedSentence"],
                  },
                  { guard: "answerComplete", target: "done", actions: "finishSpeech" },
                ],
              },
            },
            synthesizing: {
              invoke: { id: "tts", src: "tts", input: ({ context }) => ({ turnId: context.id, text: context.speech.current ?? "" }) },
              on: {
                "tts.chunk": { actions: "emitAudio" },
                "llm.sentence": { actions: "queueSentence" },
                "tts.done": { target: "next", actions: "finishSentence" },
                "tts.error": { target: "#turn.failed", actions: { type: "failSpeech", params: { timeout: false } } },
              },
              after: { ttsDeadline: { target: "#turn.failed", actions: { type: "failSpeech", params: { timeout: true } } } },
            },
            // The one place that decides what follows a sentence: wait for room, the next sentence, the end, or the model.
            next: {
              always: [
                { guard: "mustHold", target: "held" },
                { guard: "hasQueuedSentence", target: "synthesizing", actions: "takeQueuedSentence" },
                { guard: "generationDone", target: "done", actions: "finishSpeech" },
                { target: "gap" },
              ],
            },
            // Synthesis is far enough ahead of the listeners (the synthesis bound): the next sentence waits for room.
            // No synthesis deadline runs here; stop and barge-in work as anywhere in answering.
            held: {
              on: {
                "llm.sentence": { actions: "queueSentence" },
                "playout.room": { guard: "isThisTurn", target: "next", actions: "recordRoom" },
              },
              // A listener stalled for good does not hang the turn: one more sentence, then wait again.
              after: { holdDeadline: { target: "synthesizing", actions: "takeQueuedSentence" } },
            },
            // Spoke everything so far; the model is still generating.
            gap: {
              on: {
                "llm.sentence": { target: "next", actions: "queueSentence" },
                "llm.done": { guard: "answerComplete", target: "done", actions: "finishSpeech" },
              },
            },
            done: { type: "final" },
          },
        },
      },
      onDone: [{ guard: "spoke", target: "playing" }, { target: "remembering" }],
    },

    // Synthesised; still being heard (speaking lasts until the playout clock says the answer was heard).
    playing: {
      on: {
        "playout.ended": [
          // As for a cut: nothing heard, nothing stored (docs/voice-machine.md, "What is remembered").
          { guard: "heardNoneOfIt", target: "completed", actions: { type: "endTurn", params: { outcome: "completed", endSession: false } } },
          { guard: "isThisTurn", target: "remembering" },
        ],
      },
      after: { playoutDeadline: { target: "remembering" } },
    },

    // The answer is out; keep the turn in long-term memory before ending.
    remembering: {
      entry: { type: "reportStage", params: { stage: "remembering" } },
      invoke: {
        id: "store",
        src: "store",
        // An answer whose listeners all left or stopped before its end is remembered as heard.
        input: ({ context }) => ({
          turnId: context.id,
          userId: context.userId,
          user: context.userText ?? "",
          assistant: context.heard ?? context.answer.trim(),
          interrupted: context.heard !== null,
        }),
        onDone: {
          target: "completed",
          actions: [
            { type: "applyStored", params: ({ event }: { event: DoneActorEvent<StoreOutput> }) => ({ item: event.output }) },
            { type: "endTurn", params: { outcome: "completed", endSession: false } },
          ],
        },
        onError: {
          target: "completed",
          actions: [
            { type: "failMemory", params: ({ event }: { event: ErrorActorEvent }) => ({ operation: "store" as const, error: event.error, timeout: false }) },
            { type: "endTurn", params: { outcome: "completed", endSession: false } },
          ],
        },
      },
      after: {
        memoryDeadline: {
          target: "completed",
          actions: [{ type: "failMemory", params: { operation: "store", error: null, timeout: true } }, { type: "endTurn", params: { outcome: "completed", endSession: false } }],
        },
      },
    },

    completed: { type: "final" },
    failed: { type: "final" },
  },
});

export type TurnMachine = typeof turnMachine;
