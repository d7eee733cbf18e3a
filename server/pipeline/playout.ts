/**
 * The playout clock and pacing: how much of each turn's spoken answer has
 * been heard, and when each audio consumer gets its next chunk.
 *
 * Consumers are the places an answer is played: WebSocket clients that asked
 * for audio (`?audio=1`) and the `--speak` player. Each gets its own outlet
 * per turn, with its own position on the turn's audio timeline:
 * - a consumer that reports (the `playback` command, or the local player)
 *   is believed; between reports its position advances in real time;
 * - one that reports nothing is assumed to play in real time from the moment
 *   it was sent the turn's first chunk, never past the audio it was sent
 *   (after running dry it resumes from where it stopped when more arrives);
 * - with no consumer at all, an answer counts as heard once synthesised.
 *
 * Pacing: a consumer is sent a chunk only while the audio it holds unplayed
 * stays within `leadMs` (one chunk always goes when it holds nothing), so a
 * stop leaves at most the lead in anyone's buffer.
 *
 * The synthesis bound: synthesis runs ahead of pacing into the turn's
 * buffer, the audio synthesised but not yet sent to every consumer still
 * playing the turn. When it reaches `synthesisAheadMs`, `onFull` says so (the
 * turn starts no new sentence); when sending brings it back under the bound,
 * `onRoom` (the turn goes on). With no consumer playing the turn there is
 * nothing to wait for. A chunk's PCM is released as soon as every such
 * consumer has been sent it (its timing and text stay, for what was heard),
 * so the bytes held (`bufferedBytes()`) follow the bound, not the answer's
 * length.
 *
 * A consumer that registers while a turn plays out joins it at the live
 * position: the first chunk not yet sent to every consumer (within the lead
 * of what the others hear), or, when nothing is held, the next chunk
 * synthesised. Audio before that was released and is not replayed.
 *
 * What was heard: a listener hears the turn's timeline from where it
 * joined up to its position; the turn was heard where some listener played
 * it (the union of those stretches, never audio nobody played: audio
 * synthesised while every listener had left is not heard). With no consumer
 * at all (text only), an answer counts as heard once synthesised; so does
 * the audio synthesised before a turn's first listener joined it. `ended`
 * counts as played to the end only when its position says so (within
 * `ENDED_SLACK_MS` of the audio sent).
 *
 * A stalled listener: one that reports `playing` but falls `stallMs` behind
 * real time, counting only the time it held audio it had not played (a
 * position that stands still that long while it holds audio, or a player
 * running at half speed for twice as long), leaves the turn's playout where
 * it last reported, as if it had disconnected; it takes part in the next
 * turn afresh. So no listener stretches a turn past its audio length plus
 * about `stallMs` (plus one of its report intervals).
 *
 * A turn's playout ends when its synthesis has ended and every outlet has
 * played everything (or reported `ended`/`stopped`, stalled, or gone away);
 * `onEnded` is then told what was heard, marked cut (`heard.cut`; the turn
 * remembers only that) when some of the answer was not. `cut(turnId)` stops
 * a turn at once (nothing more is sent) and returns what was heard up to
 * that instant.
 *
 * A sink that throws is logged (once per consumer and turn, without any of
 * the answer's words) and does not break pacing for the others.
 *
 * Time comes from an injectable Clock, so tests run it by hand.
 */
import { silentLogger, type Logger } from "../../actors/logger.js";
import { round3 } from "../../actors/round3.js";

/** Time source and timers (milliseconds). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** performance.now and the global timers (looked up at call time, so fake timers apply). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One chunk of a turn's synthesised speech, as the pipeline produced it. */
export interface PlayoutChunkIn {
  turnId: string;
  chunkIndex: number;
  sentenceIndex: number;
  /** The sentence the chunk belongs to, as written (for heard_text). */
  text: string;
  audioMs: number;
  pcm: Uint8Array;
}

