/**
 * The seed's WebSocketServer: start/stop, the handshake and limits, the
 * HTTP routes and the heartbeat, which are server-wide; the conversations
 * are sessions (session.ts), each with its own Channel (event log, replay,
 * broadcast, presence) and pipeline, made, limited, listed and closed as
 * idle by the session registry (sessions.ts). A client joins the session
 * its upgrade names (`?session=`, default `default`) as the user it names
 * (`?user=`), within what its token admits. Validated events are broadcast
 * to the clients of their session and logged for replay and resume; client
 * commands are routed to the client's session. Client profiles (Coda
 * Lite's, server/compat/) plug in through `profiles`.
 *
 * Pipelines: `pipeline` is the `default` session's; `sessions` makes each
 * other session's (and the default's when `pipeline` is not given). Without
 * either, sessions are broadcast channels without a machine (pipeline
 * commands answer `unavailable`), as the seed's server was.
 *
 * @example
 * const server = new WebSocketServer({ host: "localhost", port: 8765 });
 * await server.start();
 * await server.broadcast({ type: "system_info", data: { version: "0.1.1", uptime: 3600, memory: 104857600 } });
 * await server.stop();
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer as WsServer, type WebSocket } from "ws";
import { readConnectParams, type ConnectParams } from "./connect-params.js";
import { CloseCode, Connection, type ConnectionHooks } from "./connection.js";
import { CODA_PROTOCOL, Gatekeeper, isRefusal, refuseUpgrade, type Refusal } from "./handshake.js";
import { handleHttp } from "./http-routes.js";
import { dependencyFields, HEALTH_DEGRADED, HEALTH_OK, turnRefusal, type DependencyCheck } from "./health.js";
import { PendingConnections } from "./pending-connections.js";
import { closeAll, listenAll } from "./listen.js";
import { createLogger, type Logger } from "../app/logger.js";
import { resolveServerOptions, type ServerOptionsInput, type ServerSettings } from "./options.js";
import type { Pipeline, PipelineCommandType } from "../pipeline/pipeline.js";
import { systemClock, type Clock } from "../pipeline/playout.js";
import {
  DEFAULT_SESSION_ID,
  DEFAULT_USER_ID,
  makeEvent,
  PROTOCOL_VERSION,
  ProtocolError,
  SESSION_ID_PATTERN,
  validateEvent,
  type CommandType,
  type EventData,
  type EventInput,
  type LoggedEvent,
} from "../protocol/index.js";
import type { ClientProfile } from "./profile.js";
import { ProfileRegistry } from "./profiles.js";
import { replaySummary } from "./replay.js";
import { CommandRouter, type CommandContext, type CommandHandler } from "./router.js";
import type { Session, SessionRow } from "./session.js";
import { SessionRegistry } from "./sessions.js";
import { buildSystemInfo } from "./system-info.js";
import { applyScope, type TokenScope } from "./tokens.js";
import { round3 } from "../../actors/round3.js";
import { CodaMetrics } from "../telemetry/prometheus.js";
import { createWireTally } from "../telemetry/wire-tally.js";
import { SERVER_VERSION } from "./version.js";

export interface WebSocketServerOptions extends ServerOptionsInput {
  /** The voice pipeline of the `default` session: its events are broadcast to that session's clients and it takes their pipeline commands. */
  pipeline?: Pipeline;
  /**
   * Makes the pipeline of each new session (and of `default` when `pipeline`
   * is not given): its own voice machine, usually a bridge over shared engines
   * (`createBridge({ engines, closeEngines: false })`). The server stops it
   * when the session closes. Without it, sessions other than `default` have
   * no pipeline.
   */
  sessions?: (id: string) => Pipeline;
  /** Timers of the idle expiry of sessions (`sessionIdleMs`). Default: the system's; a test passes a clock it moves by hand. */
  sessionClock?: Clock;
  /** Client profiles clients may ask for with `?compat=<name>` (and `compat` may name); createCodaServer registers coda-lite. */
  profiles?: readonly ClientProfile[];
  /** What the node depends on (the memory store, ...): reported on /health and /metrics; one required for turns refuses them while down. */
  dependencies?: readonly DependencyCheck[];
  logger?: Logger;
}

/** Where `broadcast` sends an event. */
export interface BroadcastOptions {
  /** The session whose clients get it (made if it is not open, within maxSessions). Default `default`. */
  session?: string;
}

