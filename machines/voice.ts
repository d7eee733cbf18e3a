/**
 * The root voice-interaction machine: one conversation turn after another,
 * from listening (or typed text, or a scripted demo utterance) through
 * memory recall, model generation with tool rounds and pipelined speech,
 * back to rest. Pure XState: every actor, action, guard and delay is named
 * in `setup`; the actor slots hold placeholders and the real stage actors
 * are supplied with `.provide({ actors })` (see actors/index.ts).
 *
 * Shape (docs/machines.md has the generated diagram, docs/voice-machine.md the prose):
 *
 *   idle ── user.listen ─▶ listening.voice ─┐
 *        ── user.demo ───▶ listening.demo ──┴─ stt.final ─▶ answering ─▶ remembering ─▶ rest
 *        ── user.text ─────────────────────────────────────▶ answering
 *
 *   answering (parallel)
 *     generation: recalling ─▶ generating ⇄ calling_tools ─▶ done
 *     speech:     pending ─▶ synthesizing ⇄ gap ─▶ done      (sentence by sentence, in order)
 *
 * "rest" is idle, or listening again in a continuous session. Every stage
 * state has a named `after` deadline; errors and deadlines emit the stage's
 * failure and go to rest. Barge-in (user.listen / user.text while a turn
 * runs) interrupts the turn and starts the new one in the same transition,
 * so the old turn's actors are stopped before anything of the new turn runs.
 */
import { Immer, type Draft } from "immer";

// Snapshots are never mutated (XState copies on assign), so deep-freezing every update is cost
// without benefit on the hot path (one update per streamed token).
const { produce } = new Immer({ autoFreeze: false });
import { enqueueActions, fromCallback, fromPromise, sendTo, setup, type AnyActorRef, type AnyEventObject } from "xstate";
import type { ChatMessage } from "../actors/llm/types.js";
import {
  DEFAULT_DEADLINES,
  DEFAULT_DEMO_TEXT,
  DEFAULT_ENGINE_INFO,
  DEFAULT_SYSTEM_PROMPT,
  type DemoSttInput,
  type LlmInput,
  type Phase,
  type RecallInput,
  type RecallOutput,
  type StoreInput,
  type StoreOutput,
  type SttControlEvent,
  type SttInput,
  type ToolsInput,
  type Turn,
  type TurnMode,
  type TtsInput,
  type VoiceContext,
  type VoiceEmitted,
  type VoiceEvent,
  type VoiceMachineInput,
} from "./voice-types.js";

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

// --- pure helpers ------------------------------------------------------------

const PREVIEW_CHARS = 80;
const preview = (text: string) => (text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text);

/** The id the next turn will get (barge-in names it before the turn exists). */
const nextTurnId = (c: VoiceContext) => `${c.turnPrefix}${c.turnCount + 1}`;

function newTurn(c: Draft<VoiceContext>, mode: TurnMode, userText: string | null, demoText: string | null): void {
  c.turnCount += 1;
  c.turn = {
    id: `${c.turnPrefix}${c.turnCount}`,
    mode,
    demoText,
    userText,
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
    messages: userText === null ? [] : [{ role: "user", content: userText }],
    speech: { started: false, finished: false, queue: [], current: null, sentence: 0, chunks: 0, chars: 0, audioMs: 0 },
  };
}

/** The model request of the current round: system prompt with recalled memories, history, this turn so far. */
export function buildMessages(c: VoiceContext): ChatMessage[] {
  const turn = c.turn!;
  let system = c.systemPrompt;
  if (turn.recalled.length) system += `\n\nThings you remember that may help:\n${turn.recalled.map((m) => `- ${m.text}`).join("\n")}`;
  return [{ role: "system", content: system }, ...c.history, ...turn.messages];
}

/** Move the turn's messages into the history (a cut answer is kept, marked `cut`), bounded by maxHistory. */
function commitHistory(c: Draft<VoiceContext>, cut: boolean): void {
  const turn = c.turn;
  if (!turn) return;
  const messages = [...turn.messages];
  if (cut && turn.roundText && turn.llm !== "done") messages.push({ role: "assistant", content: turn.roundText, cut: true });
  if (messages.length === 0) return;
  c.history.push(...(messages as Draft<ChatMessage>[]));
  // Drop whole turns from the front (a history never starts inside a turn).
  while (c.history.length > c.maxHistory) {
    const nextUser = c.history.findIndex((m, i) => i > 0 && m.role === "user");
    c.history.splice(0, nextUser > 0 ? nextUser : c.history.length);
  }
}