/** A chunk as a consumer receives it: where it sits on the turn's timeline. */
export interface AudioOut {
  turnId: string;
  chunkIndex: number;
  sentenceIndex: number;
  /** Start of this chunk on the turn's audio timeline (ms). */
  offsetMs: number;
  audioMs: number;
  pcm: Uint8Array;
}

/** Where a consumer's audio goes. */
export interface AudioSink {
  /** Deliver one chunk (the consumer plays chunks of a turn back to back). */
  send(chunk: AudioOut): void;
  /** Every chunk of the turn has been delivered (synthesis ended). */
  end?(turnId: string): void;
  /** The turn was cut: drop whatever of it is buffered. */
  drop?(turnId: string): void;
}

/** A consumer's report about one turn (the `playback` command's data). */
export interface PlaybackReport {
  turn_id: string;
  state: "playing" | "ended" | "stopped";
  /** Audio of this turn played on this consumer so far (ms). */
  position_ms: number;
}

/** What was heard of a turn. */
export interface Heard {
  /** Audio some listener played (ms): the length of the union of what each listener played. */
  heardMs: number;
  /** What was heard, in order: whole sentences, the words heard of a partly heard one, and "—" for each stretch nobody heard (see heardText). */
  text: string;
  /** True when some of the synthesised audio was not heard. */
  cut: boolean;
}

export interface PlayoutOptions {
  /** Most unplayed audio a consumer is sent ahead of its position (ms). Default 1000. */
  leadMs?: number;
  /** Audio synthesised but not yet sent to every consumer at which synthesis is told to wait (ms). Default 30000. */
  synthesisAheadMs?: number;
  /** How long past the end a reporting consumer may stay silent before it counts as ended (ms). Default 1000. */
  reportGraceMs?: number;
  /** How far behind real time (counting only time it held unplayed audio) a reporting listener may fall before it counts as stalled (ms). Default DEFAULT_STALL_MS. */
  stallMs?: number;
  clock?: Clock;
  /** Where stalls and failing sinks are logged (fields only, never the answer's words). Default: nowhere. */
  logger?: Logger;
  /** A turn's playout ended (not called for a turn that was `cut`); `heard.cut` when some of it was not heard (every listener left, stopped or stalled early, or joined late). */
  onEnded?: (turnId: string, heard: Heard) => void;
  /** The turn's buffer reached the synthesis bound: `aheadMs` is synthesised and not yet sent to every consumer. */
  onFull?: (turnId: string, aheadMs: number) => void;
  /** The turn's buffer is back under the bound (after `onFull`): synthesis may go on. */
  onRoom?: (turnId: string) => void;
}

/** One consumer's registration handle. */
export interface AudioOutput {
  /** Apply a playback report. Returns false when the turn is not playing out (the report is ignored). */
  report(report: PlaybackReport): boolean;
  /** The consumer is gone: its outlets stop, its position stays as it was. */
  close(): void;
}

interface Consumer {
  id: string;
  sink: AudioSink;
  /** Declared up front that it reports its progress (the local player). */
  reports: boolean;
}

interface Chunk extends AudioOut {
  text: string;
}

interface Outlet {
  consumer: Consumer;
  /** Index (into turn.chunks) of the next chunk to send. */
  next: number;
  /** Timeline position of the first chunk this outlet got (a consumer that joined mid-turn starts later). */
  baseMs: number;
  /** Timeline end of the audio sent. */
  sentMs: number;
  /** Position anchor: at clock time `anchorAt` the consumer was at `anchorPos`; it advances in real time. */
  anchorPos: number;
  anchorAt: number;
  started: boolean;
  reported: boolean;
  /** Final position once the consumer ended, stopped, stalled or left. */
  donePos: number | null;
  endSent: boolean;
  /** Furthest position the consumer reported (`playing`), for the stall watch. */
  progressPos: number;
  /** How far it is behind real time: time it held unplayed audio minus what it played, as of `behindAt`. */
  behindMs: number;
  behindAt: number;
  /** A call to its sink threw in this turn (logged once). */
  sinkFailed: boolean;
}

