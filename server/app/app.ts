/**
 * The composition root: `createCodaServer(options)` builds the engines the
 * settings choose (or takes the ones given as objects), memory, the tools
 * (built-ins and custom ones), the WebSocket server with its dashboard and
 * one voice machine's bridge per session over those shared engines, and
 * starts listening. `npm start`
 * (server/app/cli.ts) is this function with the settings read from flags, the
 * environment and the config file.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { VoiceEngines } from "../../actors/index.js";
import { EngineError } from "../../actors/engine-error.js";
import { defaultPoolSize } from "../../actors/engine-pool.js";
import type { LlmEngine } from "../../actors/llm/types.js";
import { selectLlmEngine } from "../../actors/llm/select.js";
import { SqliteMemoryStore } from "../../actors/memory/sqlite.js";
import { InMemoryStore } from "../../actors/memory/in-memory.js";
import { isPostgresUrl, urlPassword } from "../../actors/memory/postgres-url.js";
import type { MemoryHealth, MemoryStore } from "../../actors/memory/types.js";
import { OpenAiStt } from "../../actors/stt/openai.js";
import { PocketSphinxStt } from "../../actors/stt/pocketsphinx.js";
import { FileSource, MicrophoneSource } from "../../actors/stt/sources.js";
import type { AudioSource, SttEngine } from "../../actors/stt/types.js";
import { UnavailableStt } from "../../actors/stt/unavailable.js";
import type { VadProvider } from "../../actors/stt/vad.js";
import { loadVad } from "../../actors/stt/vad-select.js";
import { withSpeakerLevel } from "../../actors/stt/vad-level-gate.js";
import { createBuiltinTools } from "../../actors/tools/builtins/index.js";
import { ToolRegistry } from "../../actors/tools/registry.js";
import type { ToolRunner } from "../../actors/tools/types.js";
import { selectTtsEngine } from "../../actors/tts/select.js";
import { findPlayer, NO_PLAYER_MESSAGE } from "../../actors/tts/player.js";
import type { TtsEngine } from "../../actors/tts/types.js";
import { createBridge, type Bridge, type BridgeOptions } from "../pipeline/bridge.js";
import { createCodaLiteProfile } from "../compat/index.js";
import { SettingsSchema, type CodaSettings, type CodaSettingsInput } from "./config.js";
import { attachInspector } from "./inspect-loader.js";
import { warmEngines, warmProtocol } from "./warm-up.js";
import type { Inspection } from "./inspect.js";
import { loadOptional, MissingPackageError } from "./optional-packages.js";
import { createLogger, LOG_LEVELS, type Logger } from "./logger.js";
import { registerMemoryCommands } from "./memory-commands.js";
import { logMemoryHealth, memoryDependency } from "./memory-health.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import { DEFAULT_SESSION_ID, describeIssues, issuesFromZod } from "../protocol/index.js";
import { resolveServerOptions, type ServerOptionsInput } from "../transport/options.js";
import type { ClientProfile } from "../transport/profile.js";
import { checkProfiles } from "../transport/profiles.js";
import { WebSocketServer } from "../transport/server.js";
import { playOnSpeakers } from "../pipeline/speaker.js";
import { resolveToolSources, ToolModuleError, type ToolSource } from "./tool-modules.js";
import { tracesUrl, tracingEnabled, type TracingSettings } from "../telemetry/tracing-settings.js";

/** Engines given as objects instead of being built from the settings; each replaces its stage's settings. */
export interface CodaEngines {
  stt?: SttEngine;
  llm?: LlmEngine;
  tts?: TtsEngine;
  memory?: MemoryStore;
  /** Replaces the whole tool registry (built-ins and `tools`); cannot be combined with `tools`. */
  tools?: ToolRunner;
}

