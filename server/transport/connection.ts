/**
 * One client connection: bounded sending, heartbeat bookkeeping, rate
 * limiting and turning frames into commands. Knows nothing of the log; it
 * names its session and user, which the server routes by.
 */
import { isUtf8 } from "node:buffer";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import {
  DEFAULT_USER_ID,
  decodeCommand,
  encodeEvent,
  makeEvent,
  ProtocolError,
  toCommandError,
  type Command,
  type CommandDialect,
  type CommandHead,
  type ServerEvent,
} from "../protocol/index.js";
import type { ServerSettings } from "./options.js";
import type { ClientProfile, EventEncoder } from "./profile.js";
import type { AudioOutput } from "../pipeline/playout.js";
import { TokenBucket } from "./rate-limit.js";
import type { Logger } from "../app/logger.js";
import type { WireTally } from "../telemetry/wire-tally.js";
import type { Session } from "./session.js";

/** WebSocket close codes the server uses. Documented in docs/protocol.md. */
export const CloseCode = {
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  slowConsumer: 1013,
} as const;

export interface ConnectionHooks {
  /** A valid command arrived. Throw (or reject) with ProtocolError to refuse it. */
  onCommand(connection: Connection, command: Command): void | Promise<void>;
  /** A binary frame arrived. Throw ProtocolError to refuse it. */
  onBinary(connection: Connection, data: Buffer): void;
  onClose(connection: Connection, code: number, reason: string): void;
  /** Counters of what is sent and refused (read by /metrics). */
  readonly tally: WireTally;
}

export class Connection {
  /** False once a ping went unanswered; the heartbeat terminates such peers. */
  alive = true;
  /** Whether this client asked (?audio=1) to receive synthesised speech as binary frames. */
  wantsAudio = false;
  /** This client's place in the playout of answers (audio clients with a pipeline). */
  audio: AudioOutput | null = null;
  /** The client profile this client asked for (?compat=) or the server defaults to; null: protocol v1 only. */
  profile: ClientProfile | null = null;
  /** Inbound: the older protocol this client's commands may be in (from its profile), if any. */
  dialect: CommandDialect | undefined;
  /** Outbound: how logged events and replays are written for this client (from its profile); null: v1 frames as logged. */
  encoder: EventEncoder | null = null;
  /** The session (conversation) this client follows; set once it has joined. */
  session: Session | null = null;
  /** The user this client acts for (`?user=`, a scoped token's claim, or `default`). */
  userId: string = DEFAULT_USER_ID;
  #closing = false;
  readonly #commands: TokenBucket;
  /** Audio frames have their own budget: a microphone sends 10-100 ms frames, far more often than anyone types commands. */
  readonly #audio: TokenBucket;
  /** Consecutive refused frames per kind, so accepted audio cannot hide a command flood (and vice versa). */
  #violations = { command: 0, audio: 0 };