interface TurnPlayout {
  id: string;
  /** Every chunk of the turn; those before `released` have had their PCM released. */
  chunks: Chunk[];
  released: number;
  /** PCM bytes of the chunks not yet released. */
  heldBytes: number;
  /** The buffer is at the synthesis bound (`onFull` was called, `onRoom` not yet). */
  full: boolean;
  totalMs: number;
  /** Audio synthesised before the turn's first outlet: nobody listened to audio then, so it counts as heard (text only). */
  textOnlyMs: number;
  synthesisEnded: boolean;
  outlets: Map<string, Outlet>;
  /** The pending wake-up of #pump, if any. */
  timer: unknown;
}

const DEFAULT_LEAD_MS = 1000;
/** Default stall bound (ms): a reporting listener this far behind real time, with audio in hand, leaves the turn's playout. */
export const DEFAULT_STALL_MS = 5000;
/** An `ended` report this close to the end of the audio sent (ms) means played to the end (a player's own rounding). */
export const ENDED_SLACK_MS = 250;
/** Default synthesis bound (ms); see the `synthesisAheadMs` setting in server/app/config.ts. */
export const DEFAULT_SYNTHESIS_AHEAD_MS = 30_000;
const NO_PCM = new Uint8Array(0);

/** The playout clock of every turn; see the module comment. */
export class Playout {
  readonly leadMs: number;
  readonly synthesisAheadMs: number;
  readonly #graceMs: number;
  readonly #stallMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onEnded: ((turnId: string, heard: Heard) => void) | undefined;
  readonly #onFull: ((turnId: string, aheadMs: number) => void) | undefined;
  readonly #onRoom: ((turnId: string) => void) | undefined;
  readonly #consumers = new Map<string, Consumer>();
  readonly #turns = new Map<string, TurnPlayout>();

  constructor(options: PlayoutOptions = {}) {
    const lead = options.leadMs ?? DEFAULT_LEAD_MS;
    if (!(Number.isFinite(lead) && lead >= 0)) throw new TypeError("playout leadMs must be a non-negative number");
    const grace = options.reportGraceMs ?? 1000;
    if (!(Number.isFinite(grace) && grace >= 0)) throw new TypeError("playout reportGraceMs must be a non-negative number");
    const ahead = options.synthesisAheadMs ?? DEFAULT_SYNTHESIS_AHEAD_MS;
    if (!(ahead >= 0)) throw new TypeError("playout synthesisAheadMs must be a non-negative number (Infinity for no bound)");
    const stall = options.stallMs ?? DEFAULT_STALL_MS;
    if (!(stall > 0)) throw new TypeError("playout stallMs must be a positive number");
    this.leadMs = lead;
    this.synthesisAheadMs = ahead;
    this.#graceMs = grace;
    this.#stallMs = stall;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#onEnded = options.onEnded;
    this.#onFull = options.onFull;
    this.#onRoom = options.onRoom;
  }

  /** Consumers registered now. */
  get consumers(): number {
    return this.#consumers.size;
  }

  /** Turns whose playout has not ended. */
  playing(turnId?: string): boolean {
    return turnId === undefined ? this.#turns.size > 0 : this.#turns.has(turnId);
  }

