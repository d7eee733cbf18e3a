/**
 * One session: one conversation and everything that is its own. Its
 * Channel (channel.ts: event log with its own `seq` and `epoch`, the
 * history and replay, its connections and their presence) and its
 * pipeline (server/pipeline/: the voice machine, audio owner, playout and
 * latency window; null for a session of the seed API without one), whose
 * events it validates and publishes to its channel only. It keeps what
 * `GET /sessions` lists (created, last active) and tells its registry
 * when it may have become idle. The registry (sessions.ts) makes and
 * closes sessions; closing one stops its pipeline and lets go of all of it.
 */
import type { Logger } from "../app/logger.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import { validateEvent, type EventInput, type LoggedEvent, type MachineState, type ServerEvent } from "../protocol/index.js";
import { Channel, type ChannelOptions } from "./channel.js";
import type { Connection } from "./connection.js";

/** One row of `GET /sessions` (and `server.sessions()`). */
export interface SessionRow {
  id: string;
  /** Clients following it now. */
  clients: number;
  /** Its machine's coarse state; null for a session without a pipeline. */
  state: MachineState | null;
  /** Newest seq of its event log. */
  last_seq: number;
  /** Turns it has seen. */
  turns: number;
  /** ISO times: when it was made, and its last event, join or leave. */
  created: string;
  last_active: string;
}

export interface SessionOptions {
  id: string;
  channel: Omit<ChannelOptions, "logger">;
  /** Its pipeline (its own, stopped when it closes), or null. */
  pipeline: Pipeline | null;
  logger: Logger;
  /** Wall-clock time for `created` and `last_active`. */
  now: () => Date;
  /** Each event of its pipeline, after its clients were sent it (metrics). */
  onPipelineEvent(event: LoggedEvent, session: Session): void;
  /** It may have become idle (no clients and its machine at rest): its registry decides. */
  onMaybeIdle(session: Session): void;
}

export class Session {
  readonly id: string;
  readonly channel: Channel;
  readonly pipeline: Pipeline | null;
  readonly created: Date;
  #lastActive: Date;
  readonly #options: SessionOptions;
  readonly #unsubscribe: () => void;
  #closing: Promise<void> | null = null;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.id = options.id;
    this.channel = new Channel({ ...options.channel, logger: options.logger });
    this.pipeline = options.pipeline;
    this.created = options.now();
    this.#lastActive = this.created;
    this.#unsubscribe = this.pipeline ? this.pipeline.subscribe((event) => this.#pipelineOnEvent(event)) : () => {};
  }

  /** Clients following this session. */
  get clientCount(): number {
    return this.channel.clientCount;
  }

  /** Its machine's coarse state (null without a pipeline). */
  get state(): MachineState | null {
    return this.pipeline ? this.pipeline.state() : null;
  }

  /** No clients, and its machine at rest (or none): what the idle expiry waits for. */
  get idle(): boolean {
    const state = this.state;
    return this.clientCount === 0 && (state === null || state === "idle" || state === "stopped");
  }

  /** Closing or closed: it takes no new clients (a join makes a new session). */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Give an event (validated by the caller) the session's next seq, keep it
   * for replay and send it to its clients.
   */
  publish(event: ServerEvent): LoggedEvent {
    const logged = this.channel.publish(event);
    this.#lastActive = this.#options.now();
    // The machine came to rest: with nobody here, the idle expiry may start.
    if (logged.type === "state_change" && this.clientCount === 0) this.#options.onMaybeIdle(this);
    return logged;
  }

  /** A connection starts following this session. */
  join(conn: Connection): void {
    this.channel.join(conn);
    this.#lastActive = this.#options.now();
  }

  /** A connection left: its audio output closes, the machine hears it left (an audio owner's utterance ends). */
  leave(conn: Connection): void {
    conn.audio?.close();
    conn.audio = null;
    this.pipeline?.clientGone?.(conn.id);
    this.channel.leave(conn);
    this.#lastActive = this.#options.now();
    if (this.clientCount === 0) this.#options.onMaybeIdle(this);
  }

  /** What `GET /sessions` lists of it. */
  row(): SessionRow {
    return {
      id: this.id,
      clients: this.clientCount,
      state: this.state,
      last_seq: this.channel.lastSeq,
      turns: this.channel.turns,
      created: this.created.toISOString(),
      last_active: this.#lastActive.toISOString(),
    };
  }

  /**
   * Stop its pipeline (what the shutdown emits still enters its log) and
   * its presence announcements. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.channel.close();
    try {
      await this.pipeline?.stop();
    } finally {
      this.#unsubscribe();
    }
  }

  #pipelineOnEvent(event: EventInput): void {
    let valid: ServerEvent;
    try {
      valid = validateEvent(event);
    } catch (err) {
      // A pipeline event that fails its schema is our bug; drop it loudly rather than send garbage.
      this.#options.logger.error("pipeline produced an invalid event", { session: this.id, type: event.type, error: (err as Error).message });
      return;
    }
    this.#options.onPipelineEvent(this.publish(valid), this);
  }
}
