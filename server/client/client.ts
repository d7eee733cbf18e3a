/**
 * CodaClient: a typed client of the Coda Core WebSocket protocol for
 * browsers and Node. It validates every incoming event against the same zod
 * schemas the server uses, correlates commands with their `command_ack` /
 * `command_error` through `id` (as promises), reconnects with backoff and
 * resumes from the last `seq` it saw, and reports what resuming could not
 * give back: a gap (events the server no longer holds) or a reset (the
 * server restarted, so `seq` started again).
 *
 * Sessions: `session` joins one conversation of a server (`?session=`,
 * default `default`) and `user` names who the connection acts for
 * (`?user=`, the owner of long-term memory). Both stay in the URL every
 * reconnection opens, so a resume continues the same conversation; if the
 * server closed that session as idle in the meantime, the join makes it anew
 * (new epoch) and the client reports a reset.
 *
 * Browser-safe: no node imports. In a page it uses the global WebSocket; in
 * Node pass the `ws` package's class as the `WebSocket` option.
 *
 * Delivery rules: each logged event (one with `seq`) is delivered at most
 * once, in seq order, whether it came in a replay (`meta.replayed`) or live.
 * A new client's replay is the conversation (the last turns whole, the
 * progress of finished turns folded into their results), so seqs may skip;
 * after any replay the client resumes from the replay's `last_seq`.
 * After a reset, seq numbering restarts with the new server run.
 *
 * `client.conversation` holds the turns rebuilt from the replay and from
 * live events (server/client/conversation.ts).
 */
