/**
 * The seed's WebSocketServer: start/stop, the handshake and limits, the
 * HTTP routes and the heartbeat, which are server-wide; the conversation
 * every client follows (event log, replay, broadcast, presence) is its
 * Channel (channel.ts). Validated events are broadcast to every client and
 * logged for replay and resume; client commands are routed. Client
 * profiles (Coda Lite's, server/compat/) plug in through `profiles`.
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
import { Channel } from "./channel.js";
import { readConnectParams, type ConnectParams } from "./connect-params.js";
import { CloseCode, Connection, type ConnectionHooks } from "./connection.js";
import { CODA_PROTOCOL, Gatekeeper, refuseUpgrade } from "./handshake.js";
import { handleHttp } from "./http-routes.js";
import { dependencyFields, HEALTH_DEGRADED, HEALTH_OK, turnRefusal, type DependencyCheck } from "./health.js";
import { PendingConnections } from "./pending-connections.js";
import { closeAll, listenAll } from "./listen.js";
import { createLogger, type Logger } from "../app/logger.js";
import { resolveServerOptions, type ServerOptionsInput, type ServerSettings } from "./options.js";
import type { Pipeline, PipelineCommandType } from "../pipeline/pipeline.js";
import {
  makeEvent,
  PROTOCOL_VERSION,
  ProtocolError,
  validateEvent,
  type CommandType,
  type EventData,
  type EventInput,
  type LoggedEvent,
} from "../protocol/index.js";
import type { ClientProfile } from "./profile.js";
import { ProfileRegistry } from "./profiles.js";
import { replaySummary } from "./replay.js";
import { CommandRouter, type CommandHandler } from "./router.js";
import { buildSystemInfo } from "./system-info.js";
import { round3 } from "../../actors/round3.js";
import { CodaMetrics } from "../telemetry/prometheus.js";
import { createWireTally } from "../telemetry/wire-tally.js";
import { SERVER_VERSION } from "./version.js";

export interface WebSocketServerOptions extends ServerOptionsInput {
  /** The voice pipeline whose events are broadcast and which takes the pipeline commands. */
  pipeline?: Pipeline;
  /** Client profiles clients may ask for with `?compat=<name>` (and `compat` may name); createCodaServer registers coda-lite. */
  profiles?: readonly ClientProfile[];
  /** What the node depends on (the memory store, ...): reported on /health and /metrics; one required for turns refuses them while down. */
  dependencies?: readonly DependencyCheck[];
  logger?: Logger;
}

const PIPELINE_COMMANDS: PipelineCommandType[] = ["stt_start", "stt_stop", "demo_flow", "text_input", "stop_speaking"];


export class WebSocketServer {
  readonly settings: ServerSettings;
  /** The conversation every client follows (its log, replay, connections and presence). */
  readonly #channel: Channel;
  readonly #profiles: ProfileRegistry;
  readonly #router = new CommandRouter();
  readonly #gate: Gatekeeper;
  readonly #logger: Logger;
  readonly #pipeline: Pipeline | undefined;
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
    onCommand: (conn, command) => this.#router.route(command, { clientId: conn.id, reply: (event) => conn.sendEvent(event), replyFrame: (frame) => conn.sendFrame(frame) }),
    onBinary: (conn, data) => {
      if (!this.#pipeline?.pushAudio) throw new ProtocolError("unexpected_binary", "Binary frames carry microphone audio, and this server takes none");
      this.#pipeline.pushAudio({ clientId: conn.id }, data);
    },
    onClose: (conn, code) => this.#connectionOnClose(conn, code),
    tally: this.#tally,
  };
  #unsubscribe: (() => void)[] = [];
  #startedAt = performance.now();
  #state: "new" | "starting" | "running" | "stopping" | "stopped" = "new";