  /** PCM bytes held for every turn: synthesised and not yet sent to every consumer playing it. */
  bufferedBytes(): number {
    let bytes = 0;
    for (const turn of this.#turns.values()) bytes += turn.heldBytes;
    return bytes;
  }

  /**
   * Register a consumer. It takes part in turns whose audio starts from now
   * on, and in a turn playing out now from the live position (the first
   * chunk still held, else its next synthesised chunk).
   * @throws TypeError when `id` is already registered.
   */
  addConsumer(id: string, sink: AudioSink, options: { reports?: boolean } = {}): AudioOutput {
    if (this.#consumers.has(id)) throw new TypeError(`audio consumer ${id} is already registered`);
    const consumer: Consumer = { id, sink, reports: options.reports ?? false };
    this.#consumers.set(id, consumer);
    for (const turn of [...this.#turns.values()]) {
      if (turn.released >= turn.chunks.length) continue;
      this.#addOutlet(turn, consumer, turn.released);
      this.#pump(turn);
    }
    return {
      report: (r) => this.#report(consumer, r),
      close: () => this.#removeConsumer(consumer),
    };
  }

  /** A chunk of synthesised speech. Chunks of one turn arrive in order. */
  audio(chunk: PlayoutChunkIn): void {
    let turn = this.#turns.get(chunk.turnId);
    if (!turn) {
      turn = { id: chunk.turnId, chunks: [], released: 0, heldBytes: 0, full: false, totalMs: 0, textOnlyMs: 0, synthesisEnded: false, outlets: new Map(), timer: null };
      this.#turns.set(turn.id, turn);
    }
    if (turn.synthesisEnded) return;
    turn.chunks.push({
      turnId: chunk.turnId,
      chunkIndex: chunk.chunkIndex,
      sentenceIndex: chunk.sentenceIndex,
      text: chunk.text,
      offsetMs: turn.totalMs,
      audioMs: chunk.audioMs,
      pcm: chunk.pcm,
    });
    turn.totalMs += chunk.audioMs;
    turn.heldBytes += chunk.pcm.byteLength;
    for (const consumer of this.#consumers.values()) {
      if (!turn.outlets.has(consumer.id)) this.#addOutlet(turn, consumer, turn.chunks.length - 1);
    }
    this.#pump(turn);
  }

  /** The turn's synthesis ended normally: no more chunks. A turn that produced no audio ends at once. */
  synthesisEnded(turnId: string): void {
    const turn = this.#turns.get(turnId);
    if (!turn) {
      this.#onEnded?.(turnId, { heardMs: 0, text: "", cut: false });
      return;
    }
    turn.synthesisEnded = true;
    this.#pump(turn);
  }

  /** What has been heard of the turn so far (null when it is not playing out). */
  heard(turnId: string): Heard | null {
    const turn = this.#turns.get(turnId);
    return turn ? this.#heard(turn, this.#clock.now()) : null;
  }

  /** Audio synthesised for the turn and not yet sent to every consumer playing it (ms): what the synthesis bound limits. 0 when it is not playing out. */
  aheadMs(turnId: string): number {
    const turn = this.#turns.get(turnId);
    return turn ? this.#aheadMs(turn) : 0;
  }

  /**
   * Stop the turn at once: nothing more of it is sent, every consumer is
   * told to drop what it holds. Returns what was heard (null for a turn that
   * was not playing out).
   */
  cut(turnId: string): Heard | null {
    const turn = this.#turns.get(turnId);
    if (!turn) return null;
    const heard = this.#heard(turn, this.#clock.now());
    this.#forget(turn);
    for (const outlet of turn.outlets.values()) {
      if (outlet.started && outlet.donePos === null) this.#call(turn, outlet, "drop", () => outlet.consumer.sink.drop?.(turn.id));
    }
    return heard;
  }

  /** Cut every turn (server stop). */
  close(): void {
    for (const id of [...this.#turns.keys()]) this.cut(id);
    this.#consumers.clear();
  }

  // --- internals -------------------------------------------------------------

  #addOutlet(turn: TurnPlayout, consumer: Consumer, from: number): void {
    const baseMs = turn.chunks[from]?.offsetMs ?? turn.totalMs;
    if (turn.outlets.size === 0) turn.textOnlyMs = baseMs;
    turn.outlets.set(consumer.id, {
      consumer,
      next: from,
      baseMs,
      sentMs: baseMs,
      anchorPos: baseMs,
      anchorAt: 0,
      started: false,
      reported: consumer.reports,
      donePos: null,
      endSent: false,
      progressPos: baseMs,
      behindMs: 0,
      behindAt: 0,
      sinkFailed: false,
    });
  }

  /** Index of the first chunk some consumer still playing the turn has not been sent (all chunks when nobody plays it). */
  #firstUnsent(turn: TurnPlayout): number {
    let first = turn.chunks.length;
    for (const o of turn.outlets.values()) if (o.donePos === null) first = Math.min(first, o.next);
    return first;
  }

  #aheadMs(turn: TurnPlayout): number {
    const first = turn.chunks[this.#firstUnsent(turn)];
    return first ? turn.totalMs - first.offsetMs : 0;
  }

  /** Release the PCM every consumer has been sent, then tell the turn whether its synthesis may go on. */
  #settle(turn: TurnPlayout): void {
    const first = this.#firstUnsent(turn);
    for (; turn.released < first; turn.released++) {
      const c = turn.chunks[turn.released]!;
      turn.heldBytes -= c.pcm.byteLength;
      // A new object: a sink may still hold the chunk it was sent.
      turn.chunks[turn.released] = { ...c, pcm: NO_PCM };
    }
    const ahead = this.#aheadMs(turn);
    // At the bound (with something held: a bound of 0 waits until everything was sent).
    const over = ahead > 0 && ahead >= this.synthesisAheadMs;
    if (!turn.full && over && !turn.synthesisEnded) {
      turn.full = true;
      this.#onFull?.(turn.id, ahead);
    } else if (turn.full && !over) {
      turn.full = false;
      this.#onRoom?.(turn.id);
    }
  }

  #position(o: Outlet, now: number): number {
    if (o.donePos !== null) return o.donePos;
    if (!o.started) return o.baseMs;
    return Math.min(o.sentMs, o.anchorPos + Math.max(0, now - o.anchorAt));
  }

  /** The stretches of the turn's timeline some listener played, sorted and merged. */
  #heardSpans(turn: TurnPlayout, now: number): [number, number][] {
    // With nobody listening, synthesised is heard.
    if (turn.outlets.size === 0) return turn.totalMs > 0 ? [[0, turn.totalMs]] : [];
    const spans: [number, number][] = turn.textOnlyMs > 0 ? [[0, turn.textOnlyMs]] : [];
    for (const o of turn.outlets.values()) {
      const pos = this.#position(o, now);
      if (pos > o.baseMs) spans.push([o.baseMs, pos]);
    }
    return mergeSpans(spans);
  }