/** Apply `recipe` to the context with immer, assign the result and return it (for emitting from the new state). */
function update(context: VoiceContext, enqueue: { assign: (next: VoiceContext) => void }, recipe: (d: Draft<VoiceContext>) => void): VoiceContext {
  const next = produce(context, recipe);
  enqueue.assign(next);
  return next;
}

type CutReason = "barge_in" | "stop" | "shutdown" | "failure";

const CUT_WHY: Record<CutReason, string> = {
  barge_in: "a new turn started (barge-in)",
  stop: "the user stopped the answer",
  shutdown: "the server is stopping",
  failure: "another stage of the turn failed",
};

/**
 * The events that close a turn cut short, so that every start the turn
 * announced gets its end: open listening (`stt.failed` code `interrupted`),
 * tool calls still running (`tool.failed` code `cancelled`), the running
 * generation and speech (reported as interrupted), then the turn's end (for
 * its latency trace).
 */
function emitTurnCut(context: VoiceContext, emit: (e: VoiceEmitted) => void, outcome: "failed" | "interrupted", cutLlm: boolean, why: CutReason): void {
  const turn = context.turn!;
  const id = turn.id;
  if (turn.listening) {
    emit({ type: "stt.failed", turnId: id, code: "interrupted", message: `Listening ended without a transcript: ${CUT_WHY[why]}` });
  }
  if (cutLlm && turn.llm === "tools") {
    for (const call of turn.calls) {
      if (turn.reported.includes(call.id)) continue;
      emit({
        type: "tool.failed",
        turnId: id,
        callId: call.id,
        name: call.name,
        code: "cancelled",
        message: `The tool call was cancelled: ${CUT_WHY[why]}`,
        durationMs: null,
      });
    }
  }
  if (cutLlm && turn.llm === "running") emit({ type: "llm.round_ended", turnId: id, round: turn.round, reason: "interrupted" });
  if (cutLlm && (turn.llm === "running" || turn.llm === "tools")) {
    emit({ type: "llm.result", turnId: id, text: turn.answer, finishReason: "interrupted", rounds: turn.round + 1 });
  }
  if (turn.speech.started && !turn.speech.finished) {
    emit({
      type: "tts.result",
      turnId: id,
      sentences: turn.speech.sentence + (turn.speech.current ? 1 : 0),
      chunks: turn.speech.chunks,
      chars: turn.speech.chars,
      audioMs: turn.speech.audioMs,
      interrupted: true,
    });
  }
  emit({ type: "turn.ended", turnId: id, mode: turn.mode, outcome });
}

/** Code of a failed promise actor (EngineError-like errors carry one). */
function errorCode(error: unknown, fallback: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[a-z][a-z0-9_]*$/.test(code) ? code : fallback;
}
const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

// --- the machine ---------------------------------------------------------------