const PIPELINE_COMMANDS: PipelineCommandType[] = ["stt_start", "stt_stop", "demo_flow", "text_input", "stop_speaking"];

/** What a join is, once its token and parameters are checked. */
type Admission = ConnectParams & TokenScope;

export class WebSocketServer {
  readonly settings: ServerSettings;
  /** The conversations: each one's channel and pipeline, their limits and idle expiry. */
  readonly #registry: SessionRegistry;
  /** Whether sessions get pipelines (a `pipeline` or a `sessions` factory was given). */
  readonly #hasPipelines: boolean;
  readonly #profiles: ProfileRegistry;
  readonly #router = new CommandRouter();
  readonly #gate: Gatekeeper;
  readonly #logger: Logger;
  readonly #dependencies: readonly DependencyCheck[];
  readonly #connections = new Map<string, Connection>();
  readonly #tally = createWireTally();
  /** Prometheus metrics; null when the `metrics` option is false. */
  readonly #prometheus: CodaMetrics | null;
  readonly #pending: PendingConnections;
  #wss: WsServer | undefined;
  #servers: Server[] = [];
  #port = 0;
  #nextClient = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #starting: Promise<void> | undefined;
  #stopRequested = false;
  /** One set of connection callbacks for every client (per-client closures cost memory at thousands of clients). */
  readonly #hooks: ConnectionHooks = {
    onCommand: (conn, command) => this.#router.route(command, this.#commandContext(conn)),
    onBinary: (conn, data) => {
      const pipeline = conn.session?.pipeline;
      if (!pipeline?.pushAudio) throw new ProtocolError("unexpected_binary", "Binary frames carry microphone audio, and this session takes none");
      pipeline.pushAudio({ clientId: conn.id, userId: conn.userId }, data);
    },
    onClose: (conn, code) => this.#connectionOnClose(conn, code),
    tally: this.#tally,
  };
  #startedAt = performance.now();
  #state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";

  constructor(options: WebSocketServerOptions = {}) {
    const { pipeline, sessions, sessionClock, profiles = [], dependencies = [], logger, ...rest } = options;
    this.settings = resolveServerOptions(rest);
    this.#profiles = new ProfileRegistry(profiles, this.settings.compat, () => this.#connections.values());
    this.#gate = new Gatekeeper(this.settings);
    this.#logger = logger ?? createLogger();
    this.#hasPipelines = pipeline !== undefined || sessions !== undefined;
    this.#dependencies = dependencies;
    this.#prometheus = this.settings.metrics
      ? new CodaMetrics({ clients: () => this.#connections.size, sessions: () => this.#registry.size, tally: this.#tally, dependencies })
      : null;
    const { replaySize, replayMaxBytes, replayTurns, presenceIntervalMs, maxSessions, sessionIdleMs } = this.settings;
    this.#registry = new SessionRegistry({
      channel: { replaySize, replayMaxBytes, replayTurns, presenceIntervalMs },
      maxSessions,
      sessionIdleMs,
      pipelineFor: (id) => (id === DEFAULT_SESSION_ID && pipeline ? pipeline : (sessions?.(id) ?? null)),
      clock: sessionClock ?? systemClock,
      logger: this.#logger,
      onPipelineEvent: (event, session) => this.#prometheus?.observe(event, session.id),
    });
    this.#pending = new PendingConnections(this.settings.maxPendingConnections, () =>
      this.#logger.info("closed the oldest pending connection", { limit: this.settings.maxPendingConnections }),
    );
    this.#registerBuiltinCommands();
  }

  /** The bound port (the configured one until start() resolves; useful with port 0). */
  get port(): number {
    return this.#port || this.settings.port;
  }

  get host(): string {
    return this.settings.host;
  }

  /** ws:// URL clients connect to. */
  get url(): string {
    const h = this.settings.host.includes(":") && !this.settings.host.startsWith("[") ? `[${this.settings.host}]` : this.settings.host;
    return `ws://${h}:${this.port}`;
  }

  /** Connected clients, all sessions together. */
  get clientCount(): number {
    return this.#connections.size;
  }

  /** Newest seq in the `default` session's event log, 0 before its first event. */
  get lastSeq(): number {
    return this.#registry.default.channel.lastSeq;
  }

  /** Random id of the `default` session's event log; a client seeing a new epoch knows seq restarted. */
  get epoch(): string {
    return this.#registry.default.channel.epoch;
  }

  /** The open sessions, oldest first (`default` first), as `GET /sessions` lists them. */
  sessions(): SessionRow[] {
    return this.#registry.list();
  }

  /** Register or replace the handler of a command type (e.g. memory commands). */
  handle<T extends CommandType>(type: T, handler: CommandHandler<T>): void {
    this.#router.handle(type, handler);
  }

  /** Start listening. Resolves once every address is bound. */
  start(): Promise<void> {
    if (this.#state !== "new") return Promise.reject(new Error(`start() called on a server that is ${this.#state}`));
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = "starting";
    this.#wss = new WsServer({
      noServer: true,
      maxPayload: this.settings.maxFrameBytes,
      skipUTF8Validation: true, // invalid UTF-8 is answered with command_error, not a 1007 close
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (offered) => (offered.has(CODA_PROTOCOL) ? CODA_PROTOCOL : false),
    });
    try {
      const { servers, port } = await listenAll(
        {
          request: (req, res) =>
            handleHttp(req, res, {
              checkHost: (r) => this.#gate.checkHost(r),
              checkOrigin: (r) => this.#gate.checkOrigin(r),
              authorize: (r) => this.#gate.authorize(r),
              health: () => {
                const main = this.#registry.default;
                const { ok, fields } = dependencyFields(this.#dependencies);
                return {
                  status: ok ? HEALTH_OK : HEALTH_DEGRADED,
                  version: SERVER_VERSION,
                  protocol_version: PROTOCOL_VERSION,
                  clients: this.clientCount,
                  sessions: this.#registry.size,
                  last_seq: main.channel.lastSeq,
                  state: main.state,
                  ...fields,
                };
              },
              sessions: () => this.#registry.list(),
              metrics: (id) => {
                const session = this.#registry.get(id);
                return session ? this.#metrics(session) : null;
              },
              prometheus: this.#prometheus ? () => this.#prometheus!.text() : null,
              wsUrl: () => this.url,
              readOnly: () => !this.#hasPipelines,
            }),
          upgrade: (req, socket, head) => {
            this.#pending.release(req.socket);
            this.#serverOnUpgrade(req, socket, head);
          },
          connection: (socket) => this.#pending.add(socket),
          error: (err) => this.#logger.error("listening socket error", { error: err.message }),
        },
        this.settings.host,
        this.settings.port,
        { headersTimeoutMs: this.settings.headersTimeoutMs },
      );
      this.#servers = servers;
      this.#port = port;
    } catch (err) {
      this.#state = "stopped";
      throw err;
    }
    if (this.#stopRequested) {
      // stop() was called while we were binding: let go of what we bound.
      await closeAll(this.#servers);
      this.#wss.close();
      this.#state = "stopped";
      return;
    }
    this.#gate.setPort(this.#port);
    this.#startedAt = performance.now();
    this.#heartbeat = setInterval(() => this.#heartbeatOnTick(), this.settings.heartbeatMs);
    this.#heartbeat.unref();
    this.#state = "running";
    this.#logger.info("listening", { url: this.url });
  }

  /** Close every client with 1001, stop every session's pipeline and stop listening. */
  async stop(): Promise<void> {
    if (this.#state === "starting") {
      this.#stopRequested = true;
      await this.#starting?.catch(() => {});
    }
    if (this.#state === "stopped" || this.#state === "stopping") {
      if (this.#stopRequested) await this.#registry.closeAll();
      return;
    }
    this.#state = "stopping";
    clearInterval(this.#heartbeat);
    this.#profiles.stop();
    for (const session of this.#registry.sessions()) session.channel.close();
    const closed = [...this.#connections.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.socket.readyState === c.socket.CLOSED) return resolve();
          c.socket.once("close", () => resolve());
          c.close(CloseCode.goingAway, "Server shutting down");
        }),
    );
    await Promise.all(closed);
    // Clients first, so none sees a half-stopped pipeline; what the shutdown emits still enters the logs.
    await this.#registry.closeAll();
    await closeAll(this.#servers);
    this.#wss?.close();
    this.#state = "stopped";
  }

  /**
   * Validate an event, give it the next seq of its session, keep it for
   * replay and send it to that session's clients (`default` unless
   * `options.session` names another, which is made if it is not open).
   * Serialised once for all clients (and once per client profile's encoder).
   * @throws ProtocolError code `invalid_event` (nothing is logged or sent), or
   *   `unavailable` when the session is not open and maxSessions are;
   *   TypeError for a session id that is not one.
   */
  async broadcast(event: EventInput, options: BroadcastOptions = {}): Promise<LoggedEvent> {
    const valid = validateEvent(event);
    const id = options.session ?? DEFAULT_SESSION_ID;
    if (!SESSION_ID_PATTERN.test(id)) throw new TypeError(`Invalid session id ${JSON.stringify(id)}: a session id is 1 to 64 letters, digits, '_' or '-'`);
    const opened = this.#registry.open(id);
    if (isRefusal(opened)) throw new ProtocolError("unavailable", opened.reason);
    const logged = opened.session.publish(valid);
    // A session made by a broadcast, with nobody in it, is closed as idle like any other.
    if (opened.created) this.#registry.noteMaybeIdle(opened.session);
    return logged;
  }

  /**
   * The conversation a new client of session `session` (default `default`)
   * is replayed (the last replayTurns turns whole), as logged events in seq
   * order; empty for a session that is not open.
   */
  conversation(session: string = DEFAULT_SESSION_ID): LoggedEvent[] {
    return this.#registry.get(session)?.channel.conversation() ?? [];
  }

  #serverOnUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    if (this.#state !== "running") return refuseUpgrade(socket, { status: 503, reason: "Server is not running" });
    this.#admit(req).then(
      (admission) => {
        if (isRefusal(admission)) {
          this.#logger.info("upgrade refused", { status: admission.status, reason: admission.reason });
          return refuseUpgrade(socket, admission);
        }
        if (socket.destroyed) return;
        // Checked now, in the same step as the handshake that joins it: no other join comes between.
        const full = this.#state === "running" ? this.#registry.checkJoin(admission.session) : { status: 503 as const, reason: "Server is not running" };
        if (full) {
          this.#logger.info("upgrade refused", { status: full.status, reason: full.reason });
          return refuseUpgrade(socket, full);
        }
        this.#wss!.handleUpgrade(req, socket, head, (ws) => this.#wssOnConnection(ws, socket, admission));
      },
      (err: unknown) => {
        this.#logger.error("upgrade failed", { error: String((err as Error)?.stack ?? err) });
        socket.destroy();
      },
    );
  }

  /** The handshake's checks (Host, Origin, token, client limit), then what it asks for within what its token admits. */
  async #admit(req: IncomingMessage): Promise<Admission | Refusal> {
    const grant = await this.#gate.checkUpgrade(req, () => this.#connections.size);
    if (isRefusal(grant)) return grant;
    const params = readConnectParams(req.url, this.#profiles);
    if (isRefusal(params)) return params;
    const who = applyScope(params, grant.scope, { session: DEFAULT_SESSION_ID, user: DEFAULT_USER_ID });
    if (isRefusal(who)) return who;
    return { ...params, ...who };
  }

  #wssOnConnection(ws: WebSocket, stream: Duplex, admission: Admission): void {
    const { since, wantsAudio, profile } = admission;
    const opened = this.#registry.open(admission.session);
    if (isRefusal(opened)) {
      // Not reached while the limit is checked in the handshake's own step; kept so a refusal is never silent.
      ws.close(CloseCode.slowConsumer, opened.reason.slice(0, 120));
      return;
    }
    const { session, created } = opened;
    const id = `c${++this.#nextClient}`;
    const conn = new Connection(id, ws, this.settings, this.#hooks, this.#logger, stream);
    conn.wantsAudio = wantsAudio;
    conn.session = session;
    conn.userId = admission.user;
    if (profile) {
      conn.profile = profile;
      conn.dialect = profile.dialect;
      this.#profiles.joined(profile);
    }
    this.#connections.set(id, conn);
    session.join(conn);
    const { channel, pipeline } = session;
    const replay = channel.replay(since);
    conn.sendEvent(
      makeEvent("connection_status", {
        status: "connected",
        client_id: id,
        clients: channel.clientCount,
        session: session.id,
        session_new: created,
        user: conn.userId,
        server_version: SERVER_VERSION,
        protocol_version: PROTOCOL_VERSION,
        epoch: channel.epoch,
        last_seq: channel.lastSeq,
        replay_size: this.settings.replaySize,
        replay_max_bytes: this.settings.replayMaxBytes,
        replay_turns: this.settings.replayTurns,
        replay: replaySummary(replay),
        state: session.state,
      }),
    );
    channel.sendReplay(conn, replay);
    // After the welcome, so a client joining mid-answer gets its connection_status first.
    if (wantsAudio && pipeline?.openAudioOutput) {
      // Each frame of speech is announced by a tts_audio event (its turn and place), then sent, paced to this client's playback.
      conn.audio = pipeline.openAudioOutput(id, {
        send: (chunk) => {
          conn.sendEvent(
            makeEvent("tts_audio", {
              turn_id: chunk.turnId,
              chunk_index: chunk.chunkIndex,
              sentence_index: chunk.sentenceIndex,
              offset_ms: round3(chunk.offsetMs),
              audio_ms: round3(chunk.audioMs),
              bytes: chunk.pcm.byteLength,
            }),
          );
          conn.sendBinary(chunk.pcm);
        },
      });
    }
    this.#logger.info("client connected", { client: id, session: session.id, new_session: created, clients: this.#connections.size, profile: profile?.name ?? "none" });
  }

  #connectionOnClose(conn: Connection, code: number): void {
    if (!this.#connections.delete(conn.id)) return;
    if (conn.profile) this.#profiles.left(conn.profile);
    conn.session?.leave(conn);
    this.#logger.info("client disconnected", { client: conn.id, session: conn.session?.id ?? "", code });
  }

  #heartbeatOnTick(): void {
    for (const c of this.#connections.values()) {
      if (!c.alive) {
        this.#logger.info("terminating unresponsive client", { client: c.id });
        this.#tally.drops.heartbeat++;
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }

  /** What a command handler knows of its sender: its id, session and user, and how to answer it. */
  #commandContext(conn: Connection): CommandContext {
    return {
      clientId: conn.id,
      sessionId: conn.session?.id ?? DEFAULT_SESSION_ID,
      userId: conn.userId,
      reply: (event) => conn.sendEvent(event),
      replyFrame: (frame) => conn.sendFrame(frame),
    };
  }

  /** The session of a command's sender (closed sessions have no clients, so it is open). */
  #sessionOf(ctx: CommandContext): Session {
    return this.#connections.get(ctx.clientId)?.session ?? this.#registry.default;
  }

  /** A session's latency statistics; empty but well-formed without a pipeline. */
  #metrics(session: Session): EventData<"performance_metrics"> {
    return session.pipeline?.metrics() ?? { window: 0, turns: 0, figures: {} };
  }

  #registerBuiltinCommands(): void {
    this.handle("get_system_info", (_cmd, ctx) => ctx.reply(makeEvent("system_info", buildSystemInfo(this.#startedAt, this.#connections.size, this.#sessionOf(ctx).pipeline ?? undefined))));
    this.handle("get_performance_metrics", (_cmd, ctx) => ctx.reply(makeEvent("performance_metrics", this.#metrics(this.#sessionOf(ctx)))));
    this.handle("playback", (cmd, ctx) => {
      const conn = this.#connections.get(ctx.clientId);
      if (!conn?.audio) throw new ProtocolError("invalid_state", "This connection does not receive audio: connect with ?audio=1 to report playback");
      // A report about a turn that is no longer playing out is late, not wrong: acknowledged and ignored.
      conn.audio.report(cmd.data);
    });
    this.handle("get_replay", (cmd, ctx) => {
      // In the asker's encoding: a client with a profile gets the replay as that profile writes it.
      const conn = this.#connections.get(ctx.clientId);
      const channel = conn?.session?.channel;
      if (conn && channel) channel.sendReplay(conn, channel.replay(cmd.data.since ?? null));
    });
    for (const type of PIPELINE_COMMANDS) {
      this.handle(type, (cmd, ctx) => {
        const session = this.#sessionOf(ctx);
        if (!session.pipeline) {
          throw new ProtocolError(
            "unavailable",
            this.#hasPipelines
              ? `No voice pipeline runs in session "${session.id}" (this server gives one to the default session only), so ${type} cannot run`
              : `No voice pipeline is attached to this server, so ${type} cannot run`,
          );
        }
        const refused = turnRefusal(type, this.#dependencies);
        if (refused) throw refused;
        session.pipeline.dispatch(cmd as Parameters<Pipeline["dispatch"]>[0], { clientId: ctx.clientId, userId: ctx.userId });
      });
    }
  }
}