  #heard(turn: TurnPlayout, now: number): Heard {
    const spans = this.#heardSpans(turn, now);
    const heardMs = spans.reduce((ms, [a, b]) => ms + b - a, 0);
    return { heardMs: round3(heardMs), ...heardText(turn.chunks, spans, turn.synthesisEnded) };
  }

  /** Bring the outlet's lag behind real time up to `now`: it grows while the consumer holds audio it has not reported playing. */
  #accrue(o: Outlet, now: number): void {
    if (o.started && o.sentMs > o.progressPos) o.behindMs += now - o.behindAt;
    o.behindAt = now;
  }

  #report(consumer: Consumer, r: PlaybackReport): boolean {
    const turn = this.#turns.get(r.turn_id);
    const o = turn?.outlets.get(consumer.id);
    if (!turn || !o || o.donePos !== null) return false;
    const now = this.#clock.now();
    const pos = Math.min(o.sentMs, o.baseMs + Math.max(0, r.position_ms));
    o.reported = true;
    if (r.state === "playing") {
      o.anchorPos = pos;
      o.anchorAt = now;
      this.#accrue(o, now);
      if (pos > o.progressPos) {
        o.behindMs = Math.max(0, o.behindMs - (pos - o.progressPos));
        o.progressPos = pos;
      }
      if (o.behindMs >= this.#stallMs) {
        // Stalled: it leaves the turn where it last got to, as if it had gone.
        o.donePos = o.progressPos;
        this.#logger.info("audio listener stalled: left out of the rest of the turn", {
          consumer: consumer.id,
          turnId: turn.id,
          positionMs: round3(o.progressPos - o.baseMs),
          behindMs: round3(o.behindMs),
        });
      }
    } else if (r.state === "ended" && o.sentMs - pos <= ENDED_SLACK_MS) {
      // Played to the end (give or take its player's rounding).
      o.donePos = o.sentMs;
    } else {
      // Stopped, or "ended" short of the end: heard up to where it says.
      o.donePos = pos;
    }
    this.#pump(turn);
    return true;
  }

  #removeConsumer(consumer: Consumer): void {
    if (this.#consumers.get(consumer.id) !== consumer) return;
    this.#consumers.delete(consumer.id);
    const now = this.#clock.now();
    for (const turn of [...this.#turns.values()]) {
      const o = turn.outlets.get(consumer.id);
      if (!o || o.donePos !== null) continue;
      o.donePos = this.#position(o, now);
      this.#pump(turn);
    }
  }

  /** Send what pacing allows, end the turn when everyone is done, and set the next wake-up. */
  #pump(turn: TurnPlayout): void {
    if (this.#turns.get(turn.id) !== turn) return;
    const now = this.#clock.now();
    let wake = Infinity;
    let allDone = true;
    for (const o of turn.outlets.values()) {
      if (o.donePos !== null) continue;
      while (o.next < turn.chunks.length) {
        const c = turn.chunks[o.next]!;
        const pos = this.#position(o, now);
        const holding = o.sentMs - pos;
        if (holding > 0 && holding + c.audioMs > this.leadMs) {
          // Wake when the consumer has played enough to take this chunk (real time, for estimates and between reports).
          wake = Math.min(wake, holding + c.audioMs - this.leadMs);
          break;
        }
        if (!o.started || pos >= o.sentMs) {
          // First audio, or the consumer ran dry: playback (re)starts now from where it stopped.
          o.anchorPos = o.started ? o.sentMs : o.baseMs;
          o.anchorAt = now;
          o.started = true;
        }
        this.#accrue(o, now);
        o.sentMs = c.offsetMs + c.audioMs;
        o.next++;
        this.#call(turn, o, "send", () => o.consumer.sink.send(c));
      }
      if (!turn.synthesisEnded || o.next < turn.chunks.length) {
        allDone = false;
        continue;
      }
      if (!o.endSent) {
        o.endSent = true;
        this.#call(turn, o, "end", () => o.consumer.sink.end?.(turn.id));
      }
      // Everything sent: done once it has been played (a reporting consumer gets a grace to say so).
      const left = o.sentMs - this.#position(o, now) + (o.reported ? this.#graceMs : 0);
      if (left <= 0 || !o.started) o.donePos = this.#position(o, now);
      else {
        allDone = false;
        wake = Math.min(wake, left);
      }
    }
    if (turn.synthesisEnded && allDone) {
      this.#forget(turn);
      this.#onEnded?.(turn.id, this.#heard(turn, now));
      return;
    }
    this.#settle(turn);
    if (this.#turns.get(turn.id) !== turn) return;
    if (turn.timer !== null) this.#clock.clearTimeout(turn.timer);
    turn.timer = wake === Infinity ? null : this.#clock.setTimeout(() => this.#pump(turn), Math.max(1, Math.ceil(wake)));
  }

  #forget(turn: TurnPlayout): void {
    if (turn.timer !== null) this.#clock.clearTimeout(turn.timer);
    turn.timer = null;
    this.#turns.delete(turn.id);
  }

  /** A sink that throws must not break pacing for the others; its first failure in a turn is logged. */
  #call(turn: TurnPlayout, o: Outlet, call: "send" | "end" | "drop", fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (o.sinkFailed) return;
      o.sinkFailed = true;
      this.#logger.warn("audio consumer failed to take audio", { consumer: o.consumer.id, turnId: turn.id, call, error: String(err) });
    }
  }
}

