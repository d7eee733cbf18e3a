/**
 * One conversation's side of the wire: its event log (and so its `seq` and
 * `epoch`), the history a new client is replayed, the replayer, the
 * connections that follow it, and what goes to all of them: each logged
 * event (encoded once for v1 clients and once per client-profile encoder),
 * and presence. What is server-wide (the handshake, limits, HTTP routes, the heartbeat, the
 * profiles' periodic frames) stays in server.ts. Each session holds one
 * (server/transport/session.ts).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../app/logger.js";
import { encodeEvent, makeEvent, type EventData, type LoggedEvent, type ServerEvent } from "../protocol/index.js";
import type { Connection } from "./connection.js";
import { ConversationHistory, NEW_CLIENT_LOOSE_EVENTS } from "./conversation.js";
import { EventLog } from "./event-log.js";
import type { ClientProfile, EventEncoder } from "./profile.js";
import { Replayer, type BuiltReplay } from "./replay.js";

export interface ChannelOptions {
  /** Most logged events kept for resume. */
  replaySize: number;
  /** Most bytes of logged events kept for resume (and of the running turn's progress in the history). */
  replayMaxBytes: number;
  /** Turns a new client's replay holds whole. */
  replayTurns: number;
  /** Clients coming and going within this window are announced in one connection_status. */
  presenceIntervalMs: number;
  logger: Logger;
}

export class Channel {
  /** Random id of this conversation's log; a client seeing a new epoch knows seq restarted. */
  readonly epoch = randomBytes(6).toString("hex");
  readonly #log: EventLog;
  readonly #history: ConversationHistory;
  readonly #replayer: Replayer;
  readonly #presenceIntervalMs: number;
  readonly #logger: Logger;
  readonly #connections = new Set<Connection>();
  /** One encoder per profile with clients here, made when its first client joins and kept while the conversation lives (it holds per-turn state). */
  readonly #encoders = new Map<ClientProfile, EventEncoder>();
  /** Connections with an encoder: none means every client gets the logged frame as is. */
  #encoded = 0;
  #presence: { joined: string[]; left: string[]; timer?: NodeJS.Timeout } = { joined: [], left: [] };
  #corked = false;
  #closed = false;

  constructor(options: ChannelOptions) {
    this.#log = new EventLog({ maxEvents: options.replaySize, maxBytes: options.replayMaxBytes });
    // The running turn's progress is bounded like the log, so a runaway turn cannot grow it past what resume keeps.
    this.#history = new ConversationHistory({ turns: options.replayTurns, maxProgressBytes: options.replayMaxBytes, looseEvents: Math.min(NEW_CLIENT_LOOSE_EVENTS, options.replaySize) });
    this.#replayer = new Replayer(this.#log, this.#history);
    this.#presenceIntervalMs = options.presenceIntervalMs;
    this.#logger = options.logger;
  }

  /** Newest seq in the event log, 0 before the first event. */
  get lastSeq(): number {
    return this.#log.lastSeq;
  }

  /** Turns this conversation has seen (from the turn ids of its events). */
  get turns(): number {
    return this.#history.turnsStarted;
  }

  /** Connections following this conversation. */
  get clientCount(): number {
    return this.#connections.size;
  }

  /** The conversation a new client is replayed, as logged events in seq order. */
  conversation(): LoggedEvent[] {
    return this.#history.events();
  }

  /**
   * Give an event the next seq, keep it for replay and send it to every
   * connection: the logged frame to v1 clients, and what each profile's
   * encoder makes of it (encoded once per encoder) to that profile's clients.
   */
  publish(event: ServerEvent): LoggedEvent {
    const entry = this.#log.append(event);
    this.#history.add(entry);
    const { event: logged, frame } = entry;
    this.#coalesce();
    if (this.#encoded === 0) {
      for (const c of this.#connections) c.sendFrame(frame);
      return logged;
    }
    const encoded = new Map<EventEncoder, Buffer[]>();
    for (const c of this.#connections) {
      if (!c.encoder) {
        c.sendFrame(frame);
        continue;
      }
      let frames = encoded.get(c.encoder);
      if (!frames) encoded.set(c.encoder, (frames = this.#encode(c, logged, frame)));
      for (const f of frames) c.sendFrame(f);
    }
    return logged;
  }

  /** A connection starts following this conversation (with its profile's encoder, if it has a profile). */
  join(conn: Connection): void {
    if (conn.profile) {
      let encoder = this.#encoders.get(conn.profile);
      if (!encoder) this.#encoders.set(conn.profile, (encoder = conn.profile.createEncoder()));
      conn.encoder = encoder;
      this.#encoded++;
    }
    this.#connections.add(conn);
    this.#notePresence("joined", conn.id);
  }

  /** A connection left (closed). */
  leave(conn: Connection): void {
    if (!this.#connections.delete(conn)) return;
    if (conn.encoder) this.#encoded--;
    if (!this.#closed) this.#notePresence("left", conn.id);
  }

  /** The replay for a client that last saw `since` (null: a new client). */
  replay(since: number | null): BuiltReplay {
    return this.#replayer.build(since);
  }

  /** Send `replay` to `conn`, in its profile's encoding. */
  sendReplay(conn: Connection, replay: BuiltReplay): void {
    if (!conn.encoder) return conn.sendFrame(replay.frame);
    let frame = replay.frame;
    try {
      frame = conn.encoder.encodeReplay(replay);
    } catch (err) {
      this.#logger.error("client profile failed to encode a replay", { profile: conn.profile?.name ?? "", error: String((err as Error)?.stack ?? err) });
    }
    conn.sendFrame(frame);
  }

  /** No more presence announcements: the server is stopping (events still enter the log). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#presence.timer);
  }

  /** A profile's encoder that throws is our bug or the profile's: its clients get the v1 frame, the others are not affected. */
  #encode(conn: Connection, event: LoggedEvent, frame: Buffer): Buffer[] {
    try {
      return conn.encoder!.encode(event, frame);
    } catch (err) {
      this.#logger.error("client profile failed to encode an event", { profile: conn.profile?.name ?? "", type: event.type, error: String((err as Error)?.stack ?? err) });
      return [frame];
    }
  }

  /**
   * Cork every client's TCP stream until the current synchronous burst is
   * over (process.nextTick), so events produced together (a machine
   * transition emits several) leave in one write per client, not one each.
   */
  #coalesce(): void {
    if (this.#corked) return;
    const corked = [...this.#connections];
    for (const c of corked) c.stream.cork();
    this.#corked = true;
    process.nextTick(() => {
      this.#corked = false;
      for (const c of corked) c.stream.uncork();
    });
  }

  /**
   * Presence is live-only (not logged) and coalesced: the clients that came
   * and went within one presenceIntervalMs window are announced together,
   * so N clients connecting at once cost N frames, not N^2/2.
   */
  #notePresence(change: "joined" | "left", clientId: string): void {
    this.#presence[change].push(clientId);
    if (this.#presence.timer) return;
    this.#presence.timer = setTimeout(() => this.#presenceOnTimer(), this.#presenceIntervalMs);
    this.#presence.timer.unref();
  }

  #presenceOnTimer(): void {
    const { joined, left } = this.#presence;
    this.#presence = { joined: [], left: [] };
    if (this.#closed) return;
    const data: EventData<"connection_status"> = { status: "clients_changed", clients: this.#connections.size, joined, left };
    const frame = encodeEvent(makeEvent("connection_status", data));
    this.#coalesce();
    for (const c of this.#connections) c.sendFrame(frame);
  }
}
