/**
 * The origin side of command forwarding: a client connected to this node
 * sends a command for a session another node runs. The command goes onto
 * the session's command stream (`coda:s:{<id>}:cmd`) with this node's id,
 * the client's id and the connection's user; the owner answers on this
 * node's replies stream (`coda:n:<node>:replies`), which this node follows
 * through its one reader, and `forward()` resolves with the frames meant
 * for that client (its answers, then its command_ack or command_error), in
 * the order the owner produced them.
 *
 * Bounded and never left hanging: at most `maxInFlight` commands wait at
 * once (more are refused with `busy`); a session nobody runs is refused at
 * once with `unavailable`; an owner that does not answer within
 * `deadlineMs` (dead, or cut off from Redis) gets the command refused with
 * `unavailable`, and a reply arriving after that is dropped. The command
 * stream is capped (MAXLEN ~ `maxLen`).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../../actors/logger.js";
import { silentLogger } from "../../actors/logger.js";
import { systemClock, type Clock } from "../pipeline/playout.js";
import { ProtocolError } from "../protocol/index.js";
import { commandFields, readReply } from "./command-entries.js";
import { checkNodeId, nodeKeys, sessionKeys } from "./keys.js";
import type { RedisClient } from "./redis-client.js";
import { RedisScript } from "./script.js";
import type { Following, StreamMux } from "./stream-mux.js";

/** A command to forward: for which session, from which client and user, and its JSON text. */
export interface CommandToForward {
  session: string;
  client: string;
  user: string;
  command: string;
}

export interface CommandForwarderOptions {
  client: RedisClient;
  /** The node's reader: follows this node's replies stream. */
  mux: StreamMux;
  /** This node's id. */
  node: string;
  /** How long the owner has to answer (default 5000 ms). */
  deadlineMs?: number;
  /** Most commands waiting for an answer at once (default 1000). */
  maxInFlight?: number;
  /** Cap of each session's command stream (MAXLEN ~, default 1000). */
  maxLen?: number;
  clock?: Clock;
  logger?: Logger;
}

// KEYS: owner, cmd. ARGV: maxLen, then the entry's field/value pairs. Null when nobody holds the session.
const SEND = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 2))
`);

interface Waiting {
  resolve: (frames: Buffer[]) => void;
  reject: (err: Error) => void;
  timer: unknown;
}

export class CommandForwarder {
  readonly node: string;
  readonly #client: RedisClient;
  readonly #mux: StreamMux;
  readonly #deadlineMs: number;
  readonly #maxInFlight: number;
  readonly #maxLen: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** Forward ids are `<random per forwarder>-<n>`: a restarted node never takes a late reply of its previous run for its own. */
  readonly #prefix = randomBytes(4).toString("hex");
  #next = 0;
  readonly #waiting = new Map<string, Waiting>();
  #following: Following | null = null;
  #closed = false;

  constructor(options: CommandForwarderOptions) {
    const { deadlineMs = 5000, maxInFlight = 1000, maxLen = 1000 } = options;
    for (const [name, value] of [["deadlineMs", deadlineMs], ["maxInFlight", maxInFlight], ["maxLen", maxLen]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer, got ${value}`);
    }
    this.node = checkNodeId(options.node);
    this.#client = options.client;
    this.#mux = options.mux;
    this.#deadlineMs = deadlineMs;
    this.#maxInFlight = maxInFlight;
    this.#maxLen = maxLen;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Commands waiting for an answer. */
  get inFlight(): number {
    return this.#waiting.size;
  }

  /** Start following this node's replies (only those written from now on). */
  async start(): Promise<void> {
    this.#following ??= await this.#mux.followNew(nodeKeys(this.node).replies, (entries) => {
      for (const entry of entries) this.#replyOnEntry(entry.message);
    });
  }

  /**
   * Send `command` to the node that runs its session and resolve with the
   * frames for the client.
   * @throws ProtocolError `unavailable` (nobody runs the session, Redis is away, or no answer within the deadline), `busy` (too many commands waiting).
   */
  forward(command: CommandToForward): Promise<Buffer[]> {
    if (this.#closed || !this.#following) return Promise.reject(new ProtocolError("unavailable", "This node is not forwarding commands (it is stopping or not started)"));
    if (this.#waiting.size >= this.#maxInFlight) return Promise.reject(new ProtocolError("busy", `Too many commands are waiting for other nodes (${this.#maxInFlight}); try again shortly`));
    const keys = sessionKeys(command.session);
    const forwardId = `${this.#prefix}-${(this.#next++).toString(36)}`;
    return new Promise<Buffer[]>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        if (!this.#waiting.delete(forwardId)) return;
        reject(new ProtocolError("unavailable", `The node running session ${command.session} did not answer within ${this.#deadlineMs} ms`));
      }, this.#deadlineMs);
      this.#waiting.set(forwardId, { resolve, reject, timer });
      const fields = commandFields(forwardId, this.node, command.client, command.user, command.command);
      const args = [String(this.#maxLen), ...Object.entries(fields).flat()];
      SEND.run(this.#client, [keys.owner, keys.cmd], args).then(
        (id) => {
          if (id === null) this.#fail(forwardId, new ProtocolError("unavailable", `No node runs session ${command.session} right now; try again shortly`));
        },
        (err: unknown) => {
          this.#logger.warn("command forward failed: redis unavailable", { session: command.session, error: err instanceof Error ? err.message : String(err) });
          this.#fail(forwardId, new ProtocolError("unavailable", "The cluster's Redis cannot be reached; try again shortly"));
        },
      );
    });
  }

  /** Stop: every command still waiting is refused with `unavailable`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#following?.unfollow();
    for (const id of [...this.#waiting.keys()]) this.#fail(id, new ProtocolError("unavailable", "This node is stopping"));
  }

  #fail(forwardId: string, err: Error): void {
    const waiting = this.#waiting.get(forwardId);
    if (!waiting) return;
    this.#waiting.delete(forwardId);
    this.#clock.clearTimeout(waiting.timer);
    waiting.reject(err);
  }

  #replyOnEntry(message: Record<string, Buffer>): void {
    const reply = readReply(message);
    if (!reply) {
      this.#logger.warn("unreadable reply entry dropped", { node: this.node });
      return;
    }
    const waiting = this.#waiting.get(reply.forwardId);
    if (!waiting) {
      this.#logger.debug?.("late reply dropped (its command was already refused)", { node: this.node, client: reply.client });
      return;
    }
    this.#waiting.delete(reply.forwardId);
    this.#clock.clearTimeout(waiting.timer);
    waiting.resolve(reply.frames);
  }
}
