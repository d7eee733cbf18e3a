/**
 * What a client is replayed, and its `replay` frame. A new client (no
 * `since`, or a `since` from another server run) gets the conversation:
 * the last N turns whole (server/transport/conversation.ts). A returning client
 * (`since`) gets every logged event after it from the event log; events the
 * log no longer holds are filled from the conversation where it has them,
 * and the rest are counted as missed.
 *
 * The frame is built from the events' own frames (each event is encoded
 * once, when it is logged), and the conversation's frame is reused until
 * the next event is logged, so a thousand clients joining at once cost one
 * encoding.
 */
import type { ConversationHistory } from "./conversation.js";
import type { EventLog } from "./event-log.js";
import type { EventData, LoggedEvent } from "../protocol/index.js";

/** The replay's data apart from its events (this server always fills in kind and turns). */
export type ReplayHead = Omit<EventData<"replay">, "events" | "kind" | "turns"> & Required<Pick<EventData<"replay">, "kind" | "turns">>;

/** A replay ready to send, and what it holds (the welcome's `replay` summary). */
export interface BuiltReplay {
  head: ReplayHead;
  frame: Buffer;
  events: number;
  /** The events it holds, in seq order, for another encoding of the replay (a client profile's). */
  logged(): LoggedEvent[];
}

/** Summary of a replay for connection_status. */
export function replaySummary(r: BuiltReplay): NonNullable<EventData<"connection_status">["replay"]> {
  return { kind: r.head.kind, events: r.events, turns: r.head.turns.length, missed: r.head.missed, bytes: r.frame.length };
}

interface Picked {
  seq: number;
  frame: Buffer;
  /** Known when it came from the conversation; the log keeps only frames. */
  event?: LoggedEvent;
}

/** The events of picked frames; those from the log are decoded (only a client profile asks, for a resume). */
const loggedOf = (picked: readonly Picked[]) => () => picked.map((p) => p.event ?? (JSON.parse(p.frame.toString()) as LoggedEvent));

/**
 * Encode a replay event around already-encoded event frames, byte for byte
 * what JSON.stringify of the whole event would give.
 */
export function encodeReplay(head: ReplayHead, frames: Buffer[], timestamp = new Date().toISOString()): Buffer {
  const { since, ...rest } = head;
  const open = Buffer.from(`{"type":"replay","data":{"since":${JSON.stringify(since)},"events":[`);
  const close = Buffer.from(`],${JSON.stringify(rest).slice(1)},"timestamp":${JSON.stringify(timestamp)}}`);
  const parts: Buffer[] = [open];
  frames.forEach((f, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(f);
  });
  parts.push(close);
  return Buffer.concat(parts);
}
const COMMA = Buffer.from(",");

export class Replayer {
  readonly #log: EventLog;
  readonly #history: ConversationHistory;
  #cached: { lastSeq: number; replay: BuiltReplay } | null = null;

  constructor(log: EventLog, history: ConversationHistory) {
    this.#log = log;
    this.#history = history;
  }

  /** The replay for a client that last saw `since` (null: a new client). */
  build(since: number | null): BuiltReplay {
    const last = this.#log.lastSeq;
    if (since === null || since > last) return this.#conversation(since);
    const slice = this.#log.since(since);
    let picked: Picked[] = slice.frames.map((frame, i) => ({ seq: slice.first_seq! + i, frame }));
    let missed = slice.missed;
    if (missed > 0) {
      // The log lost events after `since`: give back what the conversation still has of them.
      const firstHeld = slice.first_seq ?? last + 1;
      const filled = this.#history.entries().filter((e) => e.event.seq > since && e.event.seq < firstHeld);
      picked = [...filled.map((e) => ({ seq: e.event.seq, frame: e.frame, event: e.event })), ...picked];
      missed -= filled.length;
    }
    const head: ReplayHead = { since, first_seq: picked[0]?.seq ?? null, last_seq: last, missed, reset: false, kind: "resume", turns: [] };
    return { head, frame: encodeReplay(head, picked.map((p) => p.frame)), events: picked.length, logged: loggedOf(picked) };
  }

  #conversation(since: number | null): BuiltReplay {
    const last = this.#log.lastSeq;
    const reset = since !== null;
    if (!reset && this.#cached?.lastSeq === last) return this.#cached.replay;
    const entries = this.#history.entries();
    const head: ReplayHead = { since, first_seq: entries[0]?.event.seq ?? null, last_seq: last, missed: 0, reset, kind: "conversation", turns: this.#history.turnIds() };
    const replay = { head, frame: encodeReplay(head, entries.map((e) => e.frame)), events: entries.length, logged: () => entries.map((e) => e.event) };
    if (!reset) this.#cached = { lastSeq: last, replay };
    return replay;
  }
}