/** Options of createCodaServer: every setting of docs/configuration.md, plus what only code can give. */
export interface CodaServerOptions extends Omit<CodaSettingsInput, "tools"> {
  /** Custom tools next to the built-ins: tools made with `defineTool`, or paths of ES modules whose default export is a tool or an array of tools. */
  tools?: readonly ToolSource[];
  /** Stage engines as objects (a plain object implementing the stage's interface is enough). `stop()` closes them. */
  engines?: CodaEngines;
  /** WebSocketServer options that are not settings (e.g. `closeTimeoutMs`, `rateViolationsBeforeClose`). */
  server?: Omit<ServerOptionsInput, keyof CodaSettingsInput>;
  /** Client profiles (`?compat=<name>`, the `compat` setting) besides the built-in `coda-lite`; one named `coda-lite` replaces it. */
  profiles?: readonly ClientProfile[];
  /** Structured logger. Default: stderr, info lines only with `verbose`. */
  logger?: Logger;
  /** Aborts start-up (the model probe of `llmEngine: "auto"`). */
  signal?: AbortSignal;
}

/** A running Coda server. */
export interface CodaServer {
  /** ws:// URL clients connect to (the bound port when `port` was 0); the dashboard is at the same address over http://. */
  readonly url: string;
  /** The underlying WebSocket server: `broadcast`, `handle`, `clientCount`, ... */
  readonly server: WebSocketServer;
  /** The voice pipeline of the `default` session (commands, events, engine names); every other session has its own over the same engines. */
  readonly pipeline: Pipeline;
  /** The engines behind the stages, built or injected. */
  readonly engines: VoiceEngines;
  /** The resolved settings (defaults applied). */
  readonly settings: CodaSettings;
  /** One line per stage saying which engine answers and why (what `npm start` prints at start-up). */
  readonly descriptions: readonly string[];
  /** The inspector page to open with `inspect: true`, else null. */
  readonly inspectorUrl: string | null;
  /** Close clients (1001), stop the pipeline, close the engines and the inspector relay. */
  stop(): Promise<void>;
}

/** A setting combination that cannot work here (a missing program, a tool module that cannot be used); `npm start` prints it and exits 2. */
export class AppConfigError extends Error {
  override readonly name = "AppConfigError";
}

/** The engine's own deadline is a backstop behind the machine's per-request deadline, so it is set a little later. */
export const LLM_BACKSTOP_GRACE_MS = 1000;

/**
 * The stderr logger the settings ask for: `logLevel`, lowered to info by
 * `verbose` (which never hides what `logLevel` asked for), with the token,
 * the token secret, API keys and a PostgreSQL password in `memoryDb` scrubbed from anything it
 * writes. `npm start` and createCodaServer without a `logger` both use it.
 */