  constructor(
    readonly id: string,
    readonly socket: WebSocket,
    readonly settings: ServerSettings,
    readonly hooks: ConnectionHooks,
    readonly logger: Logger,
    /** The TCP stream under `socket` (from the upgrade), corked to coalesce a burst of frames into one write. */
    readonly stream: Duplex,
  ) {
    this.#commands = new TokenBucket(settings.ratePerSecond, settings.rateBurst);
    this.#audio = new TokenBucket(settings.audioFramesPerSecond, settings.audioFramesPerSecond);
    socket.on("message", (data, isBinary) => this.#socketOnMessage(data as Buffer, isBinary));
    socket.on("pong", () => (this.alive = true));
    socket.on("close", (code, reason) => hooks.onClose(this, code, reason.toString()));
    socket.on("error", (err) => logger.warn("client socket error", { client: this.id, error: err.message }));
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN && !this.#closing;
  }

  /**
   * Queue one encoded text frame. A client whose unsent bytes would pass
   * maxBufferedBytes is closed with 1013: it can reconnect and resume by seq.
   */
  sendFrame(frame: Buffer): void {
    if (!this.#fits(frame.length)) return;
    this.hooks.tally.events++;
    this.hooks.tally.eventBytes += frame.length;
    this.socket.send(frame, { binary: false });
  }

  sendEvent(event: ServerEvent): void {
    this.sendFrame(encodeEvent(event));
  }

  /** Queue one binary frame (audio), under the same bound as text. */
  sendBinary(data: Uint8Array): void {
    if (!this.#fits(data.length)) return;
    this.hooks.tally.audioFrames++;
    this.hooks.tally.audioBytes += data.length;
    this.socket.send(data, { binary: true });
  }

  /**
   * A frame fits when nothing is queued (one frame, however large - a full
   * replay - proves nothing about the client) or when the queue stays
   * within maxBufferedBytes. So a client holds at most the bound plus one frame.
   */
  #fits(bytes: number): boolean {
    if (!this.open) return false;
    const queued = this.socket.bufferedAmount;
    if (queued === 0 || queued + bytes <= this.settings.maxBufferedBytes) return true;
    this.logger.warn("closing slow client", { client: this.id, buffered: queued });
    this.hooks.tally.drops.slow++;
    this.close(CloseCode.slowConsumer, `Too slow: over ${this.settings.maxBufferedBytes} bytes queued; reconnect with ?since=<last seq>`);
    return false;
  }


  /** Close with a code and reason; a peer that does not answer the close is cut after closeTimeoutMs. */
  close(code: number, reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.socket.close(code, reason.slice(0, 120));
    const timer = setTimeout(() => this.socket.terminate(), this.settings.closeTimeoutMs);
    timer.unref();
    this.socket.once("close", () => clearTimeout(timer));
  }

  /** Answer a refused frame; the connection stays open. */
  sendError(err: unknown, head: CommandHead = { id: null, type: null }): void {
    if (!(err instanceof ProtocolError)) this.logger.error("command handler failed", { client: this.id, command: head.type ?? "", error: String((err as Error)?.stack ?? err) });
    const data = toCommandError(err, head);
    const errors = this.hooks.tally.commandErrors;
    errors.set(data.code, (errors.get(data.code) ?? 0) + 1);
    this.sendEvent(makeEvent("command_error", data));
  }

  #socketOnMessage(data: Buffer, isBinary: boolean): void {
    if (!this.open) return;
    const kind = isBinary ? "audio" : "command";
    if (!(isBinary ? this.#audio : this.#commands).take()) {
      if (++this.#violations[kind] >= this.settings.rateViolationsBeforeClose) {
        this.hooks.tally.drops.rate_limit++;
        this.close(CloseCode.policy, "Command rate limit exceeded repeatedly");
        return;
      }
      const limit = isBinary
        ? `Too many audio frames: at most ${this.settings.audioFramesPerSecond}/s; send 10 ms or longer frames`
        : `Too many commands: at most ${this.settings.ratePerSecond}/s (bursts of ${this.settings.rateBurst})`;
      this.sendError(new ProtocolError("rate_limited", `${limit}; this one was dropped`));
      return;
    }
    this.#violations[kind] = 0;
    if (isBinary) {
      try {
        this.hooks.onBinary(this, data);
      } catch (err) {
        this.sendError(err);
      }
      return;
    }
    if (data.length > this.settings.maxCommandBytes) {
      this.sendError(new ProtocolError("too_large", `Command of ${data.length} bytes is over the ${this.settings.maxCommandBytes}-byte limit`));
      return;
    }
    if (!isUtf8(data)) {
      this.sendError(new ProtocolError("invalid_json", "Text frame is not valid UTF-8"));
      return;
    }
    const head: CommandHead = { id: null, type: null };
    let decoded: Command | null;
    try {
      decoded = decodeCommand(data.toString("utf8"), head, this.dialect);
    } catch (err) {
      this.sendError(err, head);
      return;
    }
    if (decoded === null) return; // a legacy message the dialect drops silently
    const command = decoded;
    const ack = () => {
      if (command.id === undefined) return;
      this.sendEvent(makeEvent("command_ack", { id: command.id, command: command.type, ...(head.ignored ? { ignored: head.ignored } : {}) }));
    };
    let pending: void | Promise<void>;
    try {
      pending = this.hooks.onCommand(this, command);
    } catch (err) {
      this.sendError(err, head);
      return;
    }
    if (pending instanceof Promise) pending.then(ack, (err: unknown) => this.sendError(err, head));
    else ack();
  }
}