/** Sort stretches and merge those that overlap or touch. */
function mergeSpans(spans: [number, number][]): [number, number][] {
  spans.sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of spans) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * The text heard of `chunks` when the stretches `heard` of their timeline
 * were played (a number `ms` means the one stretch from 0 to `ms`): whole
 * sentences heard, and of a sentence heard in part the words whose share
 * of its audio (in proportion to their number) was played; every stretch
 * nobody heard is one "—" (so an answer cut off ends with "—", and one
 * joined late starts with it). `cut` when anything was not heard.
 * While synthesis runs, the last sentence's length is estimated from the
 * pace of the finished ones, so a half-synthesised sentence is never
 * counted as heard whole.
 * @example
 * // chunks: "Hello there." over 0-1000 ms, "How are you today?" 1000-2000, "Fine thanks." 2000-3000
 * heardText(chunks, [[0, 500], [2000, 3000]], true); // { text: "Hello— Fine thanks.", cut: true }
 */
export function heardText(
  chunks: readonly { sentenceIndex: number; text: string; offsetMs: number; audioMs: number }[],
  heard: number | readonly (readonly [number, number])[],
  synthesisEnded: boolean,
): { text: string; cut: boolean } {
  const spans = typeof heard === "number" ? (heard > 0 ? [[0, heard] as const] : []) : heard;
  const sentences: { index: number; text: string; start: number; end: number }[] = [];
  for (const c of chunks) {
    const last = sentences[sentences.length - 1];
    if (last?.index === c.sentenceIndex) last.end = c.offsetMs + c.audioMs;
    else sentences.push({ index: c.sentenceIndex, text: c.text.trim(), start: c.offsetMs, end: c.offsetMs + c.audioMs });
  }
  // The last sentence may still be in synthesis: its full length is estimated from the pace of the finished ones.
  const done = synthesisEnded ? sentences : sentences.slice(0, -1);
  const doneChars = done.reduce((n, x) => n + x.text.length, 0);
  const msPerChar = doneChars > 0 ? done.reduce((n, x) => n + x.end - x.start, 0) / doneChars : 60;
  const last = sentences[sentences.length - 1];
  if (!synthesisEnded && last) last.end = Math.max(last.end, last.start + last.text.length * msPerChar) + 1;
  const EPSILON = 0.5;
  const played = (from: number, to: number) => spans.some(([a, b]) => a <= from + EPSILON && b + EPSILON >= to);
  // Pieces heard, one "—" for each unheard stretch between them; a dash right after a word of a partly heard sentence is glued to it.
  const pieces: string[] = [];
  let gap = false;
  let afterWord = false;
  const closeGap = () => {
    if (!gap) return;
    if (afterWord) pieces[pieces.length - 1] += "—";
    else pieces.push("—");
    gap = false;
    afterWord = false;
  };
  const put = (piece: string, word: boolean) => {
    closeGap();
    pieces.push(piece);
    afterWord = word;
  };
  let cut = false;
  for (const s of sentences) {
    if (played(s.start, s.end)) {
      put(s.text, false);
      continue;
    }
    cut = true;
    const words = s.text.split(/\s+/).filter(Boolean);
    const share = (s.end - s.start) / Math.max(1, words.length);
    words.forEach((word, i) => {
      if (played(s.start + i * share, s.start + (i + 1) * share)) put(word, true);
      else gap = true;
    });
    if (words.length === 0) gap = true;
    // A dash glues only to a word of the same sentence.
    if (!gap) afterWord = false;
  }
  closeGap();
  return { text: pieces.join(" "), cut };
}
