/**
 * The owner side of command forwarding: the node that runs a session reads
 * the commands other nodes forwarded to it (`coda:s:{<id>}:cmd`, from the
 * moment it starts serving: commands sent to a previous owner are not run
 * again; their senders got `unavailable` at their deadline), runs them one
 * at a time in arrival order through the handler, and appends the frames
 * for the client to the origin node's replies stream, so one client's
 * answers arrive in order. A handler that throws is answered with the
 * protocol's command_error (toCommandError: a ProtocolError keeps its
 * code). Bounded: past `maxQueued` commands waiting for one session, more
 * are answered `busy` at once; the replies stream is capped (MAXLEN ~).
 */
import type { Logger } from "../../actors/logger.js";
import { silentLogger } from "../../actors/logger.js";
import { encodeEvent, makeEvent, ProtocolError, toCommandError } from "../protocol/index.js";
import { CommandEntrySchema, replyFields, type ForwardedCommand } from "./command-entries.js";
import { nodeKeys, sessionKeys } from "./keys.js";
import type { RedisClient } from "./redis-client.js";
import type { StreamEntry } from "./stream-entries.js";
import type { Following, StreamMux } from "./stream-mux.js";

/** Runs one forwarded command; resolves with the frames for its client (answers, then its command_ack or command_error). */
export type ForwardedCommandHandler = (command: ForwardedCommand) => Buffer[] | Promise<Buffer[]>;

export interface CommandInboxOptions {
  client: RedisClient;
  /** The node's reader: follows the command streams of the sessions served. */
  mux: StreamMux;
  /** Most commands waiting for one session (default 100); more are answered `busy`. */
  maxQueued?: number;
  /** Cap of each replies stream (MAXLEN ~, default 10 000). */
  repliesMaxLen?: number;
  logger?: Logger;
}

/** A session whose forwarded commands are served; `stop()` ends it (commands already queued still run). */
export interface Serving {
  readonly session: string;
  stop(): void;
}

export class CommandInbox {
  readonly #client: RedisClient;
  readonly #mux: StreamMux;
  readonly #maxQueued: number;
  readonly #repliesMaxLen: number;
  readonly #logger: Logger;

  constructor(options: CommandInboxOptions) {
    const { maxQueued = 100, repliesMaxLen = 10_000 } = options;
    for (const [name, value] of [["maxQueued", maxQueued], ["repliesMaxLen", repliesMaxLen]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${value}`);
    }
    this.#client = options.client;
    this.#mux = options.mux;
    this.#maxQueued = maxQueued;
    this.#repliesMaxLen = repliesMaxLen;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Serve `session`'s forwarded commands with `handler`, from now on. */
  async serve(session: string, handler: ForwardedCommandHandler): Promise<Serving> {
    let queued = 0;
    let chain: Promise<void> = Promise.resolve();
    const following: Following = await this.#mux.followNew(sessionKeys(session).cmd, (entries: StreamEntry[]) => {
      for (const entry of entries) {
        const parsed = CommandEntrySchema.safeParse(Object.fromEntries(Object.entries(entry.message).map(([k, v]) => [k, v.toString()])));
        if (!parsed.success) {
          this.#logger.warn("unreadable forwarded command dropped", { session });
          continue;
        }
        const { o: origin, c: client, u: user, i: forwardId, d: text } = parsed.data;
        const command: ForwardedCommand = { session, origin, client, user, command: text };
        if (queued >= this.#maxQueued) {
          void this.#reply(command, forwardId, [errorFrame(new ProtocolError("busy", `Too many commands are waiting for session ${session}; try again shortly`), text)]);
          continue;
        }
        queued++;
        chain = chain.then(async () => {
          let frames: Buffer[];
          try {
            frames = await handler(command);
          } catch (err) {
            frames = [errorFrame(err, text)];
          }
          queued--;
          await this.#reply(command, forwardId, frames);
        });
      }
    });
    return { session, stop: () => following.unfollow() };
  }

  async #reply(command: ForwardedCommand, forwardId: string, frames: Buffer[]): Promise<void> {
    try {
      await this.#client.xAdd(nodeKeys(command.origin).replies, "*", replyFields(forwardId, command.client, frames) as Record<string, string>, {
        TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: this.#repliesMaxLen },
      });
    } catch (err) {
      // The origin's deadline answers its client with `unavailable`.
      this.#logger.warn("reply to a forwarded command failed", { session: command.session, origin: command.origin, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** The command_error frame for `err`, naming the command's id and type when its text has them. */
function errorFrame(err: unknown, text: string): Buffer {
  let named: { id?: string | number | null; type?: string | null } = {};
  try {
    const parsed = JSON.parse(text) as { id?: unknown; type?: unknown };
    named = {
      id: typeof parsed.id === "string" || typeof parsed.id === "number" ? parsed.id : null,
      type: typeof parsed.type === "string" ? parsed.type : null,
    };
  } catch {
    /* not JSON: the error names no command */
  }
  return encodeEvent(makeEvent("command_error", toCommandError(err, named)));
}
