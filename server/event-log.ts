/**
 * The event log: stamps each broadcast event with the next `seq` and keeps
 * the most recent ones in a fixed-size ring for replay and resume.
 */
import type { LoggedEvent, ServerEvent } from "./protocol/index.js";

/** What a replay request resolves to; mirrors the `replay` event's data. */
export interface ReplaySlice {
  since: number | null;
  events: LoggedEvent[];
  first_seq: number | null;
  last_seq: number;
  missed: number;
  reset: boolean;
}

export class EventLog {
  readonly capacity: number;
  #ring: (LoggedEvent | undefined)[];
  #lastSeq = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new TypeError(`replay size must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
    this.#ring = new Array(capacity);
  }

  /** Newest seq handed out, 0 before the first event. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Oldest seq still buffered, or null when the buffer is empty. */
  get firstSeq(): number | null {
    const size = Math.min(this.#lastSeq, this.capacity);
    return size === 0 ? null : this.#lastSeq - size + 1;
  }

  /** Stamp `event` with the next seq and keep it. */
  append(event: ServerEvent): LoggedEvent {
    const logged = { ...event, seq: ++this.#lastSeq } as LoggedEvent;
    if (this.capacity > 0) this.#ring[(logged.seq - 1) % this.capacity] = logged;
    return logged;
  }

  /**
   * Events after `since` in seq order (the whole buffer when `since` is null).
   * `missed` counts events after `since` that fell out of the buffer; `reset`
   * says `since` is ahead of this log (another server run's seq), in which
   * case the whole buffer is returned.
   */
  since(since: number | null): ReplaySlice {
    const last = this.#lastSeq;
    const first = this.firstSeq;
    let from = first ?? last + 1;
    let missed = 0;
    let reset = false;
    if (since !== null) {
      if (since > last) reset = true;
      else if (since + 1 >= from) from = since + 1;
      else missed = from - since - 1;
    }
    const events: LoggedEvent[] = [];
    for (let seq = from; seq <= last; seq++) events.push(this.#ring[(seq - 1) % this.capacity]!);
    return { since, events, first_seq: events[0]?.seq ?? null, last_seq: last, missed, reset };
  }
}
