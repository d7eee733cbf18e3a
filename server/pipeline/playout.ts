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
 * A turn's playout ends when its synthesis has ended and every outlet has
 * played everything (or reported `ended`/`stopped`, or gone away); `onEnded`
 * is then told what was heard: the whole answer when any consumer played it
 * to the end (or nobody listened), else, when every consumer left or stopped
 * early, what was played up to then, marked cut (`heard.cut`; the turn
 * remembers only that). `cut(turnId)` stops a turn at once (nothing
 * more is sent) and returns what was heard up to that instant.
 *
 * Time comes from an injectable Clock, so tests run it by hand.
 */
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
  heardMs: number;
  /** Whole sentences heard, then the words of the cut sentence heard so far followed by "—" (none when nothing was cut). */
  text: string;
  /** True when playout stopped inside a sentence or before the end of the synthesised audio. */
  cut: boolean;
}

export interface PlayoutOptions {
  /** Most unplayed audio a consumer is sent ahead of its position (ms). Default 1000. */
  leadMs?: number;
  /** Audio synthesised but not yet sent to every consumer at which synthesis is told to wait (ms). Default 30000. */
  synthesisAheadMs?: number;
  /** How long past the end a reporting consumer may stay silent before it counts as ended (ms). Default 1000. */
  reportGraceMs?: number;
  clock?: Clock;
  /** A turn's playout ended (not called for a turn that was `cut`); `heard.cut` when every consumer left or stopped early. */
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
  /** Final position once the consumer ended, stopped or left. */
  donePos: number | null;
  endSent: boolean;
  /** It left, or reported `stopped`, rather than playing its audio to the end. */
  early: boolean;
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
  synthesisEnded: boolean;
  outlets: Map<string, Outlet>;
  /** The pending wake-up of #pump, if any. */
  timer: unknown;
}

const DEFAULT_LEAD_MS = 1000;
/** Default synthesis bound (ms); see the `synthesisAheadMs` setting in server/app/config.ts. */
export const DEFAULT_SYNTHESIS_AHEAD_MS = 30_000;
const NO_PCM = new Uint8Array(0);

/** The playout clock of every turn; see the module comment. */
export class Playout {
  readonly leadMs: number;
  readonly synthesisAheadMs: number;
  readonly #graceMs: number;
  readonly #clock: Clock;
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
    this.leadMs = lead;
    this.synthesisAheadMs = ahead;
    this.#graceMs = grace;
    this.#clock = options.clock ?? systemClock;
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
      turn.outlets.set(id, this.#newOutlet(consumer, turn, turn.released));
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
      turn = { id: chunk.turnId, chunks: [], released: 0, heldBytes: 0, full: false, totalMs: 0, synthesisEnded: false, outlets: new Map(), timer: null };
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
      if (!turn.outlets.has(consumer.id)) turn.outlets.set(consumer.id, this.#newOutlet(consumer, turn, turn.chunks.length - 1));
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
      if (outlet.started && outlet.donePos === null) this.#call(() => outlet.consumer.sink.drop?.(turn.id));
    }
    return heard;
  }

  /** Cut every turn (server stop). */
  close(): void {
    for (const id of [...this.#turns.keys()]) this.cut(id);
    this.#consumers.clear();
  }

  // --- internals -------------------------------------------------------------

  #newOutlet(consumer: Consumer, turn: TurnPlayout, from: number): Outlet {
    const baseMs = turn.chunks[from]?.offsetMs ?? turn.totalMs;
    return { consumer, next: from, baseMs, sentMs: baseMs, anchorPos: baseMs, anchorAt: 0, started: false, reported: consumer.reports, donePos: null, endSent: false, early: false };
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

  #heardMs(turn: TurnPlayout, now: number): number {
    // With nobody listening, synthesised is heard.
    if (turn.outlets.size === 0) return turn.totalMs;
    let ms = 0;
    for (const o of turn.outlets.values()) ms = Math.max(ms, this.#position(o, now));
    return ms;
  }

  #heard(turn: TurnPlayout, now: number): Heard {
    const heardMs = this.#heardMs(turn, now);
    return { heardMs: round3(heardMs), ...heardText(turn.chunks, heardMs, turn.synthesisEnded) };
  }

  /**
   * What was heard of a turn whose playout is over: all of it when any
   * consumer played its audio to the end (or there was none), else (every
   * consumer left or stopped early) only what was played, marked cut.
   */
  #heardAtEnd(turn: TurnPlayout, now: number): Heard {
    const heard = this.#heard(turn, now);
    const outlets = [...turn.outlets.values()];
    if (outlets.length > 0 && outlets.every((o) => o.early)) return heard;
    return { heardMs: heard.heardMs, ...heardText(turn.chunks, turn.totalMs, true) };
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
    } else {
      o.donePos = pos;
      o.early = r.state === "stopped";
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
      o.early = true;
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
        o.sentMs = c.offsetMs + c.audioMs;
        o.next++;
        this.#call(() => o.consumer.sink.send(c));
      }
      if (!turn.synthesisEnded || o.next < turn.chunks.length) {
        allDone = false;
        continue;
      }
      if (!o.endSent) {
        o.endSent = true;
        this.#call(() => o.consumer.sink.end?.(turn.id));
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
      this.#onEnded?.(turn.id, this.#heardAtEnd(turn, now));
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

  /** A sink that throws must not break pacing for the others. */
  #call(fn: () => void): void {
    try {
      fn();
    } catch {
      // The sink's owner reports its own failures (a closed socket drops frames silently).
    }
  }
}


/**
 * The text heard up to `heardMs` on the timeline of `chunks`: whole
 * sentences whose audio was played to the end, then the first words of the
 * sentence being played, in proportion to its audio, marked with "—".
 * While synthesis runs, the last sentence's length is estimated from the
 * pace of the finished ones, so a half-synthesised sentence is never
 * counted as heard whole.
 */
export function heardText(chunks: readonly { sentenceIndex: number; text: string; offsetMs: number; audioMs: number }[], heardMs: number, synthesisEnded: boolean): { text: string; cut: boolean } {
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
  const parts: string[] = [];
  const EPSILON = 0.5;
  let cut = false;
  for (const s of sentences) {
    if (heardMs + EPSILON >= s.end) {
      parts.push(s.text);
      continue;
    }
    if (heardMs > s.start) {
      const words = s.text.split(/\s+/).filter(Boolean);
      const n = Math.floor(((heardMs - s.start) / (s.end - s.start)) * words.length);
      parts.push(`${words.slice(0, n).join(" ")}—`);
    } else parts.push("—");
    cut = true;
    break;
  }
  return { text: parts.join(" "), cut };
}
