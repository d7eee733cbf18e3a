/**
 * What a client profile is to the transport: a way of speaking to clients
 * that is not protocol v1, plugged in from outside (the Coda Lite profile,
 * server/compat/, is registered by the composition root). Inbound, its
 * `CommandDialect` rewrites the commands its clients send; outbound, its
 * `EventEncoder` writes the events and replays they are sent; and it may
 * send its clients periodic events of its own. A connection without a
 * profile (`none`) speaks protocol v1 only.
 */
import type { CommandDialect, LoggedEvent } from "../protocol/index.js";
import type { BuiltReplay } from "./replay.js";

/**
 * The outbound half of a profile, mirroring the inbound `CommandDialect`.
 * One encoder serves every client of the profile in one conversation and
 * sees each logged event once, in seq order, so it may keep state across
 * events (which turn showed what); the frames it returns are sent as they
 * are to each of those clients.
 */
export interface EventEncoder {
  /** The frames for one logged event; `frame` is its v1 frame (return `[frame]` to pass it through). */
  encode(event: LoggedEvent, frame: Buffer): Buffer[];
  /**
   * The frame of a replay (on connect, and the answer to get_replay), from
   * the v1 one: `replay.frame` is what a v1 client gets, `replay.logged()`
   * the events it holds.
   */
  encodeReplay(replay: BuiltReplay): Buffer;
}

/** Frames a profile sends its clients on a timer (not logged, not replayed), while it has clients. */
export interface PeriodicFrames {
  intervalMs: number;
  /** The frame to send now (one per tick, the same bytes for every client of the profile). */
  frame(): Buffer;
}

/**
 * A client profile.
 * @example
 * const shouting: ClientProfile = {
 *   name: "shouting",
 *   createEncoder: () => ({
 *     encode: (event) => [Buffer.from(JSON.stringify({ ...event, type: event.type.toUpperCase() }))],
 *     encodeReplay: (replay) => replay.frame,
 *   }),
 * };
 * new WebSocketServer({ profiles: [shouting] }); // ws://host:port/?compat=shouting
 */
export interface ClientProfile {
  /** What clients ask for (`?compat=<name>`) and the server's `compat` setting names: lower-case letters, digits, `-` and `_`. */
  readonly name: string;
  /** Inbound: the older commands its clients send, rewritten to v1 ones. */
  readonly dialect?: CommandDialect;
  /** Outbound: a new encoder for one conversation's events. */
  createEncoder(): EventEncoder;
  /** Frames its clients get on a timer, if any. */
  readonly periodic?: PeriodicFrames;
}

/** The name of no profile: protocol v1 only. */
export const NO_PROFILE = "none";

/** What a profile name looks like. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
