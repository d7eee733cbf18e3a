/**
 * A node's follower of session event streams: for each session with
 * clients here, the events the owner appended after a given seq, handed
 * over in seq order as `{seq, frame}` (the exact bytes), through the node's
 * one blocking reader (stream-mux.ts). `missed` says how many seqs were
 * skipped before a batch (the stream trimmed them before this node read
 * them, or an outage backlog overflowed on the owner), so the caller can
 * tell its clients exactly what they did not get.
 */
import { entryIdOf, seqOfEntryId, sessionKeys } from "./keys.js";
import type { StreamEvent } from "./event-stream.js";
import { entryId } from "./stream-entries.js";
import type { Following, StreamMux } from "./stream-mux.js";

/** Events of one session, as read. */
export interface SessionEvents {
  session: string;
  /** In seq order, without gaps between them unless `missed` says so before the first. */
  events: StreamEvent[];
  /** Seqs skipped between the last event handed over and the first of these. */
  missed: number;
}

/** A session followed; stop with `unfollow()`. */
export interface FollowedSession {
  readonly session: string;
  /** Newest seq handed over (or the starting `since`). */
  readonly lastSeq: number;
  unfollow(): void;
}

export class SessionFollower {
  readonly #mux: StreamMux;

  constructor(mux: StreamMux) {
    this.#mux = mux;
  }

  /**
   * Hand `listener` every event of `session` after seq `since` (0: from the
   * first), as the stream receives them. Following a session again replaces
   * the earlier listener.
   */
  follow(session: string, since: number, listener: (batch: SessionEvents) => void): FollowedSession {
    if (!Number.isSafeInteger(since) || since < 0) throw new TypeError(`since must be a non-negative integer, got ${since}`);
    let lastSeq = since;
    const following: Following = this.#mux.follow(sessionKeys(session).events, since === 0 ? "0-0" : entryIdOf(since), (entries) => {
      // One batch per contiguous run, so a hole is always reported as the `missed` before a batch.
      let run: StreamEvent[] = [];
      let missed = 0;
      for (const entry of entries) {
        const seq = seqOfEntryId(entryId(entry));
        if (seq !== lastSeq + 1 && run.length > 0) {
          listener({ session, events: run, missed });
          run = [];
        }
        if (run.length === 0) missed = Math.max(0, seq - lastSeq - 1);
        run.push({ seq, frame: entry.message.f! });
        lastSeq = seq;
      }
      if (run.length > 0) listener({ session, events: run, missed });
    });
    return {
      session,
      get lastSeq() {
        return lastSeq;
      },
      unfollow: () => following.unfollow(),
    };
  }
}