export function loggerFor(settings: Pick<CodaSettings, "logLevel" | "verbose" | "token" | "openaiApiKey" | "sttApiKey" | "ttsApiKey"> & Partial<Pick<CodaSettings, "memoryDb" | "tokenSecret">>): Logger {
  const level = settings.verbose && LOG_LEVELS.indexOf(settings.logLevel) > LOG_LEVELS.indexOf("info") ? "info" : settings.logLevel;
  const memoryPassword = settings.memoryDb && isPostgresUrl(settings.memoryDb) ? urlPassword(settings.memoryDb) : undefined;
  return createLogger({ level, secrets: [settings.token, settings.tokenSecret, settings.openaiApiKey, settings.sttApiKey, settings.ttsApiKey, memoryPassword] });
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

/** A store that was configured but could not be opened: every call fails with the opening error, so each turn reports memory_error and goes on. */
class UnopenedMemoryStore implements MemoryStore {
  readonly name = "sqlite";
  readonly #since = new Date().toISOString();
  constructor(readonly error: EngineError) {}
  recall = () => Promise.reject(this.error);
  storeTurn = () => Promise.reject(this.error);
  remember = () => Promise.reject(this.error);
  list = () => Promise.reject(this.error);
  forget = () => Promise.reject(this.error);
  health(): MemoryHealth {
    return { ok: false, code: this.error.code, message: this.error.message, since: this.#since };
  }
  async close(): Promise<void> {}
}

/**
 * The store `memoryDb` names: the in-process store (`off`), PostgreSQL (a
 * postgres:// URL; unreachable at start-up is an AppConfigError: the node
 * cannot serve its share of a deployment's memory) or a SQLite file (one
 * that cannot be opened is left untouched and turns go on without memory).
 */
async function openMemory(settings: CodaSettings, descriptions: string[], logger: Logger): Promise<MemoryStore> {
  const { memoryMaxItems: maxItems, memoryMinScore: minScore } = settings;
  if (settings.memoryDb === "off") {
    descriptions.push("Memory: in this process only (memoryDb off): forgotten when the server stops");
    return new InMemoryStore({ minScore });
  }
  if (isPostgresUrl(settings.memoryDb)) {
    // Loaded (with the pg client) only when a PostgreSQL URL is chosen.
    const { PostgresMemoryStore } = await import("../../actors/memory/postgres.js");
    try {
      const store = await PostgresMemoryStore.open({ url: settings.memoryDb, maxItems, minScore, onHealthChange: (health) => logMemoryHealth(logger, health) });
      descriptions.push(`Memory: PostgreSQL at ${store.url}`);
      return store;
    } catch (err) {
      if (err instanceof EngineError) throw new AppConfigError(`${err.message}; check --memory-db (CODA_MEMORY_DB), that PostgreSQL runs there, and that its user may create tables`);
      throw err;
    }
  }
  const file = expandHome(settings.memoryDb);
  try {
    const store = new SqliteMemoryStore({ path: file, maxItems, minScore });
    descriptions.push(`Memory: SQLite at ${file}`);
    return store;
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    // The file is left untouched; turns go on without memory and say so.
    descriptions.push(`Memory: UNAVAILABLE (${err.code}): ${err.message} - turns continue without memory`);
    return new UnopenedMemoryStore(err);
  }
}

function chooseStt(settings: CodaSettings, descriptions: string[]): SttEngine {
  const { sttEngine: engine, sttUrl: url } = settings;
  if (engine === "openai" || (engine === "auto" && url)) {
    if (!url) throw new AppConfigError("sttEngine openai needs sttUrl (--stt-url, CODA_STT_URL), e.g. http://127.0.0.1:8000/v1");
    descriptions.push(`STT: OpenAI-compatible transcription at ${url}`);
    return new OpenAiStt({ baseUrl: url, model: settings.sttModel, language: settings.sttLanguage, apiKey: settings.sttApiKey });
  }
  if (engine === "pocketsphinx" || engine === "auto") {
    if (PocketSphinxStt.isAvailable()) {
      const maxProcesses = settings.enginePoolSize ?? defaultPoolSize();
      descriptions.push(`STT: PocketSphinx (offline, ${maxProcesses === 1 ? "one process" : `up to ${maxProcesses} processes`} at once)`);
      return new PocketSphinxStt({ maxProcesses });
    }
    if (engine === "pocketsphinx") throw new AppConfigError("PocketSphinx is not installed: apt-get install pocketsphinx pocketsphinx-en-us");
  }
  descriptions.push("STT: none configured (stt_start answers stt_unavailable; text_input works). Install pocketsphinx or set --stt-url");
  return new UnavailableStt();
}

function chooseTts(settings: CodaSettings, descriptions: string[]): TtsEngine {
  try {
    const { engine, description } = selectTtsEngine({
      engine: settings.ttsEngine,
      voice: settings.ttsVoice,
      rate: settings.ttsRate,
      pitch: settings.ttsPitch,
      url: settings.ttsUrl,
      model: settings.ttsModel,
      apiKey: settings.ttsApiKey,
      poolSize: settings.enginePoolSize,
    });
    descriptions.push(description);
    return engine;
  } catch (err) {
    if (err instanceof EngineError || err instanceof TypeError) throw new AppConfigError(err.message);
    throw err;
  }
}

function chooseAudio(settings: CodaSettings, descriptions: string[]): AudioSource | undefined {
  const file = settings.audioFile;
  if (settings.microphone && file) throw new AppConfigError("microphone and audioFile (--microphone, --audio-file) cannot be used together");
  if (settings.microphone) {
    try {
      const mic = new MicrophoneSource();
      descriptions.push(`Audio: this machine's microphone (${mic.recorder.name})`);
      return mic;
    } catch (err) {
      throw new AppConfigError(messageOf(err));
    }
  }
  if (file) {
    descriptions.push(`Audio: WAV file ${file} for every voice turn`);
    return new FileSource({ path: file, realtime: true });
  }
  return undefined;
}

/** The voice-activity detector of the settings (Silero unless told otherwise, energy when Silero cannot load), or false for `vad: "off"`. */
async function chooseVad(settings: CodaSettings, descriptions: string[]): Promise<VadProvider | false> {
  if (settings.vad === "off") {
    descriptions.push("VAD: off (--vad off): only stt_stop or the end of the audio ends an utterance");
    return false;
  }
  const vad = await loadVad({
    detector: settings.vad,
    threshold: settings.vadThreshold,
    energyThreshold: settings.vadEnergyThreshold,
    levelGateDb: settings.vadLevelGateDb,
    ...(settings.enginePoolSize !== undefined ? { workers: settings.enginePoolSize } : {}),
    endpointing: { startMs: settings.vadMinSpeechMs, hangoverMs: settings.vadHangoverMs, maxUtteranceMs: settings.vadMaxUtteranceMs },
  }).catch((err: unknown) => {
    throw err instanceof TypeError ? new AppConfigError(err.message) : err;
  });
  descriptions.push(vad.description);
  return vad;
}

/** The start-up line about barge-in by voice: when speaking over an answer interrupts it, or why it cannot. */
function describeBargeIn(settings: CodaSettings, vad: VadProvider | false, audio: AudioSource | undefined): string {
  if (settings.bargeIn === "off") return "Barge-in by voice: off (--barge-in off): in continuous mode, listening resumes when the answer has been heard";
  if (vad === false) return "Barge-in by voice: unavailable with --vad off (no detector hears speech over the answer); stt_start and text_input still interrupt";
  if (audio) return `Barge-in by voice: unavailable for ${audio.kind === "microphone" ? "this machine's microphone" : "the audio file"} (not echo-cancelled, and only client audio streams are watched); stt_start and text_input still interrupt`;
  const after = `after ${settings.bargeInMinMs} ms of speech`;
  return settings.bargeIn === "on"
    ? `Barge-in by voice: on (--barge-in on), ${after}, for every continuous client stream (without echo cancellation the assistant may interrupt itself)`
    : `Barge-in by voice: auto, ${after}, for continuous client streams whose stt_start says echo_cancellation (the dashboard's microphone when the browser applies it)`;
}

/** Ollama takes a duration ("5m") or a number of seconds (-1: forever); "-1" as a string is refused by it. */
function keepAlive(value: string | undefined): string | number | undefined {
  return value !== undefined && /^-?\d+$/.test(value) ? Number(value) : value;
}

async function chooseLlm(settings: CodaSettings, descriptions: string[], signal: AbortSignal, logger: Logger): Promise<LlmEngine> {
  try {
    const selection = await selectLlmEngine(
      {
        engine: settings.llmEngine,
        model: settings.llmModel,
        temperature: settings.llmTemperature,
        ollamaUrl: settings.ollamaUrl,
        numCtx: settings.ollamaNumCtx,
        keepAlive: keepAlive(settings.ollamaKeepAlive),
        openaiBaseUrl: settings.openaiBaseUrl,
        apiKey: settings.openaiApiKey,
        deadlineMs: settings.llmDeadlineMs + LLM_BACKSTOP_GRACE_MS,
      },
      { signal, logger },
    );
    // The model is the first thing a user wants to know about.
    descriptions.unshift(selection.description);
    return selection.engine;
  } catch (err) {
    if (err instanceof EngineError) throw new AppConfigError(err.message);
    throw err;
  }
}

/** Validate the settings part of the options: unknown keys and bad values are one TypeError naming them. */
function resolveSettings(input: CodaSettingsInput): CodaSettings {
  const parsed = SettingsSchema.safeParse(input);
  if (!parsed.success) throw new TypeError(`Invalid createCodaServer option: ${describeIssues(issuesFromZod(parsed.error))}`);
  return parsed.data;
}

async function closeAll(engines: Partial<VoiceEngines>): Promise<void> {
  await Promise.allSettled([engines.stt?.close(), engines.llm?.close(), engines.tts?.close(), engines.memory?.close()]);
}

/**
 * Build and start the whole pipeline, as `npm start` runs it.
 *
 * @example
 * import { createCodaServer, defineTool } from "coda-core";
 * import { z } from "zod";
 * const dice = defineTool({ name: "roll_die", description: "Roll a six-sided die", input: z.object({}), handler: () => 1 + Math.floor(Math.random() * 6) });
 * const coda = await createCodaServer({ port: 0, memoryDb: "off", tools: [dice] });
 * console.log(`open ${coda.url.replace("ws", "http")}/`);
 * await coda.stop();
 *
 * @throws TypeError for an unknown option or an invalid value (the message names it), or custom tools that cannot be registered;
 *   AppConfigError for settings that cannot work here (a chosen engine or program is missing) and tool modules that cannot be used;
 *   the listen error (e.g. EADDRINUSE) when the port cannot be bound. Nothing is left running after a throw.
 */
export async function createCodaServer(options: CodaServerOptions = {}): Promise<CodaServer> {
  const { engines: given = {}, tools: toolSources = [], logger: givenLogger, server: serverExtra, profiles: givenProfiles = [], signal = new AbortController().signal, ...settingsInput } = options;
  const settings = resolveSettings({ ...settingsInput, tools: toolSources.filter((t): t is string => typeof t === "string") });
  if (given.tools && toolSources.length > 0) throw new TypeError("Give custom tools either as `tools` or as `engines.tools` (a whole ToolRunner), not both");
  const logger = givenLogger ?? loggerFor(settings);
  const serverOptions: ServerOptionsInput = {
    host: settings.host,
    port: settings.port,
    replaySize: settings.replaySize,
    replayMaxBytes: settings.replayMaxBytes,
    replayTurns: settings.replayTurns,
    metrics: settings.metrics,
    allowedOrigins: settings.allowedOrigins,
    allowedHosts: settings.allowedHosts,
    maxFrameBytes: settings.maxFrameBytes,
    maxCommandBytes: settings.maxCommandBytes,
    maxBufferedBytes: settings.maxBufferedBytes,
    maxClients: settings.maxClients,
    heartbeatMs: settings.heartbeatMs,
    presenceIntervalMs: settings.presenceIntervalMs,
    ratePerSecond: settings.ratePerSecond,
    rateBurst: settings.rateBurst,
    audioFramesPerSecond: settings.audioFramesPerSecond,
    compat: settings.compat,
    token: settings.token,
    tokenSecret: settings.tokenSecret,
    maxSessions: settings.maxSessions,
    sessionIdleMs: settings.sessionIdleMs,
    ...serverExtra,
  };
  // Cross-setting rules (a token beyond loopback, a compat profile nobody registered, ...) fail before any engine is built.
  resolveServerOptions(serverOptions);
  const profiles = [...givenProfiles, ...(givenProfiles.some((p) => p.name === "coda-lite") ? [] : [createCodaLiteProfile()])];
  checkProfiles(profiles, settings.compat);
  const descriptions: string[] = [];

  let custom;
  try {
    custom = await resolveToolSources(toolSources, { deadlineMs: settings.toolImportDeadlineMs });
  } catch (err) {
    if (err instanceof ToolModuleError) throw new AppConfigError(err.message);
    throw err;
  }
  const audio = chooseAudio(settings, descriptions);
  // The model loads (in its worker) while the language model is probed.
  const vadDescriptions: string[] = [];
  const vadLoading = chooseVad(settings, vadDescriptions);
  vadLoading.catch(() => {});
  const built: Partial<VoiceEngines> = {};
  let engines: VoiceEngines;
  let vad: VadProvider | false;
  let warming: Promise<void>;
  let recogniserWarming: Promise<void> = Promise.resolve();
  const warmUp = new AbortController();
  try {
    const memory = (built.memory = given.memory ?? (await openMemory(settings, descriptions, logger)));
    if (given.memory) descriptions.push(`Memory: ${memory.name} (given by the caller)`);
    let tools = given.tools;
    if (!tools) {
      const registry = new ToolRegistry({ tools: createBuiltinTools({ memory, timezone: settings.timezone }) });
      for (const { tool, from } of custom) {
        try {
          registry.register(tool);
        } catch (err) {
          throw new TypeError(`Custom tool from ${from}: ${messageOf(err)}`, { cause: err });
        }
      }
      if (custom.length > 0) descriptions.push(`Tools: ${registry.names().join(", ")}`);
      tools = registry;
    }
    const llm = (built.llm = given.llm ?? (await chooseLlm(settings, descriptions, signal, logger)));
    if (given.llm) descriptions.unshift(`LLM: ${llm.name} model "${llm.model}" (given by the caller)`);
    const stt = (built.stt = given.stt ?? chooseStt(settings, descriptions));
    if (given.stt) descriptions.push(`STT: ${stt.name} (given by the caller)`);
    const tts = (built.tts = given.tts ?? chooseTts(settings, descriptions));
    if (given.tts) descriptions.push(`TTS: ${tts.name}, voice ${tts.voice} (given by the caller)`);
    engines = { stt, llm, tts, memory, tools };
    // The engines built here warm up while the rest starts (warm-up.ts): listening waits for speech synthesis,
    // which every first answer needs; the recogniser, needed only once someone has spoken, goes on warming after.
    warming = warmEngines({ tts: built.tts, llm: built.llm }, logger, AbortSignal.any([signal, warmUp.signal]));
    recogniserWarming = warmEngines({ stt: built.stt }, logger, warmUp.signal);
    // While the speech worker loads on its thread, this one compiles the wire schemas.
    warmProtocol();
    vad = await vadLoading;
    descriptions.push(...vadDescriptions, describeBargeIn(settings, vad, audio));
  } catch (err) {
    warmUp.abort();
    await closeAll({ ...built, ...given });
    const loaded = await vadLoading.catch(() => false as const);
    if (loaded) await loaded.close();
    throw err;
  }

  // The inspector and tracing are loaded only when turned on; their packages are optional.
  const traceSettings: TracingSettings = { tracing: settings.tracing, tracingEndpoint: settings.tracingEndpoint, tracingContent: settings.tracingContent };
  let inspection: Inspection<object> | null = null;
  let tracingModule: typeof import("../telemetry/tracing.js") | null = null;
  try {
    // The relay holds the conversation: it takes the server's token and Origin/Host rules.
    if (settings.inspect) inspection = await attachInspector({}, { token: settings.token, allowedOrigins: settings.allowedOrigins, allowedHosts: settings.allowedHosts });
    if (tracingEnabled(traceSettings)) tracingModule = await loadOptional("tracing", () => import("../telemetry/tracing.js"));
  } catch (err) {
    warmUp.abort();
    await closeAll({ ...built, ...given });
    if (vad) await vad.close();
    await inspection?.close();
    throw err instanceof MissingPackageError ? new AppConfigError(err.message) : err;
  }
  if (inspection?.description) descriptions.push(inspection.description);

  // One tracer for every session: each session's turns are traced under its id (turn ids are per session).
  const tracing = tracingModule ? tracingModule.startTracing({ ...traceSettings, logger }) : null;
  if (tracing) descriptions.push(`Tracing: one OpenTelemetry trace per turn, over OTLP/HTTP to ${tracesUrl(traceSettings)}${traceSettings.tracingContent ? " (with speech and memory text)" : ""}`);

  /**
   * The pipeline of one session: its own voice machine over the shared
   * engines (which the bridges do not close: stop() does, once every session
   * has stopped), with its own view of the VAD (what it learns of its user's
   * level) and its own playout and latency window.
   */
  const sessionPipeline = (id: string, extra: Pick<BridgeOptions, "audio">): Bridge => {
    const pipeline = createBridge({
      engines,
      closeEngines: false,
      machine: {
      deadlines: {
        sttMs: settings.sttDeadlineMs,
        memoryMs: settings.memoryDeadlineMs,
        llmMs: settings.llmDeadlineMs,
        toolMs: settings.toolDeadlineMs,
        ttsMs: settings.ttsDeadlineMs,
      },
      systemPrompt: settings.systemPrompt,
    },
      // One conversation: its utterances and barge-in monitors share what they learn of the user's level.
      vad: vad && withSpeakerLevel(vad),
      bargeIn: settings.bargeIn,
      bargeInMinMs: settings.bargeInMinMs,
      audioLeadMs: settings.audioLeadMs,
      synthesisAheadMs: settings.synthesisAheadMs,
      ttsProgressMs: settings.ttsProgressMs,
      ...extra,
      ...(inspection ? { actorOptions: inspection.actorOptions } : {}),
      logger,
    });
    // One trace per turn, read from the same events the clients get.
    if (tracing) pipeline.subscribe((e) => tracing.observe(e, id));
    return pipeline;
  };
  // The default session is the one this machine's microphone, audio file and speakers belong to.
  const bridge = sessionPipeline(DEFAULT_SESSION_ID, audio ? { audio } : {});

  let server: WebSocketServer;
  try {
    server = new WebSocketServer({
      ...serverOptions,
      pipeline: bridge,
      sessions: (id) => sessionPipeline(id, {}),
      profiles,
      // /health and /metrics report the store; while one that should answer cannot (PostgreSQL lost), new turns are refused.
      dependencies: [memoryDependency(engines.memory, { requiredForTurns: !(engines.memory instanceof UnopenedMemoryStore) })],
      logger,
    });
  } catch (err) {
    await bridge.stop();
    await closeAll(engines);
    await tracing?.close();
    await inspection?.close();
    throw err;
  }
  // A store that could not be opened answers every viewer command with its opening error (e.g. corrupt).
  registerMemoryCommands(server, engines.memory, { logger });

  let stopSpeakers: (() => void) | undefined;
  if (settings.speak) {
    const player = findPlayer();
    if (!player) {
      descriptions.push(`Speakers: ${NO_PLAYER_MESSAGE}`);
    } else {
      stopSpeakers = playOnSpeakers(bridge, engines.tts.format, player, logger);
      descriptions.push(`Speakers: playing answers through ${player.name}`);
    }
  }
  const stop = async () => {
    warmUp.abort();
    await recogniserWarming;
    // Every session's pipeline stops with the server (a server that never started stops them too), then the engines they shared.
    await server.stop();
    await bridge.stop();
    await closeAll(engines);
    await tracing?.close();
    stopSpeakers?.();
    await inspection?.close();
    if (vad) await vad.close();
  };
  try {
    await warming;
    await server.start();
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: server.url, server, pipeline: bridge, engines, settings, descriptions, inspectorUrl: inspection?.pageUrl ?? null, stop };
}
