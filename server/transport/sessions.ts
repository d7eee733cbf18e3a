/**
 * The session registry: the one place that decides which sessions exist,
 * where each one's machine runs and where its events come from. A session
 * (session.ts) is made on its first join, within `maxSessions` (a join that
 * would make one more is refused with 503), with a pipeline of its own from
 * `pipelineFor` and a channel of its own; one with no clients and its
 * machine at rest is closed after `sessionIdleMs` and everything it held
 * let go, so a later join makes it anew. `default`, the seed's one
 * conversation (the one `broadcast()` writes to), exists from the start and
 * is never closed as idle. `list()` is what `GET /sessions` shows.
 *
 * Several nodes (issue 23) plug in here: `#create` is where a session's
 * channel and pipeline are chosen, so a node can give a session a channel
 * fed by the session's Redis stream and forward its commands to the node
 * that runs its machine, without the transport knowing.
 */
import type { Logger } from "../app/logger.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { Clock } from "../pipeline/playout.js";
import { DEFAULT_SESSION_ID, type LoggedEvent } from "../protocol/index.js";
import type { ChannelOptions } from "./channel.js";
import type { Refusal } from "./handshake.js";
import { Session, type SessionRow } from "./session.js";

export interface SessionRegistryOptions {
  /** What each session's channel keeps (replay sizes, presence window). */
  channel: Omit<ChannelOptions, "logger">;
  /** Sessions open at once, `default` included. */
  maxSessions: number;
  /** How long a session with no clients and its machine at rest is kept. */
  sessionIdleMs: number;
  /** The pipeline of a new session (its own; the registry stops it when the session closes), or null for none. */
  pipelineFor(id: string): Pipeline | null;
  /** Timers of the idle expiry (a test's clock moves them by hand). */
  clock: Clock;
  /** Wall-clock time of `created` and `last_active`. */
  now?: () => Date;
  logger: Logger;
  /** Each event of a session's pipeline, after its clients were sent it (metrics). */
  onPipelineEvent?(event: LoggedEvent, session: Session): void;
}

/** A session a join gets, and whether the join made it. */
export interface JoinedSession {
  session: Session;
  created: boolean;
}

export class SessionRegistry {
  readonly #options: SessionRegistryOptions;
  readonly #now: () => Date;
  /** Open sessions, oldest first. */
  readonly #sessions = new Map<string, Session>();
  readonly #idleTimers = new Map<Session, unknown>();
  /** Sessions being closed (their pipelines stopping). */
  readonly #closing = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: SessionRegistryOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#create(DEFAULT_SESSION_ID);
  }

  /** Open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** The seed's one conversation, always open. */
  get default(): Session {
    return this.#sessions.get(DEFAULT_SESSION_ID)!;
  }

  /** The open session `id`, if any. */
  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  /** Whether a join of `id` may go ahead: null, or 503 when it would open one session more than maxSessions. */
  checkJoin(id: string): Refusal | null {
    if (this.#stopped) return { status: 503, reason: "Server is not running" };
    if (this.#sessions.has(id) || this.#sessions.size < this.#options.maxSessions) return null;
    return { status: 503, reason: `Too many sessions (limit ${this.#options.maxSessions}); join an open one or try again later` };
  }

  /**
   * The session `id`, made now if it is not open (within maxSessions). A
   * join stops its idle expiry.
   */
  open(id: string): JoinedSession | Refusal {
    const open = this.#sessions.get(id);
    if (open) {
      this.#cancelIdle(open);
      return { session: open, created: false };
    }
    const refused = this.checkJoin(id);
    if (refused) return refused;
    try {
      return { session: this.#create(id), created: true };
    } catch (err) {
      this.#options.logger.error("session could not be started", { session: id, error: String((err as Error)?.stack ?? err) });
      return { status: 503, reason: "The session could not be started; see the server log" };
    }
  }

  /** Every open session, oldest first, as `GET /sessions` lists them. */
  list(): SessionRow[] {
    return [...this.#sessions.values()].map((s) => s.row());
  }

  /** Open sessions, oldest first. */
  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /**
   * Close every session (their pipelines stop; what the shutdown emits still
   * enters their logs) and wait for those closing as idle.
   */
  async closeAll(): Promise<void> {
    this.#stopped = true;
    for (const handle of this.#idleTimers.values()) this.#options.clock.clearTimeout(handle);
    this.#idleTimers.clear();
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all([...all.map((s) => s.close()), ...this.#closing]);
  }

  /** Make a session: its channel, its pipeline, its place in the list. */
  #create(id: string): Session {
    const pipeline = this.#options.pipelineFor(id);
    const session = new Session({
      id,
      channel: this.#options.channel,
      pipeline,
      logger: this.#options.logger,
      now: this.#now,
      onPipelineEvent: (event, s) => this.#options.onPipelineEvent?.(event, s),
      onMaybeIdle: (s) => this.#sessionOnMaybeIdle(s),
    });
    this.#sessions.set(id, session);
    return session;
  }

  /** A session may be idle (made without a join, e.g. by a broadcast): its expiry starts if it is. */
  noteMaybeIdle(session: Session): void {
    this.#sessionOnMaybeIdle(session);
  }

  /** No clients left, or its machine came to rest: start the idle expiry if both hold (never for `default`). */
  #sessionOnMaybeIdle(session: Session): void {
    if (this.#stopped || session.id === DEFAULT_SESSION_ID || this.#idleTimers.has(session) || !session.idle) return;
    if (this.#sessions.get(session.id) !== session) return;
    const handle = this.#options.clock.setTimeout(() => this.#idleOnTimeout(session), this.#options.sessionIdleMs);
    (handle as { unref?: () => void } | null)?.unref?.();
    this.#idleTimers.set(session, handle);
  }

  #cancelIdle(session: Session): void {
    const handle = this.#idleTimers.get(session);
    if (handle === undefined) return;
    this.#options.clock.clearTimeout(handle);
    this.#idleTimers.delete(session);
  }

  #idleOnTimeout(session: Session): void {
    this.#idleTimers.delete(session);
    // Something may have woken it meanwhile (a turn started by server code): it is looked at again when it rests.
    if (!session.idle || this.#sessions.get(session.id) !== session) return;
    this.#sessions.delete(session.id);
    this.#options.logger.info("closed idle session", { session: session.id, idleMs: this.#options.sessionIdleMs });
    const closing = session.close().catch((err: unknown) => this.#options.logger.error("idle session failed to close", { session: session.id, error: String(err) }));
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }
}
