/**
 * One OpenTelemetry trace per turn, built from the pipeline's wire events
 * (the same events every client sees, so it does not depend on how the
 * machines inside are split): a root `turn` span, with children for speech
 * recognition (`stt`), memory recall (`memory.recall`), each model round
 * (`chat <model>`), each tool call (`execute_tool <name>`) and speech
 * synthesis (`tts`). Stage spans whose start the wire does not announce
 * (memory recall, tool calls) are placed by the `duration_ms` their result
 * event carries.
 *
 * Attributes are what a person debugging latency needs: engine, model,
 * session and turn id and mode, first-token and first-audio times, rounds, sizes,
 * interruption, error codes, and the latency_trace figures on the root.
 * User speech, answers, tool arguments and results and memory text are
 * added only with `content: true` (the tracingContent setting).
 */
import { context, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { round3 } from "../../actors/round3.js";
import { DEFAULT_SESSION_ID, type EventInput } from "../protocol/index.js";

export interface TurnSpansOptions {
  /** Put user speech, answers, tool arguments/results and memory text in attributes. Default false. */
  content?: boolean;
  /** Wall clock in epoch milliseconds (fractional). Default: performance.timeOrigin + performance.now(). */
  now?: () => number;
}

interface OpenTurn {
  root: Span;
  ctx: Context;
  stt?: Span;
  llm?: { span: Span; start: number; deltas: number; firstToken: boolean };
  tools: Map<string, Span>;
  tts?: { span: Span; start: number; chunks: number; firstAudio: boolean };
  /** End of the latest finished stage, where a stage without a start event is placed. */
  lastMark: number;
}

/** Finished turn ids remembered so a straggling event does not open a new trace. */
const RECENTLY_FINISHED = 32;
/** Turns open at once at most; past it the oldest is ended (a turn that never finishes must not grow memory). */
const MAX_OPEN_TURNS = 64;

const fail = (span: Span, code: string, attrs: Attributes = {}) => {
  span.setAttributes({ "error.type": code, ...attrs });
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
};

/** Feeds pipeline events to a tracer, one trace per turn. */
export class TurnSpans {
  readonly #tracer: Tracer;
  readonly #content: boolean;
  readonly #now: () => number;
  readonly #turns = new Map<string, OpenTurn>();
  readonly #finished: string[] = [];

  constructor(tracer: Tracer, options: TurnSpansOptions = {}) {
    this.#tracer = tracer;
    this.#content = options.content ?? false;
    this.#now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  /** Turns with an open root span. */
  get open(): number {
    return this.#turns.size;
  }

  /** Take one wire event of session `session` (turn ids are per session; default: the default session's). */
  record(event: EventInput, session = DEFAULT_SESSION_ID): void {
    const turnId = (event.data as { turn_id?: unknown }).turn_id;
    if (typeof turnId !== "string") return;
    const now = this.#now();
    const key = `${session}/${turnId}`;
    const turn = this.#turns.get(key) ?? this.#open(key, turnId, session, now);
    if (!turn) return;
    const child = (name: string, start: number, attributes: Attributes) => this.#tracer.startSpan(name, { startTime: start, attributes }, turn.ctx);
    switch (event.type) {
      case "stt_start": {
        const d = event.data;
        turn.root.setAttribute("coda.turn.mode", d.mode);
        turn.stt = child("stt", now, { "coda.stt.engine": d.engine, "coda.stt.source": d.source, "coda.stt.mode": d.mode });
        return;
      }
      case "stt_result": {
        const d = event.data;
        const span = turn.stt ?? child("stt", now - d.duration_ms, {});
        span.setAttributes({ ...(typeof d.confidence === "number" ? { "coda.stt.confidence": d.confidence } : {}), "coda.stt.chars": d.text.length, ...(this.#content ? { "coda.stt.text": d.text } : {}) });
        span.end(now);
        turn.stt = undefined;
        turn.lastMark = now;
        return;
      }
      case "stt_error":
        if (turn.stt) {
          fail(turn.stt, event.data.code);
          turn.stt.end(now);
          turn.stt = undefined;
        }
        turn.lastMark = now;
        return;
      case "memory_recall": {
        const d = event.data;
        const span = child("memory.recall", now - d.duration_ms, { "coda.memory.hits": d.hits.length, ...(this.#content ? { "coda.memory.query": d.query, "coda.memory.hit_previews": d.hits.map((h) => h.preview) } : {}) });
        span.end(now);
        turn.lastMark = now;
        return;
      }
      case "memory_error": {
        const span = child(`memory.${event.data.operation}`, turn.lastMark, {});
        fail(span, event.data.code);
        span.end(now);
        return;
      }
      case "memory_store":
        turn.root.addEvent("memory.stored", { "coda.memory.kind": event.data.kind, ...(this.#content ? { "coda.memory.preview": event.data.preview } : {}) }, now);
        return;
      case "llm_start": {
        const d = event.data;
        this.#endRound(turn, now);
        const span = child(`chat ${d.model}`, now, {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": d.engine,
          "gen_ai.request.model": d.model,
          "coda.llm.engine": d.engine,
          "coda.llm.round": d.round,
        });
        turn.llm = { span, start: now, deltas: 0, firstToken: false };
        turn.root.setAttributes({ "coda.llm.engine": d.engine, "coda.llm.model": d.model });
        return;
      }
      case "llm_progress":
        if (!turn.llm) return;
        turn.llm.deltas++;
        if (!turn.llm.firstToken) {
          turn.llm.firstToken = true;
          turn.llm.span.setAttribute("coda.llm.first_token_ms", round3(now - turn.llm.start));
        }
        return;
      case "llm_result": {
        const d = event.data;
        if (turn.llm) turn.llm.span.setAttributes({ "gen_ai.response.finish_reasons": [d.finish_reason], ...(this.#content ? { "coda.llm.text": d.text } : {}) });
        this.#endRound(turn, now);
        turn.root.setAttributes({ "coda.llm.rounds": d.rounds, "coda.llm.answer_chars": d.text.length });
        turn.lastMark = now;
        return;
      }
      case "llm_error":
        if (turn.llm) fail(turn.llm.span, event.data.code, { "coda.llm.partial_chars": event.data.partial_text.length });
        this.#endRound(turn, now);
        turn.lastMark = now;
        return;
      case "tool_call": {
        const d = event.data;
        if (turn.llm) turn.llm.span.setAttribute("gen_ai.response.finish_reasons", ["tool_calls"]);
        this.#endRound(turn, now);
        turn.tools.set(
          d.call_id,
          child(`execute_tool ${d.name}`, now, {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": d.name,
            "gen_ai.tool.call.id": d.call_id,
            ...(this.#content ? { "gen_ai.tool.call.arguments": JSON.stringify(d.arguments) } : {}),
          }),
        );
        return;
      }
      case "tool_result":
      case "tool_error": {
        const d = event.data;
        const span = turn.tools.get(d.call_id) ?? child(`execute_tool ${d.name}`, now - d.duration_ms, { "gen_ai.tool.name": d.name, "gen_ai.tool.call.id": d.call_id });
        turn.tools.delete(d.call_id);
        span.setAttribute("coda.tool.duration_ms", d.duration_ms);
        if (event.type === "tool_error") fail(span, event.data.code);
        else if (this.#content) span.setAttribute("gen_ai.tool.call.result", event.data.preview);
        span.end(now);
        turn.lastMark = now;
        return;
      }
      case "tts_start": {
        const d = event.data;
        turn.tts = { span: child("tts", now, { "coda.tts.engine": d.engine, "coda.tts.voice": d.voice, "coda.tts.sample_rate": d.format.sample_rate }), start: now, chunks: 0, firstAudio: false };
        return;
      }
      case "tts_progress":
        if (!turn.tts) return;
        turn.tts.chunks++;
        if (!turn.tts.firstAudio) {
          turn.tts.firstAudio = true;
          turn.tts.span.setAttribute("coda.tts.first_audio_ms", round3(now - turn.tts.start));
        }
        return;
      case "tts_result": {
        const d = event.data;
        if (turn.tts) {
          turn.tts.span.setAttributes({ "coda.tts.sentences": d.sentences, "coda.tts.chunks": d.chunks, "coda.tts.chars": d.chars, "coda.tts.audio_ms": d.audio_ms, "coda.interrupted": d.interrupted });
          turn.tts.span.end(now);
          turn.tts = undefined;
        }
        turn.lastMark = now;
        return;
      }
      case "tts_error":
        if (turn.tts) {
          fail(turn.tts.span, event.data.code);
          turn.tts.span.end(now);
          turn.tts = undefined;
        }
        return;
      case "turn_interrupted":
        turn.root.setAttributes({ "coda.interrupted": true, "coda.interrupt.reason": event.data.reason, "coda.interrupt.state": event.data.state });
        turn.root.addEvent("turn.interrupted", { "coda.interrupt.reason": event.data.reason }, now);
        return;
      case "latency_trace": {
        const d = event.data;
        const figures: Attributes = {};
        for (const [k, v] of Object.entries(d)) if (k.endsWith("_ms") && typeof v === "number") figures[`coda.latency.${k}`] = v;
        turn.root.setAttributes({ ...figures, "coda.turn.mode": d.mode, "coda.interrupted": d.interrupted });
        this.#close(key, turn, now);
        return;
      }
      default:
        return;
    }
  }

  /** End every open turn (the server is stopping). */
  endAll(): void {
    const now = this.#now();
    for (const [id, turn] of this.#turns) {
      turn.root.setAttribute("coda.turn.unfinished", true);
      this.#close(id, turn, now);
    }
  }

  #open(key: string, turnId: string, session: string, now: number): OpenTurn | null {
    if (this.#finished.includes(key)) return null;
    if (this.#turns.size >= MAX_OPEN_TURNS) {
      const [oldId, oldest] = this.#turns.entries().next().value!;
      oldest.root.setAttribute("coda.turn.unfinished", true);
      this.#close(oldId, oldest, now);
    }
    const root = this.#tracer.startSpan("turn", { root: true, startTime: now, attributes: { "coda.turn.id": turnId, "coda.session.id": session } });
    const turn: OpenTurn = { root, ctx: trace.setSpan(context.active(), root), tools: new Map(), lastMark: now };
    this.#turns.set(key, turn);
    return turn;
  }

  #endRound(turn: OpenTurn, now: number): void {
    if (!turn.llm) return;
    turn.llm.span.setAttribute("coda.llm.deltas", turn.llm.deltas);
    turn.llm.span.end(now);
    turn.llm = undefined;
  }

  #close(key: string, turn: OpenTurn, now: number): void {
    // What is still open was cut with the turn.
    const cut = [turn.stt, turn.llm?.span, turn.tts?.span, ...turn.tools.values()].filter((s): s is Span => s !== undefined);
    for (const span of cut) {
      span.setAttribute("coda.interrupted", true);
      span.end(now);
    }
    turn.root.end(now);
    this.#turns.delete(key);
    this.#finished.push(key);
    if (this.#finished.length > RECENTLY_FINISHED) this.#finished.shift();
  }
}