  constructor(options: WebSocketServerOptions = {}) {
    const { pipeline, profiles = [], dependencies = [], logger, ...rest } = options;
    this.settings = resolveServerOptions(rest);
    this.#profiles = new ProfileRegistry(profiles, this.settings.compat, () => this.#connections.values());
    this.#gate = new Gatekeeper(this.settings);
    this.#logger = logger ?? createLogger();
    this.#channel = new Channel({ ...this.settings, logger: this.#logger });
    this.#pipeline = pipeline;
    this.#dependencies = dependencies;
    this.#prometheus = this.settings.metrics ? new CodaMetrics({ clients: () => this.#connections.size, tally: this.#tally, dependencies }) : null;
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

  /** Connected clients. */
  get clientCount(): number {
    return this.#connections.size;
  }

  /** Newest seq in the event log, 0 before the first broadcast. */
  get lastSeq(): number {
    return this.#channel.lastSeq;
  }

  /** Random id of this server run's event log; a client seeing a new epoch knows seq restarted. */
  get epoch(): string {
    return this.#channel.epoch;
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
              checkToken: (r) => this.#gate.checkToken(r),
              health: () => {
                const { ok, fields } = dependencyFields(this.#dependencies);
                const status = ok ? HEALTH_OK : HEALTH_DEGRADED;
                return { status, version: SERVER_VERSION, protocol_version: PROTOCOL_VERSION, clients: this.clientCount, last_seq: this.lastSeq, state: this.#pipeline?.state() ?? null, ...fields };
              },
              metrics: () => this.#metrics(),
              prometheus: this.#prometheus ? () => this.#prometheus!.text() : null,
              wsUrl: () => this.url,
              readOnly: () => !this.#pipeline,
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
    if (this.#pipeline) this.#unsubscribe.push(this.#pipeline.subscribe((event) => this.#pipelineOnEvent(event)));
    this.#heartbeat = setInterval(() => this.#heartbeatOnTick(), this.settings.heartbeatMs);
    this.#heartbeat.unref();
    this.#state = "running";
    this.#logger.info("listening", { url: this.url });
  }

  /** Close every client with 1001, stop the pipeline and stop listening. */
  async stop(): Promise<void> {
    if (this.#state === "starting") {
      this.#stopRequested = true;
      await this.#starting?.catch(() => {});
    }
    if (this.#state === "stopped" || this.#state === "stopping") {
      if (this.#pipeline && this.#stopRequested) await this.#pipeline.stop();
      return;
    }
    this.#state = "stopping";
    clearInterval(this.#heartbeat);
    this.#profiles.stop();
    this.#channel.close();
    const closed = [...this.#connections.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.socket.readyState === c.socket.CLOSED) return resolve();
          c.socket.once("close", () => resolve());
          c.close(CloseCode.goingAway, "Server shutting down");
        }),
    );
    await Promise.all(closed);
    // Clients first, so none sees a half-stopped pipeline; what the shutdown emits still enters the log.
    if (this.#pipeline) await this.#pipeline.stop();
    for (const u of this.#unsubscribe.splice(0)) u();
    await closeAll(this.#servers);
    this.#wss?.close();
    this.#state = "stopped";
  }

  /**
   * Validate an event, give it the next seq, keep it for replay and send it
   * to every client. Serialised once for all clients (and once per client
   * profile's encoder).
   * @throws ProtocolError code `invalid_event` (nothing is logged or sent).
   */
  async broadcast(event: EventInput): Promise<LoggedEvent> {
    return this.#channel.publish(validateEvent(event));
  }

  /**
   * The conversation a new client is replayed (the last replayTurns turns
   * whole), as logged events in seq order.
   */
  conversation(): LoggedEvent[] {
    return this.#channel.conversation();
  }

  #pipelineOnEvent(event: EventInput): void {
    try {
      this.#channel.publish(validateEvent(event));
      this.#prometheus?.observe(event);
    } catch (err) {
      // A pipeline event that fails its schema is our bug; drop it loudly rather than send garbage.
      this.#logger.error("pipeline produced an invalid event", { type: event.type, error: (err as Error).message });
    }
  }

  #serverOnUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    if (this.#state !== "running") return refuseUpgrade(socket, { status: 503, reason: "Server is not running" });
    const params = this.#gate.checkUpgrade(req, this.#connections.size) ?? readConnectParams(req.url, this.#profiles);
    if ("status" in params) {
      this.#logger.info("upgrade refused", { status: params.status, reason: params.reason });
      return refuseUpgrade(socket, params);
    }
    this.#wss!.handleUpgrade(req, socket, head, (ws) => this.#wssOnConnection(ws, socket, params));
  }

  #wssOnConnection(ws: WebSocket, stream: Duplex, { since, wantsAudio, profile }: ConnectParams): void {
    const id = `c${++this.#nextClient}`;
    const conn = new Connection(id, ws, this.settings, this.#hooks, this.#logger, stream);
    conn.wantsAudio = wantsAudio;
    if (profile) {
      conn.profile = profile;
      conn.dialect = profile.dialect;
      this.#profiles.joined(profile);
    }
    this.#connections.set(id, conn);
    this.#channel.join(conn);
    const replay = this.#channel.replay(since);
    conn.sendEvent(
      makeEvent("connection_status", {
        status: "connected",
        client_id: id,
        clients: this.#channel.clientCount,
        server_version: SERVER_VERSION,
        protocol_version: PROTOCOL_VERSION,
        epoch: this.#channel.epoch,
        last_seq: this.#channel.lastSeq,
        replay_size: this.settings.replaySize,
        replay_max_bytes: this.settings.replayMaxBytes,
        replay_turns: this.settings.replayTurns,
        replay: replaySummary(replay),
        state: this.#pipeline ? this.#pipeline.state() : null,
      }),
    );
    this.#channel.sendReplay(conn, replay);
    // After the welcome, so a client joining mid-answer gets its connection_status first.
    if (wantsAudio && this.#pipeline?.openAudioOutput) {
      // Each frame of speech is announced by a tts_audio event (its turn and place), then sent, paced to this client's playback.
      conn.audio = this.#pipeline.openAudioOutput(id, {
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
    this.#logger.info("client connected", { client: id, clients: this.#connections.size, profile: profile?.name ?? "none" });
  }

  #connectionOnClose(conn: Connection, code: number): void {
    if (!this.#connections.delete(conn.id)) return;
    conn.audio?.close();
    conn.audio = null;
    this.#pipeline?.clientGone?.(conn.id);
    if (conn.profile) this.#profiles.left(conn.profile);
    this.#channel.leave(conn);
    this.#logger.info("client disconnected", { client: conn.id, code });
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

  /** Latency statistics; empty but well-formed without a pipeline. */
  #metrics(): EventData<"performance_metrics"> {
    return this.#pipeline?.metrics() ?? { window: 0, turns: 0, figures: {} };
  }

  #registerBuiltinCommands(): void {
    this.handle("get_system_info", (_cmd, ctx) => ctx.reply(makeEvent("system_info", buildSystemInfo(this.#startedAt, this.#connections.size, this.#pipeline))));
    this.handle("get_performance_metrics", (_cmd, ctx) => ctx.reply(makeEvent("performance_metrics", this.#metrics())));
    this.handle("playback", (cmd, ctx) => {
      const conn = this.#connections.get(ctx.clientId);
      if (!conn?.audio) throw new ProtocolError("invalid_state", "This connection does not receive audio: connect with ?audio=1 to report playback");
      // A report about a turn that is no longer playing out is late, not wrong: acknowledged and ignored.
      conn.audio.report(cmd.data);
    });
    this.handle("get_replay", (cmd, ctx) => {
      // In the asker's encoding: a client with a profile gets the replay as that profile writes it.
      const conn = this.#connections.get(ctx.clientId);
      if (conn) this.#channel.sendReplay(conn, this.#channel.replay(cmd.data.since ?? null));
    });
    for (const type of PIPELINE_COMMANDS) {
      this.handle(type, (cmd, ctx) => {
        if (!this.#pipeline) throw new ProtocolError("unavailable", `No voice pipeline is attached to this server, so ${type} cannot run`);
        const refused = turnRefusal(type, this.#dependencies);
        if (refused) throw refused;
        this.#pipeline.dispatch(cmd as Parameters<Pipeline["dispatch"]>[0], { clientId: ctx.clientId });
      });
    }
  }
}

