/**
 * The conversation history: the logged events of the last N turns, whole,
 * for clients that join or reload. It is what a new client's `replay`
 * holds (server/transport/replay.ts), and what another encoding of the replay (a
 * compatibility profile) can read with `entries()`.
 *
 * Rules (docs/protocol.md, "On connect: welcome, replay, resume"):
 * - An event belongs to a turn when its data has a non-null `turn_id`.
 *   The last `turns` turns are kept, the one running included; an older
 *   turn goes as a whole.
 * - A finished turn keeps its results and drops its progress: stt_progress,
 *   llm_progress and tts_progress (stt_result, llm_result and tts_result
 *   carry the whole) and its state_change events. A turn is finished once
 *   its latency_trace or turn_interrupted has been logged, or a newer turn
 *   has started. The running turn keeps everything, so a client joining
 *   mid-answer sees the answer so far.
 * - Events of no turn are kept when newer than the first event of the
 *   oldest kept turn, at most `looseEvents` of them (default 100, the seed's
 *   `buffer_size`: a seed-style server broadcasting only its own events
 *   replays its last 100 to a new client, as the seed did).
 * - The newest state_change is always kept, whatever its turn, so the last
 *   state_change replayed is the machine's state now.
 */
import type { EventType, LoggedEvent } from "../protocol/index.js";
import type { LogEntry } from "./event-log.js";

/** Event types that a finished turn drops: their content is in the turn's results. */
export const PROGRESS_EVENT_TYPES = ["stt_progress", "llm_progress", "tts_progress", "state_change"] as const satisfies readonly EventType[];
const PROGRESS = new Set<string>(PROGRESS_EVENT_TYPES);
/** Event types that end a turn. */
const TURN_END = new Set<string>(["latency_trace", "turn_interrupted"] satisfies EventType[]);
/** Most events of no turn kept by default: the seed's `buffer_size`, what its new clients were replayed. */
export const NEW_CLIENT_LOOSE_EVENTS = 100;

interface Turn {
  id: string;
  entries: LogEntry[];
  finished: boolean;
  /** Bytes of the running turn's progress events (bounded by maxProgressBytes). */
  progressBytes: number;
}

export interface ConversationHistoryOptions {
  /** Turns kept, the running one included. 0 keeps none. */
  turns: number;
  /** Most bytes of progress events the running turn keeps (oldest dropped first). Default: unbounded. */
  maxProgressBytes?: number;
  /** Most events of no turn kept (the newest). Default NEW_CLIENT_LOOSE_EVENTS (100). */
  looseEvents?: number;
}

/** The turn id of a logged event, or null for events of no turn. */
export function turnIdOf(event: LoggedEvent): string | null {
  const id = (event.data as { turn_id?: unknown }).turn_id;
  return typeof id === "string" ? id : null;
}

export class ConversationHistory {
  readonly maxTurns: number;
  readonly #maxProgressBytes: number;
  readonly #maxLoose: number;
  /** In order of first appearance (oldest first). */
  readonly #turns = new Map<string, Turn>();
  /** Turns that were dropped, so their late events do not start a fragment (bounded). */
  readonly #dropped = new Set<string>();
  #loose: LogEntry[] = [];
  #latest: Turn | null = null;
  /** Turns seen so far (held or not), and the id of the newest. */
  #started = 0;
  #newest: string | null = null;
  #state: LogEntry | null = null;

  constructor(options: ConversationHistoryOptions) {
    if (!Number.isInteger(options.turns) || options.turns < 0) throw new TypeError(`replay turns must be a non-negative integer, got ${options.turns}`);
    this.maxTurns = options.turns;
    this.#maxProgressBytes = options.maxProgressBytes ?? Number.POSITIVE_INFINITY;
    const loose = options.looseEvents ?? NEW_CLIENT_LOOSE_EVENTS;
    if (!Number.isInteger(loose) || loose < 0) throw new TypeError(`replay events of no turn must be a non-negative integer, got ${loose}`);
    this.#maxLoose = loose;
  }

  /** Turns held now, the running one included. */
  get turnCount(): number {
    return this.#turns.size;
  }

  /** Turns seen since the history began (a turn's late events, after a newer one began, do not count it again). */
  get turnsStarted(): number {
    return this.#started;
  }

  /** Take one logged event (every event, in seq order). */
  add(entry: LogEntry): void {
    if (entry.event.type === "state_change") this.#state = entry;
    const id = turnIdOf(entry.event);
    if (id === null) return this.#addLoose(entry);
    if (id !== this.#newest && !this.#turns.has(id) && !this.#dropped.has(id)) {
      this.#started++;
      this.#newest = id;
    }
    if (this.#dropped.has(id) || this.maxTurns === 0) return;
    let turn = this.#turns.get(id);
    if (!turn) {
      turn = { id, entries: [], finished: false, progressBytes: 0 };
      if (this.#latest && !this.#latest.finished) this.#finish(this.#latest);
      this.#turns.set(id, turn);
      this.#latest = turn;
      this.#trimTurns();
    }
    const progress = PROGRESS.has(entry.event.type);
    if (progress && turn.finished) return;
    turn.entries.push(entry);
    if (progress) {
      turn.progressBytes += entry.frame.length;
      this.#trimProgress(turn);
    }
    if (TURN_END.has(entry.event.type)) this.#finish(turn);
  }

  /** The turn ids held, oldest first. */
  turnIds(): string[] {
    return [...this.#turns.keys()];
  }

  /** Every event held, with its frame, in seq order. */
  entries(): LogEntry[] {
    const all = [...this.#loose];
    for (const t of this.#turns.values()) all.push(...t.entries);
    if (this.#state && !all.includes(this.#state)) all.push(this.#state);
    return all.sort((a, b) => a.event.seq - b.event.seq);
  }

  /** Every event held, in seq order. */
  events(): LoggedEvent[] {
    return this.entries().map((e) => e.event);
  }

  #finish(turn: Turn): void {
    turn.finished = true;
    if (turn.progressBytes === 0) return;
    turn.entries = turn.entries.filter((e) => !PROGRESS.has(e.event.type));
    turn.progressBytes = 0;
  }

  #trimProgress(turn: Turn): void {
    while (turn.progressBytes > this.#maxProgressBytes) {
      const i = turn.entries.findIndex((e) => PROGRESS.has(e.event.type));
      if (i < 0) break;
      turn.progressBytes -= turn.entries[i]!.frame.length;
      turn.entries.splice(i, 1);
    }
  }

  #trimTurns(): void {
    while (this.#turns.size > this.maxTurns) {
      const [oldId] = this.#turns.keys();
      this.#turns.delete(oldId!);
      this.#dropped.add(oldId!);
      if (this.#dropped.size > Math.max(16, this.maxTurns)) this.#dropped.delete(this.#dropped.values().next().value!);
    }
    this.#trimLoose();
  }

  #addLoose(entry: LogEntry): void {
    if (entry.event.type === "state_change") return; // kept as #state while it is the newest
    if (this.#maxLoose === 0) return;
    this.#loose.push(entry);
    if (this.#loose.length > this.#maxLoose) this.#loose.shift();
    this.#trimLoose();
  }

  /** Loose events older than the oldest kept turn go. */
  #trimLoose(): void {
    const oldest = this.#turns.values().next().value;
    if (!oldest) return;
    const from = oldest.entries[0]?.event.seq ?? Number.POSITIVE_INFINITY;
    if (this.#loose.length && this.#loose[0]!.event.seq < from) this.#loose = this.#loose.filter((e) => e.event.seq >= from);
  }
}