import type { z } from "zod";
import { COMMAND_DATA, type CommandType } from "../protocol/commands.js";
import type { AudioFormat, MachineState } from "../protocol/common.js";
import { SESSION_ID_PATTERN } from "../protocol/common.js";
import { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../protocol/subprotocol.js";
import { ServerEventSchema, type EventData, type EventType, type ServerEvent, type ServerEventOf } from "../protocol/events.js";
import { backoffDelay, resolveBackoff, type Backoff, type BackoffOptions } from "./backoff.js";
import { Conversation } from "./conversation.js";
import { Emitter } from "./emitter.js";
import { CommandError } from "./errors.js";

/** The part of the WebSocket API the client uses (the browser's and `ws`'s both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  // The event objects differ between implementations; the client reads only `data`, `code` and `reason`.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/** A WebSocket class: `globalThis.WebSocket` in browsers, `import WebSocket from "ws"` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** Options of CodaClient. Only `url` is required (and `WebSocket` where there is no global one). */
export interface CodaClientOptions {
  /** Server URL, e.g. `ws://127.0.0.1:8765`. `since` and `audio` query parameters are managed by the client (and `session`/`user` when those options are given). */
  url: string;
  /**
   * The session (conversation) to join, `?session=<id>`: 1 to 64 of
   * A-Z a-z 0-9 _ -, made on its first join. Default: the URL's `session`,
   * else the server's `default` session (or a scoped token's).
   */
  session?: string;
  /**
   * The user this connection acts for, `?user=<id>` (same rule): whose
   * long-term memories its turns recall and store, and whom memory commands
   * list, search and forget. Default: the URL's `user`, else `default` (or a
   * scoped token's user).
   */
  user?: string;
  /** WebSocket implementation. Default: `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** Ask for synthesised speech as binary frames (`?audio=1`), delivered as `audio` events. Default false. */
  audio?: boolean;
  /** Token for servers listening beyond loopback (sent as the `coda-token.<token>` subprotocol). */
  token?: string;
  /** Reconnect after the connection drops. Default true. */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** How long a command may wait for its ack (ms). Default 10 000. */
  commandTimeoutMs?: number;
  /** Resume after this seq on the first connection (e.g. saved from an earlier session). */
  since?: number;
  /** Prefix of command ids. Default "c". */
  idPrefix?: string;
  /** sendAudio drops frames while more than this many bytes wait to be sent. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Most turns `conversation` keeps. Default 100. */
  conversationTurns?: number;
}

/** Where the connection is. */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** Details of a state change. */
export interface StateInfo {
  /** Reconnect attempt number (0 while connected or before the first drop). */
  attempt: number;
  /** Delay before the next attempt, when state is `reconnecting`. */
  delayMs?: number;
  /** Close code and reason of the connection that ended, when one did. */
  code?: number;
  reason?: string;
}

/** How an event reached the client. */
export interface EventMeta {
  /** true for events from a replay (history), false for live ones. */
  replayed: boolean;
}

/** Reported after every (re)connection once the replay has been applied. */
export interface ResumeInfo {
  /** The seq the client asked to resume after (null on a fresh start). */
  since: number | null;
  /** Events delivered from the replay. */
  replayed: number;
  missed: number;
  reset: boolean;
  /** 1 for the first connection, +1 for each reconnection. */
  connection: number;
  /** What the replay was: the conversation (a new client, or after a restart) or what was missed (resume); null from a server that does not say. */
  kind: "conversation" | "resume" | null;
  /** conversation: ids of the turns it held whole, oldest first. */
  turns: string[];
}

/** Events after `since` the server could no longer replay. */
export interface GapInfo {
  since: number | null;
  missed: number;
  /** The oldest seq the server still held. */
  firstSeq: number | null;
}

/** The server restarted (new epoch): seq numbering started again. */
export interface ResetInfo {
  previousEpoch: string | null;
  epoch: string | null;
  /** The last seq seen from the previous run. */
  previousSeq: number;
  /** Events of the new run that were no longer buffered. */
  missed: number;
}

/** Synthesised speech: one binary frame, with the tts_audio event that announced it. */
export interface AudioChunk {
  pcm: Uint8Array;
  /** The format announced by the turn's tts_start (null if it was never seen). */
  format: AudioFormat | null;
  /** The frame's turn and its place on the turn's audio timeline (null for a frame nobody announced). */
  info: EventData<"tts_audio"> | null;
}

/** A frame that failed validation (it was not delivered). */
export interface InvalidFrame {
  message: string;
  /** The start of the offending frame. */
  raw: string;
}

/** Every event a CodaClient emits: one per protocol event type, plus client-level ones. */
export type ClientEventMap = { [T in EventType]: [event: ServerEventOf<T>, meta: EventMeta] } & {
  /** Every validated protocol event, in order (logged events once each). */
  event: [event: ServerEvent, meta: EventMeta];
  state: [state: ConnectionState, info: StateInfo];
  /** Your own connection_status (status "connected") after each (re)connection. */
  welcome: [data: EventData<"connection_status">];
  resume: [info: ResumeInfo];
  gap: [info: GapInfo];
  reset: [info: ResetInfo];
  audio: [chunk: AudioChunk];
  invalid: [frame: InvalidFrame];
};

/** Data a command takes (before defaults are applied). */
export type CommandInput<T extends CommandType> = z.input<(typeof COMMAND_DATA)[T]>;

/** Commands whose answer is an event sent to the requester before the ack. */
const ANSWERS = {
  get_system_info: "system_info",
  get_performance_metrics: "performance_metrics",
  get_replay: "replay",
  memory_list: "memory_items",
  memory_search: "memory_items",
} as const satisfies Partial<Record<CommandType, EventType>>;
type AnswerCommand = keyof typeof ANSWERS;

/** What a command's promise resolves with: the answer for requests, the command_ack otherwise. */
export type CommandResult<T extends CommandType> = T extends AnswerCommand ? EventData<(typeof ANSWERS)[T]> : EventData<"command_ack">;

/** Per-command options. */
export interface CommandOptions {
  signal?: AbortSignal;
  /** Overrides the client's commandTimeoutMs. */
  timeoutMs?: number;
}

/** Options of `sttStart`: a command's options, and whether the audio is echo-cancelled. */
export interface SttStartOptions extends CommandOptions {
  /** The audio streamed has echo cancellation applied (the server's default barge-in needs it). Default false. */
  echoCancellation?: boolean;
}

interface Pending {
  id: string;
  type: CommandType;
  expects: EventType | null;
  answer: unknown;
  resolve(value: unknown): void;
  reject(err: CommandError): void;
  cleanup(): void;
}

/** Per-connection progress: welcome, then the replay, then (after an unnoticed restart) a resync, then ready. */
type Phase = "welcome" | "replay" | "resync" | "ready";

interface Link {
  ws: WebSocketLike;
  phase: Phase;
  since: number | null;
  resyncId: string | null;
  /** Set when the welcome shows a new epoch while resuming (the server restarted). */
  restarted: ResetInfo | null;
}

const OPEN = 1;
const MAX_FORMATS = 16;

/**
 * A typed, reconnecting client.
 *
 * @example
 * import WebSocket from "ws";
 * const client = new CodaClient({ url: "ws://127.0.0.1:8765", WebSocket });
 * client.on("llm_progress", (e) => process.stdout.write(e.data.delta));
 * client.on("gap", ({ missed }) => console.warn(`missed ${missed} events`));
 * await client.connect();
 * await client.textInput("What is 12 times 7?");
 * const info = await client.getSystemInfo();
 * await client.close();
 */
export class CodaClient extends Emitter<ClientEventMap> {
  readonly #url: URL;
  readonly #WebSocket: WebSocketConstructor;
  readonly #protocols: string[];
  readonly #reconnect: boolean;
  readonly #backoff: Backoff;
  readonly #commandTimeoutMs: number;
  readonly #idPrefix: string;
  readonly #maxBufferedBytes: number;
  readonly #pending = new Map<string, Pending>();
  readonly #formats = new Map<string, AudioFormat>();
  readonly #conversation: Conversation;
  #link: Link | null = null;
  #state: ConnectionState = "idle";
  #attempt = 0;
  #connections = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #nextId = 0;
  #lastSeq = 0;
  #resumeFrom: number | null;
  #epoch: string | null = null;
  #clientId: string | null = null;
  #session: string | null;
  #user: string | null;
  #sessionNew = false;
  #machineState: MachineState | null = null;
  #lastAudio: EventData<"tts_audio"> | null = null;
  /** Turns cut short (turn_interrupted): frames of theirs still in flight are dropped, not delivered. */
  readonly #cutTurns = new Set<string>();
  #readyWaiters: { resolve(): void; reject(err: Error): void }[] = [];
  #droppedAudioFrames = 0;

  constructor(options: CodaClientOptions) {
    super((err) =>
      // A listener bug surfaces like an uncaught error in an event handler, without breaking delivery.
      queueMicrotask(() => {
        throw err;
      }),
    );
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`url must be an absolute ws:// or wss:// URL, got ${JSON.stringify(options.url)}`);
    }
    if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new TypeError(`url must use ws: or wss:, got ${url.protocol}`);
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new TypeError("No WebSocket implementation: pass the `ws` package's class as the WebSocket option");
    if (options.since !== undefined && !(Number.isInteger(options.since) && options.since >= 0)) {
      throw new TypeError("since must be a non-negative integer");
    }
    for (const key of ["session", "user"] as const) {
      const id = options[key];
      if (id !== undefined) url.searchParams.set(key, id);
      const value = url.searchParams.get(key);
      if (value !== null && !SESSION_ID_PATTERN.test(value)) throw new TypeError(`${key} must be 1 to 64 letters, digits, '_' or '-', got ${JSON.stringify(value)}`);
    }
    this.#url = url;
    this.#url.searchParams.delete("since");
    if (options.audio) this.#url.searchParams.set("audio", "1");
    this.#WebSocket = Ctor;
    this.#protocols = [CODA_PROTOCOL, ...(options.token ? [`${TOKEN_PROTOCOL_PREFIX}${options.token}`] : [])];
    this.#reconnect = options.reconnect ?? true;
    this.#backoff = resolveBackoff(options.backoff);
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.#idPrefix = options.idPrefix ?? "c";
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1 << 20;
    this.#resumeFrom = options.since ?? null;
    this.#session = url.searchParams.get("session");
    this.#user = url.searchParams.get("user");
    this.#lastSeq = options.since ?? 0;
    this.#conversation = new Conversation({ maxTurns: options.conversationTurns ?? 100 });
  }

  /** Where the connection is. */
  get state(): ConnectionState {
    return this.#state;
  }
  /** The largest seq delivered (0 before any). */
  get lastSeq(): number {
    return this.#lastSeq;
  }
  /** The server run's epoch, from the latest welcome. */
  get epoch(): string | null {
    return this.#epoch;
  }
  /** This connection's client id, from the latest welcome. */
  get clientId(): string | null {
    return this.#clientId;
  }
  /** The session this client follows: the server's answer in the latest welcome, before it the one asked for (null: the server's default, not yet connected). */
  get session(): string | null {
    return this.#session;
  }
  /** The user this connection acts for: the server's answer in the latest welcome, before it the one asked for (null: not named, not yet connected). */
  get user(): string | null {
    return this.#user;
  }
  /** Whether the latest join made the session (a new conversation, or one closed as idle and made anew). */
  get sessionNew(): boolean {
    return this.#sessionNew;
  }
  /** The voice machine's coarse state (welcome, then state_change events). */
  get machineState(): MachineState | null {
    return this.#machineState;
  }
  /** Successful connections so far (1 after the first; reconnections add one each). */
  get connections(): number {
    return this.#connections;
  }
  /**
   * The conversation of this server run, rebuilt from the replay (a new
   * client gets the last turns whole) and kept up to date from live events:
   * per turn the user's words, the answer, tool calls, memory, latency and
   * how it ended. Cleared when the server restarts (a reset).
   */
  get conversation(): Conversation {
    return this.#conversation;
  }
  /** Microphone frames sendAudio dropped because the socket was backed up. */
  get droppedAudioFrames(): number {
    return this.#droppedAudioFrames;
  }

  /**
   * Open the connection (if not already) and resolve once the welcome and
   * replay have been applied. With reconnect on, keeps trying until it
   * succeeds, `signal` aborts or close() is called.
   */
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === "closed") return Promise.reject(new CommandError("closed", "The client was closed", "connect", null));
    const ready = this.ready(options);
    if (this.#state === "idle") this.#open();
    return ready;
  }

  /** Resolve when the client is next connected and caught up (immediately if it is). */
  ready(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === "open") return Promise.resolve();
    if (this.#state === "closed") return Promise.reject(new CommandError("closed", "The client was closed", "connect", null));
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const onAbort = () => {
        this.#readyWaiters = this.#readyWaiters.filter((w) => w !== waiter);
        reject(new CommandError("aborted", "Gave up waiting for the connection", "connect", null));
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (err: Error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#readyWaiters.push(waiter);
    });
  }

  /** Close for good: no reconnect; pending commands reject with `closed`. Resolves once the socket has closed. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const link = this.#link;
    this.#link = null;
    this.#setState("closed", { attempt: this.#attempt });
    this.#failPending("closed", "The client was closed");
    for (const w of this.#readyWaiters.splice(0)) w.reject(new CommandError("closed", "The client was closed", "connect", null));
    if (!link) return;
    await new Promise<void>((resolve) => {
      if (link.ws.readyState === 3) return resolve();
      const timer = setTimeout(resolve, 1000); // a peer that never answers the close frame does not hold us up
      link.ws.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      link.ws.onmessage = null;
      link.ws.close(1000, "Client closed");
    });
  }

  // --- commands -------------------------------------------------------------

  /**
   * Send any command with an `id` and resolve with its answer (requests) or
   * its command_ack. Rejects with CommandError: the server's code from
   * command_error, or not_connected / disconnected / timeout / aborted / invalid_data / closed.
   */
  command<T extends CommandType>(type: T, data?: CommandInput<T>, options: CommandOptions = {}): Promise<CommandResult<T>> {
    let link: Link;
    let parsedData: unknown;
    try {
      ({ link, data: parsedData } = this.#prepare(type, data));
    } catch (err) {
      return Promise.reject(err as CommandError);
    }
    if (options.signal?.aborted) return Promise.reject(new CommandError("aborted", `${type} was aborted before it was sent`, type, null));
    const id = `${this.#idPrefix}${++this.#nextId}`;
    return new Promise<CommandResult<T>>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.#commandTimeoutMs;
      const timer = setTimeout(() => settle(new CommandError("timeout", `No answer to ${type} within ${timeoutMs} ms`, type, id)), timeoutMs);
      const onAbort = () => settle(new CommandError("aborted", `Stopped waiting for ${type} (the server may still run it)`, type, id));
      const settle = (err: CommandError) => {
        pending.cleanup();
        reject(err);
      };
      const pending: Pending = {
        id,
        type,
        expects: (ANSWERS as Partial<Record<CommandType, EventType>>)[type] ?? null,
        answer: undefined,
        resolve: (v) => {
          pending.cleanup();
          resolve(v as CommandResult<T>);
        },
        reject: settle,
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener("abort", onAbort);
          this.#pending.delete(id);
        },
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, pending);
      link.ws.send(JSON.stringify({ type, data: parsedData, id }));
    });
  }

  /**
   * Send a command without an `id`: fire and forget. The server sends no
   * command_ack for it; a refusal still arrives, as a `command_error` event
   * with `id: null`. For frequent reports whose acks would only be noise
   * (the player's `playback` every 250 ms). Throws CommandError
   * (unknown_type, invalid_data, not_connected) when nothing was sent.
   * @example client.notify("playback", { turn_id: "t3", state: "playing", position_ms: 1250 });
   */
  notify<T extends CommandType>(type: T, data?: CommandInput<T>): void {
    const { link, data: parsedData } = this.#prepare(type, data);
    link.ws.send(JSON.stringify({ type, data: parsedData }));
  }

  /** Validate a command's data and find the open connection to send it on; throws CommandError when it cannot be sent. */
  #prepare(type: CommandType, data: unknown): { link: Link; data: unknown } {
    const schema = COMMAND_DATA[type];
    if (!schema) throw new CommandError("unknown_type", `Unknown command type "${String(type)}"`, String(type), null);
    const parsed = schema.safeParse(data ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: ["data", ...i.path.map(String)].join("."), message: i.message }));
      const text = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
      throw new CommandError("invalid_data", `Invalid data for ${type}: ${text}`, type, null, issues);
    }
    const link = this.#link;
    if (this.#state !== "open" || !link || link.ws.readyState !== OPEN) {
      throw new CommandError("not_connected", `Not connected (state: ${this.#state}); ${type} was not sent`, type, null);
    }
    return { link, data: parsed.data };
  }

  /**
   * Start listening: push_to_talk (one utterance) or continuous.
   * `echoCancellation`: the audio you will send has echo cancellation applied
   * (e.g. `track.getSettings().echoCancellation` of a browser microphone);
   * with the server's default barge-in setting, only such a continuous
   * session can interrupt an answer by speaking. Default false.
   * @example
   * await client.sttStart("continuous", { echoCancellation: track.getSettings().echoCancellation === true });
   */
  sttStart(mode: "push_to_talk" | "continuous" = "push_to_talk", options?: SttStartOptions) {
    const { echoCancellation, ...commandOptions } = options ?? {};
    return this.command("stt_start", echoCancellation === undefined ? { mode } : { mode, echo_cancellation: echoCancellation }, commandOptions);
  }

  /** Stop listening (in push_to_talk, the utterance so far becomes the turn). */
  sttStop(options?: CommandOptions) {
    return this.command("stt_stop", {}, options);
  }
  /** Run the scripted demo turn; `text` is what the scripted recogniser hears. */
  demoFlow(text?: string, options?: CommandOptions) {
    return this.command("demo_flow", text === undefined ? {} : { text }, options);
  }
  /** Start a turn from typed text. */
  textInput(text: string, options?: CommandOptions) {
    return this.command("text_input", { text }, options);
  }
  /** Cut the current answer. */
  stopSpeaking(options?: CommandOptions) {
    return this.command("stop_speaking", {}, options);
  }
  /**
   * Report how far this client has played a turn's speech (audio clients):
   * the server paces audio to it and counts it as heard. `positionMs` is the
   * audio of that turn played here so far.
   */
  playback(turnId: string, state: "playing" | "ended" | "stopped", positionMs: number, options?: CommandOptions) {
    return this.command("playback", { turn_id: turnId, state, position_ms: Math.max(0, positionMs) }, options);
  }
  /** Resolve with the server's system_info. */
  getSystemInfo(options?: CommandOptions) {
    return this.command("get_system_info", {}, options);
  }
  /** Resolve with latency statistics over recent turns. */
  getPerformanceMetrics(options?: CommandOptions) {
    return this.command("get_performance_metrics", {}, options);
  }
  /** Resolve with a replay after `since` (the events are returned, not re-delivered). */
  getReplay(since?: number, options?: CommandOptions) {
    return this.command("get_replay", since === undefined ? {} : { since }, options);
  }
  /** Resolve with the newest long-term memories. */
  memoryList(limit?: number, options?: CommandOptions) {
    return this.command("memory_list", limit === undefined ? {} : { limit }, options);
  }
  /** Resolve with memories matching `query`. */
  memorySearch(query: string, limit?: number, options?: CommandOptions) {
    return this.command("memory_search", limit === undefined ? { query } : { query, limit }, options);
  }
  /** Forget one memory (rejects with code not_found when there is none). */
  memoryForget(id: string, options?: CommandOptions) {
    return this.command("memory_forget", { id }, options);
  }

  /**
   * Send microphone PCM (16 kHz, s16le, mono) for the current stt_start.
   * Returns false when the frame was dropped: not connected, or more than
   * maxBufferedBytes are still waiting to be sent (audio that late is useless).
   */
  sendAudio(pcm: ArrayBuffer | ArrayBufferView): boolean {
    const ws = this.#link?.ws;
    if (this.#state !== "open" || !ws || ws.readyState !== OPEN) return false;
    if (ws.bufferedAmount > this.#maxBufferedBytes) {
      this.#droppedAudioFrames++;
      return false;
    }
    ws.send(pcm);
    return true;
  }

  // --- connection -----------------------------------------------------------

  #setState(state: ConnectionState, info: StateInfo): void {
    if (this.#state === state && state !== "reconnecting") return;
    this.#state = state;
    this.emit("state", state, info);
  }

  #open(): void {
    const since = this.#connections > 0 || this.#resumeFrom !== null ? this.#lastSeq : null;
    const url = new URL(this.#url);
    if (since !== null) url.searchParams.set("since", String(since));
    if (this.#attempt === 0) this.#setState("connecting", { attempt: 0 });
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(url.toString(), this.#protocols);
    } catch {
      // e.g. a browser refusing the URL; treat like a failed attempt.
      this.#scheduleRetry(1006, "Could not create the WebSocket");
      return;
    }
    ws.binaryType = "arraybuffer";
    const link: Link = { ws, phase: "welcome", since, resyncId: null, restarted: null };
    this.#link = link;
    ws.onmessage = (ev: { data: unknown }) => {
      if (this.#link !== link) return;
      if (typeof ev.data === "string") this.#socketOnText(link, ev.data);
      else this.#socketOnBinary(ev.data);
    };
    ws.onclose = (ev: { code?: number; reason?: string }) => {
      if (this.#link !== link) return;
      this.#link = null;
      this.#failPending("disconnected", `The connection closed (${ev.code ?? 1006}) before the server answered`);
      this.#scheduleRetry(ev.code ?? 1006, ev.reason ?? "");
    };
    // An error is always followed by close, which does the work.
    ws.onerror = () => {};
  }

  #scheduleRetry(code: number, reason: string): void {
    if (this.#state === "closed") return;
    if (!this.#reconnect) {
      this.#setState("closed", { attempt: this.#attempt, code, reason });
      for (const w of this.#readyWaiters.splice(0)) w.reject(new CommandError("disconnected", `The connection closed (${code})`, "connect", null));
      return;
    }
    this.#attempt++;
    const delayMs = backoffDelay(this.#backoff, this.#attempt);
    this.#setState("reconnecting", { attempt: this.#attempt, delayMs, code, reason });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#state !== "closed") this.#open();
    }, delayMs);
  }

  #failPending(code: "disconnected" | "closed", message: string): void {
    for (const p of [...this.#pending.values()]) p.reject(new CommandError(code, `${message}: ${p.type}`, p.type, p.id));
  }

  // --- incoming -------------------------------------------------------------

  #socketOnText(link: Link, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.emit("invalid", { message: "Frame is not JSON", raw: text.slice(0, 200) });
    }
    const parsed = ServerEventSchema.safeParse(raw);
    if (!parsed.success) {
      const type = (raw as { type?: unknown } | null)?.type;
      const detail = parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ");
      return this.emit("invalid", { message: `Invalid event ${typeof type === "string" ? type : "?"}: ${detail}`, raw: text.slice(0, 200) });
    }
    const event = parsed.data as ServerEvent;

    if (event.type === "connection_status" && event.data.status === "connected" && link.phase === "welcome") {
      this.#welcome(link, event);
      return;
    }
    if (event.type === "replay" && (link.phase === "welcome" || link.phase === "replay")) {
      this.#applyReplay(link, event.data);
      return;
    }
    if (link.phase === "resync") {
      if (event.type === "replay") return this.#finishResync(link, event.data);
      // Logged events sent before our get_replay was handled are part of its answer.
      if (event.seq !== undefined) return;
      if ((event.type === "command_ack" || event.type === "command_error") && event.data.id === link.resyncId) return;
    }
    switch (event.type) {
      case "command_ack": {
        const p = this.#pending.get(String(event.data.id));
        if (p) {
          if (p.expects && p.answer === undefined) {
            p.reject(new CommandError("internal_error", `The server acknowledged ${p.type} without sending its answer`, p.type, p.id));
          } else p.resolve(p.expects ? p.answer : event.data);
        }
        break;
      }
      case "command_error": {
        const p = event.data.id === null ? undefined : this.#pending.get(String(event.data.id));
        p?.reject(new CommandError(event.data.code, event.data.message, p.type, p.id, event.data.issues ?? []));
        break;
      }
      default:
        if (event.seq === undefined) {
          // A direct answer: it belongs to the oldest request waiting for that type (answers come in command order).
          for (const p of this.#pending.values()) {
            if (p.expects === event.type && p.answer === undefined) {
              p.answer = event.data;
              break;
            }
          }
        }
    }
    this.#deliver(event, false);
  }

  #welcome(link: Link, event: ServerEventOf<"connection_status">): void {
    const d = event.data;
    const previousEpoch = this.#epoch;
    this.#epoch = d.epoch ?? null;
    this.#clientId = d.client_id ?? null;
    this.#session = d.session ?? this.#session;
    this.#user = d.user ?? this.#user;
    this.#sessionNew = d.session_new ?? false;
    this.#machineState = d.state ?? null;
    link.phase = "replay";
    // A new epoch while resuming means the server restarted. If its new log
    // already reached our seq it could not tell, so its replay is of the
    // wrong events: ask again for the whole new run.
    if (previousEpoch !== null && d.epoch !== undefined && d.epoch !== previousEpoch && link.since !== null) {
      link.restarted = { previousEpoch, epoch: this.#epoch, previousSeq: this.#lastSeq, missed: 0 };
    }
    this.#deliver(event, false);
    this.emit("welcome", d);
  }

  #applyReplay(link: Link, replay: EventData<"replay">): void {
    const restarted = link.restarted;
    if (restarted && !replay.reset) {
      link.phase = "resync";
      link.resyncId = `${this.#idPrefix}resync${++this.#nextId}`;
      link.ws.send(JSON.stringify({ type: "get_replay", data: {}, id: link.resyncId }));
      return;
    }
    if (replay.reset || restarted) {
      const info: ResetInfo = restarted ?? { previousEpoch: null, epoch: this.#epoch, previousSeq: this.#lastSeq, missed: 0 };
      info.missed = replay.missed;
      this.#lastSeq = 0;
      this.#formats.clear();
      this.#conversation.clear();
      this.emit("reset", info);
    } else if (replay.missed > 0) {
      this.emit("gap", { since: replay.since, missed: replay.missed, firstSeq: replay.first_seq });
    }
    this.#finishConnect(link, replay);
  }

  #finishResync(link: Link, replay: EventData<"replay">): void {
    const restarted = link.restarted!;
    restarted.missed = replay.missed;
    this.#lastSeq = 0;
    this.#formats.clear();
    this.#conversation.clear();
    this.emit("reset", restarted);
    this.#finishConnect(link, { ...replay, reset: true });
  }

  #finishConnect(link: Link, replay: EventData<"replay">): void {
    let replayed = 0;
    for (const raw of replay.events) {
      // Each replayed event was validated when it was logged; check it again against its own schema here.
      const parsed = ServerEventSchema.safeParse(raw);
      if (!parsed.success) {
        this.emit("invalid", { message: `Invalid replayed event ${raw.type}`, raw: JSON.stringify(raw).slice(0, 200) });
        continue;
      }
      if (this.#deliver(parsed.data as ServerEvent, true)) replayed++;
    }
    // Everything up to last_seq is in the replay or folded into it (or reported missed): resume from there.
    if (replay.last_seq > this.#lastSeq) this.#lastSeq = replay.last_seq;
    link.phase = "ready";
    this.#connections++;
    this.#attempt = 0;
    this.#resumeFrom = null;
    this.#setState("open", { attempt: 0 });
    this.emit("resume", { since: link.since, replayed, missed: replay.missed, reset: replay.reset, connection: this.#connections, kind: replay.kind ?? null, turns: replay.turns ?? [] });
    for (const w of this.#readyWaiters.splice(0)) w.resolve();
  }

  /** Emit one event; logged events only if newer than the last seq seen. Returns whether it was delivered. */
  #deliver(event: ServerEvent, replayed: boolean): boolean {
    if (event.seq !== undefined) {
      if (event.seq <= this.#lastSeq) return false;
      this.#lastSeq = event.seq;
    }
    switch (event.type) {
      case "state_change":
        this.#machineState = event.data.state;
        break;
      case "tts_start":
        this.#formats.set(event.data.turn_id, event.data.format);
        if (this.#formats.size > MAX_FORMATS) this.#formats.delete(this.#formats.keys().next().value!);
        break;
      case "tts_audio":
        this.#lastAudio = event.data;
        break;
      case "turn_interrupted":
        if (!replayed) {
          this.#cutTurns.add(event.data.turn_id);
          if (this.#cutTurns.size > MAX_FORMATS) this.#cutTurns.delete(this.#cutTurns.values().next().value!);
        }
        break;
    }
    if (event.seq !== undefined) this.#conversation.apply(event);
    const meta: EventMeta = { replayed };
    this.emit(event.type, event as never, meta);
    this.emit("event", event, meta);
    return true;
  }

  #socketOnBinary(data: unknown): void {
    let pcm: Uint8Array;
    if (data instanceof ArrayBuffer) pcm = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) pcm = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return; // Blob etc.: binaryType is arraybuffer, so this does not happen
    const info = this.#lastAudio;
    this.#lastAudio = null;
    // Audio of a cut turn that was already on its way: the turn is over, so it is never played.
    if (!this.has("audio") || (info && this.#cutTurns.has(info.turn_id))) return;
    this.emit("audio", { pcm, info, format: info ? (this.#formats.get(info.turn_id) ?? null) : null });
  }
}
