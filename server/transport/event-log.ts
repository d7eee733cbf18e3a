/**
 * The event log: stamps each broadcast event with the next `seq`, encodes it
 * once, and keeps the most recent frames for resume (`?since=N`), bounded
 * both in events and in bytes (the JSON text of the events, as sent).
 */
import { encodeEvent, type LoggedEvent, type ServerEvent } from "../protocol/index.js";

/** One logged event and its wire frame (the same bytes every client was sent). */
export interface LogEntry {
  event: LoggedEvent;
  frame: Buffer;
}

/** What the log holds after a seq: contiguous frames from `first_seq`, and what it lost. */
export interface LogSlice {
  since: number | null;
  /** Frames of seq `first_seq`, `first_seq + 1`, ... in order. */
  frames: Buffer[];
  first_seq: number | null;
  last_seq: number;
  /** Events after `since` that are no longer held. */
  missed: number;
  /** `since` is ahead of this log (another server run's seq). */
  reset: boolean;
}

export interface EventLogOptions {
  /** Most events kept (0 keeps none; seq still counts). */
  maxEvents: number;
  /** Most bytes of event JSON kept; the newest event is kept even when it alone is larger. */
  maxBytes: number;
}

export class EventLog {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly #ring: (Buffer | undefined)[];
  #lastSeq = 0;
  /** Oldest seq held; lastSeq + 1 when empty. */
  #firstSeq = 1;
  #bytes = 0;

  constructor(options: EventLogOptions) {
    const { maxEvents, maxBytes } = options;
    if (!Number.isInteger(maxEvents) || maxEvents < 0) throw new TypeError(`replay size must be a non-negative integer, got ${maxEvents}`);
    if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new TypeError(`replay byte limit must be a non-negative integer, got ${maxBytes}`);
    this.maxEvents = maxEvents;
    this.maxBytes = maxBytes;
    // Grown as events arrive (slots fill in seq order), so an idle session's log costs nothing up front.
    this.#ring = [];
  }

  /** Newest seq handed out, 0 before the first event. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Oldest seq still held, or null when the log is empty. */
  get firstSeq(): number | null {
    return this.#firstSeq > this.#lastSeq ? null : this.#firstSeq;
  }

  /** Events held now. */
  get size(): number {
    return this.#lastSeq - this.#firstSeq + 1;
  }

  /** Bytes of event JSON held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Stamp `event` with the next seq, encode it and keep the frame. */
  append(event: ServerEvent): LogEntry {
    const logged = { ...event, seq: ++this.#lastSeq } as LoggedEvent;
    const frame = encodeEvent(logged);
    if (this.maxEvents === 0) {
      this.#firstSeq = this.#lastSeq + 1;
      return { event: logged, frame };
    }
    if (this.size > this.maxEvents) this.#dropOldest(); // the slot we are about to take
    this.#ring[(logged.seq - 1) % this.maxEvents] = frame;
    this.#bytes += frame.length;
    while (this.#bytes > this.maxBytes && this.size > 1) this.#dropOldest();
    return { event: logged, frame };
  }

  #dropOldest(): void {
    const slot = (this.#firstSeq - 1) % this.maxEvents;
    this.#bytes -= this.#ring[slot]!.length;
    this.#ring[slot] = undefined;
    this.#firstSeq++;
  }

  /**
   * Frames after `since` in seq order (everything held when `since` is null).
   * `missed` counts events after `since` that are no longer held; `reset`
   * says `since` is ahead of this log (another server run's seq), in which
   * case everything held is returned.
   */
  since(since: number | null): LogSlice {
    const last = this.#lastSeq;
    let from = this.#firstSeq;
    let missed = 0;
    let reset = false;
    if (since !== null) {
      if (since > last) reset = true;
      else if (since + 1 >= from) from = since + 1;
      else missed = from - since - 1;
    }
    const frames: Buffer[] = [];
    for (let seq = from; seq <= last; seq++) frames.push(this.#ring[(seq - 1) % this.maxEvents]!);
    return { since, frames, first_seq: frames.length ? from : null, last_seq: last, missed, reset };
  }
}