export const voiceMachine = setup({
  types: {
    context: {} as VoiceContext,
    events: {} as VoiceEvent,
    input: {} as VoiceMachineInput | undefined,
    emitted: {} as VoiceEmitted,
  },
  actors: {
    stt: sttSlot,
    demoStt: demoSttSlot,
    recall: recallSlot,
    llm: llmSlot,
    tools: toolsSlot,
    tts: ttsSlot,
    store: storeSlot,
  },
  delays: {
    sttDeadline: ({ context }) => context.deadlines.sttMs,
    memoryDeadline: ({ context }) => context.deadlines.memoryMs,
    llmDeadline: ({ context }) => context.deadlines.llmMs,
    toolDeadline: ({ context }) => context.deadlines.toolMs,
    ttsDeadline: ({ context }) => context.deadlines.ttsMs,
  },
  guards: {
    /** Rest means listening again: a continuous session that was not asked to stop. */
    shouldRelisten: ({ context }) => context.listenMode === "continuous" && !context.stopAfterTurn,
    inContinuousSession: ({ context }) => context.listenMode === "continuous",
    heardNothing: ({ event }) => event.type === "stt.final" && event.text.trim() === "",
    /** The model asked for tools and the turn still has tool rounds left. */
    canCallTools: ({ context, event }) => event.type === "llm.done" && event.toolCalls.length > 0 && context.turn!.round < context.maxToolRounds,
    wantsTools: ({ event }) => event.type === "llm.done" && event.toolCalls.length > 0,
    isPipelined: ({ context }) => context.pipelined,
    /** The model's last round ended (no tool calls): the answer text is complete. */
    answerComplete: ({ event }) => event.type === "llm.done" && event.toolCalls.length === 0,
    answerCompleteWithQueue: ({ context, event }) =>
      event.type === "llm.done" && event.toolCalls.length === 0 && context.turn!.speech.queue.length > 0,
    hasQueuedSentence: ({ context }) => context.turn!.speech.queue.length > 0,
    generationDone: ({ context }) => context.turn!.llm === "done",
  },
  actions: {
    /** Publish a coarse state change (skipped when nothing a UI shows changed). */
    announce: enqueueActions(({ context, enqueue }, params: { state: Phase; path: string }) => {
      if (context.phase === params.state && context.path === params.path) return;
      enqueue.emit({
        type: "state.changed",
        state: params.state,
        previous: context.phase,
        path: params.path,
        turnId: params.state === "idle" || params.state === "stopped" ? null : (context.turn?.id ?? null),
        mode: context.listenMode,
      });
      enqueue.assign({ phase: params.state, path: params.path });
    }),

    // turns
    startVoiceTurn: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "user.listen") return;
      const next = update(context, enqueue, (c) => {
        c.listenMode = event.mode;
        c.stopAfterTurn = false;
        newTurn(c, event.mode, null, null);
      });
      enqueue.emit({ type: "turn.started", turnId: next.turn!.id, mode: next.turn!.mode });
    }),
    startContinuousTurn: enqueueActions(({ context, enqueue }) => {
      const next = update(context, enqueue, (c) => newTurn(c, "continuous", null, null));
      enqueue.emit({ type: "turn.started", turnId: next.turn!.id, mode: "continuous" });
    }),
    startTextTurn: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "user.text") return;
      const next = update(context, enqueue, (c) => newTurn(c, "text", event.text, null));
      enqueue.emit({ type: "turn.started", turnId: next.turn!.id, mode: "text" });
    }),
    startDemoTurn: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "user.demo") return;
      const next = update(context, enqueue, (c) => newTurn(c, "demo", null, event.text ?? c.demoText));
      enqueue.emit({ type: "turn.started", turnId: next.turn!.id, mode: "demo" });
    }),
    /** End the running turn normally (also after a stage failure that was already reported). */
    endTurn: enqueueActions(({ context, enqueue }, params: { outcome: "completed" | "failed" }) => {
      const turn = context.turn;
      if (!turn) return;
      enqueue.emit({ type: "turn.ended", turnId: turn.id, mode: turn.mode, outcome: params.outcome });
      update(context, enqueue, (c) => {
        commitHistory(c, params.outcome === "failed");
        c.turn = null;
      });
    }),
    /** Cut the running turn: close its open streams, end it, say why (and which turn replaces it). */
    interruptTurn: enqueueActions(({ context, enqueue }, params: { reason: "barge_in" | "stop" | "shutdown" }) => {
      const turn = context.turn;
      if (!turn) return;
      emitTurnCut(context, (e) => enqueue.emit(e), "interrupted", true, params.reason);
      enqueue.emit({
        type: "turn.interrupted",
        turnId: turn.id,
        reason: params.reason,
        state: context.phase,
        by: params.reason === "barge_in" ? nextTurnId(context) : null,
      });
      update(context, enqueue, (c) => {
        commitHistory(c, true);
        c.turn = null;
      });
    }),
    leaveSession: enqueueActions(({ enqueue }) => {
      enqueue.assign({ listenMode: null, stopAfterTurn: false });
    }),
    markStopAfterTurn: enqueueActions(({ enqueue }) => {
      enqueue.assign({ stopAfterTurn: true });
    }),

    // listening
    emitSttStarted: enqueueActions(({ context, enqueue }, params: { demo: boolean }) => {
      const turn = context.turn!;
      const info = params.demo ? context.engines.demoStt : context.engines.stt;
      const mode = turn.mode === "demo" ? "demo" : turn.mode === "continuous" ? "continuous" : "push_to_talk";
      enqueue.emit({ type: "stt.started", turnId: turn.id, mode, engine: info.name, source: info.source });
      update(context, enqueue, (c) => {
        c.turn!.listening = true;
      });
    }),
    // Looked up rather than named: pure traversals (xstate/graph) run without live children.
    endAudio: sendTo(({ self }) => self.getSnapshot()?.children?.stt as AnyActorRef, { type: "audio.end" }),
    recordPartial: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "stt.partial") return;
      const turn = context.turn!;
      enqueue.emit({ type: "stt.progress", turnId: turn.id, text: event.text, index: turn.partials });
      update(context, enqueue, (c) => {
        c.turn!.partials += 1;
      });
    }),
    acceptTranscript: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "stt.final") return;
      const text = event.text.trim();
      enqueue.emit({ type: "stt.result", turnId: context.turn!.id, text, confidence: event.confidence });
      update(context, enqueue, (c) => {
        c.turn!.listening = false;
        if (!text) return;
        c.turn!.userText = text;
        c.turn!.messages.push({ role: "user", content: text });
      });
    }),
    failStt: enqueueActions(({ context, event, enqueue }, params: { timeout: boolean }) => {
      const turn = context.turn!;
      const code = params.timeout ? "timeout" : event.type === "stt.error" ? event.code : "engine_error";
      const message = params.timeout
        ? `No final transcript within ${context.deadlines.sttMs} ms`
        : event.type === "stt.error"
          ? event.message
          : "Speech recognition failed";
      enqueue.emit({ type: "stt.failed", turnId: turn.id, code, message });
      update(context, enqueue, (c) => {
        c.turn!.listening = false;
      });
    }),

    // memory
    beginRecall: enqueueActions(({ context, enqueue }) => {
      const turn = context.turn!;
      enqueue.emit({ type: "memory.recall_started", turnId: turn.id, query: turn.userText ?? "" });
    }),
    applyRecall: enqueueActions(({ context, event, enqueue }) => {
      const hits = (event as unknown as { output: RecallOutput }).output ?? [];
      const turn = context.turn!;
      enqueue.emit({
        type: "memory.recalled",
        turnId: turn.id,
        query: turn.userText ?? "",
        hits: hits.map((h) => ({ id: h.item.id, kind: h.item.kind, preview: preview(h.item.text), score: h.score })),
      });
      update(context, enqueue, (c) => {
        c.turn!.recalled = hits.map((h) => ({ id: h.item.id, kind: h.item.kind, text: h.item.text, score: h.score }));
      });
    }),
    failMemory: enqueueActions(({ context, event, enqueue }, params: { operation: "recall" | "store"; timeout: boolean }) => {
      const error = (event as unknown as { error?: unknown }).error;
      enqueue.emit({
        type: "memory.failed",
        turnId: context.turn!.id,
        operation: params.operation,
        code: params.timeout ? "timeout" : errorCode(error, "storage_error"),
        message: params.timeout ? `Memory ${params.operation} took longer than ${context.deadlines.memoryMs} ms` : errorMessage(error),
      });
    }),
    applyStored: enqueueActions(({ context, event, enqueue }) => {
      const item = (event as unknown as { output: StoreOutput }).output;
      enqueue.emit({ type: "memory.stored", turnId: context.turn!.id, id: item.id, kind: item.kind, preview: preview(item.text) });
    }),

    // generation
    startRound: enqueueActions(({ context, enqueue }) => {
      const next = update(context, enqueue, (c) => {
        c.turn!.llm = "running";
        c.turn!.roundText = "";
      });
      const { llm } = next.engines;
      enqueue.emit({ type: "llm.started", turnId: next.turn!.id, engine: llm.name, model: llm.model, round: next.turn!.round });
    }),
    appendDelta: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.delta" || !event.text) return;
      const turn = context.turn!;
      enqueue.emit({ type: "llm.progress", turnId: turn.id, delta: event.text, index: turn.deltas });
      update(context, enqueue, (c) => {
        c.turn!.roundText += event.text;
        c.turn!.answer += event.text;
        c.turn!.deltas += 1;
      });
    }),
    requestTools: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.done") return;
      const turn = context.turn!;
      enqueue.emit({ type: "llm.round_ended", turnId: turn.id, round: turn.round, reason: "tool_calls" });
      const next = update(context, enqueue, (c) => {
        const t = c.turn!;
        t.messages.push({ role: "assistant", content: t.roundText, toolCalls: event.toolCalls });
        t.calls = event.toolCalls;
        t.reported = [];
        t.llm = "tools";
        // A round's text may lack a sentence end ("Let me check"): keep spoken words apart.
        if (t.answer && !/\s$/.test(t.answer)) t.answer += " ";
      });
      for (const call of next.turn!.calls) {
        enqueue.emit({ type: "tool.called", turnId: turn.id, callId: call.id, name: call.name, arguments: call.arguments });
      }
    }),
    reportToolOutcome: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "tools.outcome") return;
      const turn = context.turn!;
      const o = event.outcome;
      if (turn.reported.includes(o.callId) || !turn.calls.some((c) => c.id === o.callId)) return;
      const durationMs = Math.max(0, o.durationMs);
      if (o.ok) {
        enqueue.emit({ type: "tool.result", turnId: turn.id, callId: o.callId, name: o.name, preview: o.preview, durationMs });
      } else {
        enqueue.emit({
          type: "tool.failed",
          turnId: turn.id,
          callId: o.callId,
          name: o.name,
          code: o.code,
          message: o.message,
          ...(o.issues ? { issues: o.issues } : {}),
          durationMs,
        });
      }
      update(context, enqueue, (c) => {
        c.turn!.reported.push(o.callId);
        // A failure goes back to the model as a tool message; the turn goes on.
        const content = o.ok ? (typeof o.result === "string" ? o.result : JSON.stringify(o.result) ?? "null") : `Error (${o.code}): ${o.message}`;
        c.turn!.messages.push({ role: "tool", toolCallId: o.callId, name: o.name, content });
      });
    }),
    /** The tool round ended (all reported, or the deadline passed: the rest fail with `timeout`). */
    finishToolRound: enqueueActions(({ context, enqueue }, params: { timeout: boolean }) => {
      const turn = context.turn!;
      const missing = turn.calls.filter((c) => !turn.reported.includes(c.id));
      const message = `The tool did not answer within ${context.deadlines.toolMs} ms`;
      for (const call of missing) {
        enqueue.emit({
          type: "tool.failed",
          turnId: turn.id,
          callId: call.id,
          name: call.name,
          code: params.timeout ? "timeout" : "tool_failed",
          message: params.timeout ? message : "The tool runner reported no outcome",
          durationMs: params.timeout ? context.deadlines.toolMs : 0,
        });
      }
      enqueue.emit({ type: "tools.finished", turnId: turn.id, round: turn.round });
      update(context, enqueue, (c) => {
        const t = c.turn!;
        for (const call of missing) {
          t.messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: `Error (${params.timeout ? "timeout" : "tool_failed"}): ${message}` });
        }
        t.calls = [];
        t.reported = [];
        t.round += 1;
      });
    }),
    finishGeneration: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.done") return;
      const turn = context.turn!;
      const reason = event.finishReason === "length" ? "length" : "stop";
      enqueue.emit({ type: "llm.round_ended", turnId: turn.id, round: turn.round, reason });
      enqueue.emit({ type: "llm.result", turnId: turn.id, text: turn.answer.trim(), finishReason: reason, rounds: turn.round + 1 });
      update(context, enqueue, (c) => {
        c.turn!.messages.push({ role: "assistant", content: c.turn!.roundText });
        c.turn!.llm = "done";
      });
    }),
    /** The model failed (engine error, deadline, endless tool rounds): report it and close the turn as failed. */
    failGeneration: enqueueActions(({ context, event, enqueue }, params: { reason: "error" | "timeout" | "tool_rounds" }) => {
      const turn = context.turn!;
      const [code, message] =
        params.reason === "timeout"
          ? ["timeout", `The model did not finish within ${context.deadlines.llmMs} ms`]
          : params.reason === "tool_rounds"
            ? ["tool_rounds_exceeded", `The model asked for tools more than ${context.maxToolRounds} times in one turn`]
            : event.type === "llm.error"
              ? [event.code, event.message]
              : ["engine_error", "The model failed"];
      enqueue.emit({ type: "llm.round_ended", turnId: turn.id, round: turn.round, reason: "failed" });
      enqueue.emit({ type: "llm.failed", turnId: turn.id, code, message, partialText: turn.answer });
      emitTurnCut({ ...context, turn: { ...turn, llm: "done" } }, (e) => enqueue.emit(e), "failed", false, "failure");
      update(context, enqueue, (c) => {
        commitHistory(c, true);
        c.turn = null;
      });
    }),

    // speech
    startSpeech: enqueueActions(({ context, enqueue }) => {
      const turn = context.turn!;
      const { tts } = context.engines;
      enqueue.emit({ type: "tts.started", turnId: turn.id, engine: tts.name, voice: tts.voice, format: tts.format });
      update(context, enqueue, (c) => {
        c.turn!.speech.started = true;
      });
    }),
    takeSentence: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.sentence") return;
      update(context, enqueue, (c) => {
        c.turn!.speech.current = event.text;
        c.turn!.speech.chars += event.text.length;
      });
    }),
    queueSentence: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "llm.sentence") return;
      update(context, enqueue, (c) => {
        c.turn!.speech.queue.push(event.text);
      });
    }),
    takeQueuedSentence: enqueueActions(({ context, enqueue }) => {
      update(context, enqueue, (c) => {
        const s = c.turn!.speech;
        s.current = s.queue.shift() ?? null;
        s.chars += s.current?.length ?? 0;
      });
    }),
    emitAudio: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== "tts.chunk") return;
      const turn = context.turn!;
      const s = turn.speech;
      const text = s.current ?? "";
      enqueue.emit({
        type: "tts.audio",
        turnId: turn.id,
        sentenceIndex: s.sentence,
        chunkIndex: s.chunks,
        text,
        chars: text.length,
        audioMs: event.audioMs,
        bytes: event.pcm.byteLength,
        pcm: event.pcm,
      });
      update(context, enqueue, (c) => {
        c.turn!.speech.chunks += 1;
        c.turn!.speech.audioMs += event.audioMs;
      });
    }),
    finishSentence: enqueueActions(({ context, enqueue }) => {
      update(context, enqueue, (c) => {
        c.turn!.speech.sentence += 1;
        c.turn!.speech.current = null;
      });
    }),
    finishSpeech: enqueueActions(({ context, enqueue }) => {
      const turn = context.turn!;
      const s = turn.speech;
      if (s.started) {
        enqueue.emit({ type: "tts.result", turnId: turn.id, sentences: s.sentence, chunks: s.chunks, chars: s.chars, audioMs: s.audioMs, interrupted: false });
      }
      update(context, enqueue, (c) => {
        c.turn!.speech.finished = true;
      });
    }),
    /** Synthesis failed: report it, cut the generation, close the turn as failed. */
    failSpeech: enqueueActions(({ context, event, enqueue }, params: { timeout: boolean }) => {
      const turn = context.turn!;
      const code = params.timeout ? "timeout" : event.type === "tts.error" ? event.code : "engine_error";
      const message = params.timeout
        ? `Synthesis of one sentence took longer than ${context.deadlines.ttsMs} ms`
        : event.type === "tts.error"
          ? event.message
          : "Speech synthesis failed";
      enqueue.emit({ type: "tts.failed", turnId: turn.id, code, message });
      emitTurnCut({ ...context, turn: { ...turn, speech: { ...turn.speech, finished: true } } }, (e) => enqueue.emit(e), "failed", true, "failure");
      update(context, enqueue, (c) => {
        commitHistory(c, true);
        c.turn = null;
      });
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
    stopAfterTurn: false,
    turnCount: 0,
    turn: null,
    history: [],
    phase: "idle",
    path: "idle",
  }),
  initial: "idle",
  states: {
    idle: {
      entry: [{ type: "announce", params: { state: "idle", path: "idle" } }],
      on: {
        "user.listen": { target: "listening.voice", actions: "startVoiceTurn" },
        "user.demo": { target: "listening.demo", actions: "startDemoTurn" },
        "user.text": { target: "answering", actions: "startTextTurn" },
        "system.shutdown": { target: "stopped" },
      },
    },

    listening: {
      initial: "voice",
      states: {
        voice: {
          entry: [{ type: "announce", params: { state: "listening", path: "listening.voice" } }, { type: "emitSttStarted", params: { demo: false } }],
          invoke: { id: "stt", src: "stt", input: ({ context }) => ({ turnId: context.turn!.id }) },
        },
        demo: {
          entry: [{ type: "announce", params: { state: "listening", path: "listening.demo" } }, { type: "emitSttStarted", params: { demo: true } }],
          invoke: { id: "stt", src: "demoStt", input: ({ context }) => ({ turnId: context.turn!.id, text: context.turn!.demoText ?? context.demoText }) },
        },
      },
      after: {
        sttDeadline: [
          {
            guard: "shouldRelisten",
            target: "listening",
            reenter: true,
            actions: [{ type: "failStt", params: { timeout: true } }, { type: "endTurn", params: { outcome: "failed" } }, "startContinuousTurn"],
          },
          { target: "idle", actions: [{ type: "failStt", params: { timeout: true } }, { type: "endTurn", params: { outcome: "failed" } }, "leaveSession"] },
        ],
      },
      on: {
        "stt.partial": { actions: "recordPartial" },
        "stt.final": [
          // Nothing heard: the turn (and a voice session) ends quietly.
          { guard: "heardNothing", target: "idle", actions: ["acceptTranscript", { type: "endTurn", params: { outcome: "completed" } }, "leaveSession"] },
          { target: "answering", actions: "acceptTranscript" },
        ],
        // A recogniser that fails ends the session even in continuous mode (listening again would spin on a broken engine).
        "stt.error": { target: "idle", actions: [{ type: "failStt", params: { timeout: false } }, { type: "endTurn", params: { outcome: "failed" } }, "leaveSession"] },
        "user.stop_listening": { actions: ["endAudio", "markStopAfterTurn"] },
        "user.text": { target: "answering", actions: [{ type: "interruptTurn", params: { reason: "barge_in" } }, "startTextTurn"] },
        "system.shutdown": { target: "stopped", actions: [{ type: "interruptTurn", params: { reason: "shutdown" } }, "leaveSession"] },
      },
    },

    answering: {
      type: "parallel",
      entry: [{ type: "announce", params: { state: "thinking", path: "thinking.recalling" } }],
      states: {
        generation: {
          initial: "recalling",
          states: {
            recalling: {
              entry: "beginRecall",
              invoke: {
                id: "recall",
                src: "recall",
                input: ({ context }) => ({ query: context.turn!.userText ?? "", limit: context.recallLimit }),
                onDone: { target: "generating", actions: "applyRecall" },
                // Memory failures are reported and the turn goes on without memories.
                onError: { target: "generating", actions: [{ type: "failMemory", params: { operation: "recall", timeout: false } }] },
              },
              after: { memoryDeadline: { target: "generating", actions: [{ type: "failMemory", params: { operation: "recall", timeout: true } }] } },
            },
            generating: {
              entry: "startRound",
              invoke: {
                id: "llm",
                src: "llm",
                input: ({ context }) => ({ turnId: context.turn!.id, round: context.turn!.round, messages: buildMessages(context) }),
              },
              on: {
                "llm.delta": { actions: "appendDelta" },
                "llm.done": [
                  { guard: "canCallTools", target: "calling_tools", actions: "requestTools" },
                  {
                    guard: "wantsTools",
                    target: "#voice.idle",
                    actions: [{ type: "failGeneration", params: { reason: "tool_rounds" } }, "leaveSession"],
                  },
                  { target: "done", actions: "finishGeneration" },
                ],
                "llm.error": [
                  {
                    guard: "shouldRelisten",
                    target: "#voice.listening",
                    actions: [{ type: "failGeneration", params: { reason: "error" } }, "startContinuousTurn"],
                  },
                  { target: "#voice.idle", actions: [{ type: "failGeneration", params: { reason: "error" } }, "leaveSession"] },
                ],
              },
              after: {
                llmDeadline: [
                  {
                    guard: "shouldRelisten",
                    target: "#voice.listening",
                    actions: [{ type: "failGeneration", params: { reason: "timeout" } }, "startContinuousTurn"],
                  },
                  { target: "#voice.idle", actions: [{ type: "failGeneration", params: { reason: "timeout" } }, "leaveSession"] },
                ],
              },
            },
            calling_tools: {
              invoke: { id: "tools", src: "tools", input: ({ context }) => ({ turnId: context.turn!.id, calls: context.turn!.calls }) },
              on: {
                "tools.outcome": { actions: "reportToolOutcome" },
                "tools.done": { target: "generating", actions: [{ type: "finishToolRound", params: { timeout: false } }] },
              },
              after: { toolDeadline: { target: "generating", actions: [{ type: "finishToolRound", params: { timeout: true } }] } },
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
              invoke: { id: "tts", src: "tts", input: ({ context }) => ({ turnId: context.turn!.id, text: context.turn!.speech.current ?? "" }) },
              on: {
                "tts.chunk": { actions: "emitAudio" },
                "llm.sentence": { actions: "queueSentence" },
                "tts.done": [
                  { guard: "hasQueuedSentence", target: "synthesizing", reenter: true, actions: ["finishSentence", "takeQueuedSentence"] },
                  { guard: "generationDone", target: "done", actions: ["finishSentence", "finishSpeech"] },
                  { target: "gap", actions: "finishSentence" },
                ],
                "tts.error": [
                  { guard: "shouldRelisten", target: "#voice.listening", actions: [{ type: "failSpeech", params: { timeout: false } }, "startContinuousTurn"] },
                  { target: "#voice.idle", actions: [{ type: "failSpeech", params: { timeout: false } }, "leaveSession"] },
                ],
              },
              after: {
                ttsDeadline: [
                  { guard: "shouldRelisten", target: "#voice.listening", actions: [{ type: "failSpeech", params: { timeout: true } }, "startContinuousTurn"] },
                  { target: "#voice.idle", actions: [{ type: "failSpeech", params: { timeout: true } }, "leaveSession"] },
                ],
              },
            },
            // Spoke everything so far; the model is still generating.
            gap: {
              on: {
                "llm.sentence": { target: "synthesizing", actions: "takeSentence" },
                "llm.done": { guard: "answerComplete", target: "done", actions: "finishSpeech" },
              },
            },
            done: { type: "final" },
          },
        },
      },
      onDone: { target: "remembering" },
      on: {
        "user.listen": { target: "listening.voice", actions: [{ type: "interruptTurn", params: { reason: "barge_in" } }, "startVoiceTurn"] },
        "user.text": { target: "answering", reenter: true, actions: [{ type: "interruptTurn", params: { reason: "barge_in" } }, "startTextTurn"] },
        "user.stop_speaking": [
          { guard: "shouldRelisten", target: "listening", actions: [{ type: "interruptTurn", params: { reason: "stop" } }, "startContinuousTurn"] },
          { target: "idle", actions: [{ type: "interruptTurn", params: { reason: "stop" } }, "leaveSession"] },
        ],
        "user.stop_listening": { guard: "inContinuousSession", actions: "markStopAfterTurn" },
        "system.shutdown": { target: "stopped", actions: [{ type: "interruptTurn", params: { reason: "shutdown" } }, "leaveSession"] },
      },
    },

    // The answer is out; keep the turn in long-term memory before resting.
    remembering: {
      invoke: {
        id: "store",
        src: "store",
        input: ({ context }) => ({ turnId: context.turn!.id, user: context.turn!.userText ?? "", assistant: context.turn!.answer.trim() }),
        onDone: [
          { guard: "shouldRelisten", target: "listening", actions: ["applyStored", { type: "endTurn", params: { outcome: "completed" } }, "startContinuousTurn"] },
          { target: "idle", actions: ["applyStored", { type: "endTurn", params: { outcome: "completed" } }, "leaveSession"] },
        ],
        onError: [
          {
            guard: "shouldRelisten",
            target: "listening",
            actions: [{ type: "failMemory", params: { operation: "store", timeout: false } }, { type: "endTurn", params: { outcome: "completed" } }, "startContinuousTurn"],
          },
          {
            target: "idle",
            actions: [{ type: "failMemory", params: { operation: "store", timeout: false } }, { type: "endTurn", params: { outcome: "completed" } }, "leaveSession"],
          },
        ],
      },
      after: {
        memoryDeadline: [
          {
            guard: "shouldRelisten",
            target: "listening",
            actions: [{ type: "failMemory", params: { operation: "store", timeout: true } }, { type: "endTurn", params: { outcome: "completed" } }, "startContinuousTurn"],
          },
          {
            target: "idle",
            actions: [{ type: "failMemory", params: { operation: "store", timeout: true } }, { type: "endTurn", params: { outcome: "completed" } }, "leaveSession"],
          },
        ],
      },
      on: {
        "user.listen": { target: "listening.voice", actions: [{ type: "interruptTurn", params: { reason: "barge_in" } }, "startVoiceTurn"] },
        "user.text": { target: "answering", actions: [{ type: "interruptTurn", params: { reason: "barge_in" } }, "startTextTurn"] },
        "user.stop_listening": { guard: "inContinuousSession", actions: "markStopAfterTurn" },
        "system.shutdown": { target: "stopped", actions: [{ type: "interruptTurn", params: { reason: "shutdown" } }, "leaveSession"] },
      },
    },

    stopped: {
      type: "final",
      entry: [{ type: "announce", params: { state: "stopped", path: "stopped" } }],
    },
  },
});

export type VoiceMachine = typeof voiceMachine;
