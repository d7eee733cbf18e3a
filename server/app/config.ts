/**
 * The one configuration: every setting with its CLI flag, environment
 * variable, zod schema (which holds its default) and description. The
 * settings type (`CodaSettings`) is inferred from this table, so the
 * composition root reads typed values without casts. Sources, highest
 * precedence first: CLI flags, environment variables, the JSON config file
 * (--config), defaults. API keys are `secret`: read only from the
 * environment (never a flag or a config-file key) and never printed.
 * `--help` and docs/configuration.md are generated from this table.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { TTS_ENGINE_NAMES } from "../../actors/tts/types.js";
import { HttpUrl } from "../../actors/http.js";
import { MAX_POOL_SIZE } from "../../actors/engine-pool.js";
import { OLLAMA_DEFAULT_BASE_URL } from "../../actors/llm/ollama.js";
import { OPENAI_DEFAULT_BASE_URL } from "../../actors/llm/openai.js";
import { DEFAULT_MIN_SCORE } from "../../actors/memory/relevance.js";
import { DEFAULT_BARGE_IN_MIN_MS } from "../../actors/stt/barge-in.js";
import { VAD_DEFAULTS } from "../../actors/stt/vad.js";
import { SILERO_DEFAULTS } from "../../actors/stt/vad-silero.js";
import { LEVEL_GATE_DEFAULTS } from "../../actors/stt/vad-level-gate.js";
import { DEFAULT_DEADLINES, DEFAULT_SYSTEM_PROMPT } from "../../machines/voice-types.js";
import { LOG_LEVELS } from "./logger.js";
import { DEFAULT_SYNTHESIS_AHEAD_MS } from "../pipeline/playout.js";
import { DEFAULT_TOOL_IMPORT_DEADLINE_MS } from "./tool-modules.js";
import { ServerOptionsSchema } from "../transport/options.js";

/** How a setting is written on the command line and in the environment. */
export type SettingKind = "string" | "number" | "boolean" | "list";

export interface SettingSpec {
  kind: SettingKind;
  /** Long flag without the dashes; absent for secrets. */
  flag?: string;
  /** Environment variables, the first one set wins. */
  env: readonly [string, ...string[]];
  /** Validation and the default (`.default(...)`), or `.optional()` when there is none. */
  schema: z.ZodType;
  /** Keep descriptions short: they are the --help text. */
  description: string;
  /** Read only from the environment; never a flag or a config-file key; never printed. */
  secret?: true;
}

const server = ServerOptionsSchema.shape;
const positiveInt = z.number().int().positive();
const ms = (value: number) => positiveInt.default(value);

/** Every setting, in the order of --help and docs/configuration.md. */
export const SETTINGS = {
  host: { kind: "string", flag: "host", env: ["CODA_HOST"], schema: server.host, description: "Interface to listen on (localhost = 127.0.0.1 and ::1). Beyond loopback a token is required." },
  port: { kind: "number", flag: "port", env: ["CODA_PORT"], schema: server.port, description: "TCP port; 0 picks a free one." },
  replaySize: { kind: "number", flag: "replay-size", env: ["CODA_REPLAY_SIZE"], schema: server.replaySize, description: "Most logged events kept for resume (?since=N); see docs/protocol.md, section On connect." },
  replayMaxBytes: { kind: "number", flag: "replay-max-bytes", env: ["CODA_REPLAY_MAX_BYTES"], schema: server.replayMaxBytes, description: "Most bytes of logged events (their JSON) kept for resume; the oldest go first." },
  replayTurns: { kind: "number", flag: "replay-turns", env: ["CODA_REPLAY_TURNS"], schema: server.replayTurns, description: "Turns a new client's replay holds whole, however many progress events they had." },
  token: { kind: "string", flag: "token", env: ["CODA_TOKEN"], schema: server.token, description: "Shared secret (16+ chars) clients must send as 'Authorization: Bearer' or subprotocol coda-token.<token>; it admits every session and user." },
  tokenSecret: { kind: "string", flag: "token-secret", env: ["CODA_TOKEN_SECRET"], schema: server.tokenSecret, description: "Secret (32+ chars) of session-scoped tokens: JWTs signed with it (HS256) whose claims session and user name what each admits; presented like the token. See docs/protocol.md, Sessions and users." },
  allowedOrigins: { kind: "list", flag: "allowed-origin", env: ["CODA_ALLOWED_ORIGINS"], schema: server.allowedOrigins, description: "Extra browser origin allowed to connect (repeatable; env: comma-separated)." },
  allowedHosts: { kind: "list", flag: "allowed-host", env: ["CODA_ALLOWED_HOSTS"], schema: server.allowedHosts, description: "Extra Host header name accepted (repeatable; env: comma-separated)." },
  maxFrameBytes: { kind: "number", flag: "max-frame-bytes", env: ["CODA_MAX_FRAME_BYTES"], schema: server.maxFrameBytes, description: "Largest WebSocket frame; bigger ones close the connection with 1009." },
  maxCommandBytes: { kind: "number", flag: "max-command-bytes", env: ["CODA_MAX_COMMAND_BYTES"], schema: server.maxCommandBytes, description: "Largest text command; bigger ones get command_error too_large." },
  maxBufferedBytes: { kind: "number", flag: "max-buffered-bytes", env: ["CODA_MAX_BUFFERED_BYTES"], schema: server.maxBufferedBytes, description: "Bytes queued for one client before it is closed with 1013 as too slow." },
  maxClients: { kind: "number", flag: "max-clients", env: ["CODA_MAX_CLIENTS"], schema: server.maxClients, description: "Concurrent clients; more are refused with HTTP 503." },
  heartbeatMs: { kind: "number", flag: "heartbeat-ms", env: ["CODA_HEARTBEAT_MS"], schema: server.heartbeatMs, description: "Ping interval; a client that misses a pong by the next ping is terminated." },
  maxSessions: { kind: "number", flag: "max-sessions", env: ["CODA_MAX_SESSIONS"], schema: server.maxSessions, description: "Sessions (conversations, ?session=<id>) open at once, default included; a join that would open one more is refused with HTTP 503." },
  sessionIdleMs: { kind: "number", flag: "session-idle-ms", env: ["CODA_SESSION_IDLE_MS"], schema: server.sessionIdleMs, description: "A session with no clients and its machine idle is closed after this long and its memory freed (the default session never is); a later join starts it anew." },
  presenceIntervalMs: { kind: "number", flag: "presence-interval-ms", env: ["CODA_PRESENCE_INTERVAL_MS"], schema: server.presenceIntervalMs, description: "Clients coming and going within this window are announced together in one connection_status clients_changed." },
  ratePerSecond: { kind: "number", flag: "rate-per-second", env: ["CODA_RATE_PER_SECOND"], schema: server.ratePerSecond, description: "Sustained commands per second per client." },
  rateBurst: { kind: "number", flag: "rate-burst", env: ["CODA_RATE_BURST"], schema: server.rateBurst, description: "Commands a client may send in a burst." },
  audioFramesPerSecond: { kind: "number", flag: "audio-frames-per-second", env: ["CODA_AUDIO_FRAMES_PER_SECOND"], schema: server.audioFramesPerSecond, description: "Binary audio frames per second per client (apart from commands); 100 allows 10 ms frames." },
  vad: { kind: "string", flag: "vad", env: ["CODA_VAD"], schema: z.enum(["silero", "energy", "off"]).default("silero"), description: "Voice-activity detector that ends utterances: silero (Silero VAD v5 neural network, in-process; falls back to energy if it cannot load), energy (level threshold), off (only stt_stop ends an utterance)." },
  vadThreshold: { kind: "number", flag: "vad-threshold", env: ["CODA_VAD_THRESHOLD"], schema: z.number().gt(0).lt(1).default(SILERO_DEFAULTS.threshold), description: "Speech threshold: Silero speech probability (0..1) at which a 32 ms frame counts as speech." },
  vadEnergyThreshold: { kind: "number", flag: "vad-energy-threshold", env: ["CODA_VAD_ENERGY_THRESHOLD"], schema: z.number().gt(0).lt(1).default(VAD_DEFAULTS.threshold), description: "Speech threshold of the energy detector: RMS level (0..1 of full scale) above which a 20 ms frame counts as speech." },
  vadMinSpeechMs: { kind: "number", flag: "vad-min-speech-ms", env: ["CODA_VAD_MIN_SPEECH_MS"], schema: z.number().int().min(0).max(5000).default(SILERO_DEFAULTS.startMs), description: "Minimum speech: consecutive speech that starts an utterance (shorter clicks and coughs are ignored)." },
  vadHangoverMs: { kind: "number", flag: "vad-hangover-ms", env: ["CODA_VAD_HANGOVER_MS"], schema: ms(SILERO_DEFAULTS.hangoverMs), description: "End-of-speech silence: non-speech after speech that ends an utterance." },
  vadMaxUtteranceMs: { kind: "number", flag: "vad-max-utterance-ms", env: ["CODA_VAD_MAX_UTTERANCE_MS"], schema: ms(SILERO_DEFAULTS.maxUtteranceMs), description: "Maximum utterance: an utterance this long is ended anyway." },
  vadLevelGateDb: { kind: "number", flag: "vad-level-gate-db", env: ["CODA_VAD_LEVEL_GATE_DB"], schema: z.number().min(0).max(40).default(LEVEL_GATE_DEFAULTS.marginDb), description: "Speaker-level gate (Silero): speech more than this many dB below the level of the user's own speech does not count, so a television or people talking across the room neither keep an utterance open nor interrupt an answer; 0 turns it off. See docs/engines-speech.md." },
  bargeIn: { kind: "string", flag: "barge-in", env: ["CODA_BARGE_IN"], schema: z.enum(["auto", "on", "off"]).default("auto"), description: "Barge-in by voice, in continuous mode (speaking over the answer cuts it and starts the next turn): auto = only for client audio whose stt_start says echo_cancellation (the dashboard's microphone), on = every client stream, off = never. Needs a VAD; see docs/voice-machine.md." },
  bargeInMinMs: { kind: "number", flag: "barge-in-min-ms", env: ["CODA_BARGE_IN_MIN_MS"], schema: z.number().int().min(20).max(5000).default(DEFAULT_BARGE_IN_MIN_MS), description: "Speech over an answer that interrupts it (barge-in): this many ms of speech frames, so a cough or a click does not." },
  audioLeadMs: { kind: "number", flag: "audio-lead-ms", env: ["CODA_AUDIO_LEAD_MS"], schema: z.number().int().min(0).max(60_000).default(1000), description: "Most synthesised audio sent to a listener ahead of its playback; a stop leaves at most this much in its buffer." },
  synthesisAheadMs: { kind: "number", flag: "synthesis-ahead-ms", env: ["CODA_SYNTHESIS_AHEAD_MS"], schema: z.number().int().min(0).max(3_600_000).default(DEFAULT_SYNTHESIS_AHEAD_MS), description: "Most synthesised audio held for listeners that have not been sent it yet; past it the answer's next sentence waits for playout to catch up (bounds memory and wasted synthesis on a stop; 0 synthesises just in time)." },
  ttsProgressMs: { kind: "number", flag: "tts-progress-ms", env: ["CODA_TTS_PROGRESS_MS"], schema: z.number().int().min(0).max(60_000).default(0), description: "tts_progress granularity: 0 sends one per sentence, N one per N ms of audio." },
  compat: { kind: "string", flag: "compat", env: ["CODA_COMPAT"], schema: server.compat, description: "Compatibility profile for clients that do not ask with ?compat=: none (protocol v1 only) or coda-lite (Coda Lite's dashboard and test clients; see docs/compat-coda-lite.md)." },
  verbose: { kind: "boolean", flag: "verbose", env: ["CODA_VERBOSE"], schema: z.boolean().default(false), description: "Log connections and other info lines to stderr (the same as --log-level info)." },
  // --- operations (docs/operations.md) ---
  logLevel: { kind: "string", flag: "log-level", env: ["CODA_LOG_LEVEL"], schema: z.enum(LOG_LEVELS).default("warn"), description: "Lowest log level written to stderr: debug, info, warn, error or silent. JSON lines unless stderr is a terminal." },
  metrics: { kind: "boolean", flag: "metrics", env: ["CODA_METRICS"], schema: server.metrics, description: "Serve Prometheus metrics at /metrics (JSON latency figures stay at /metrics.json either way)." },
  tracing: { kind: "boolean", flag: "tracing", env: ["CODA_TRACING"], schema: z.boolean().default(false), description: "Export an OpenTelemetry trace per turn over OTLP/HTTP. Also on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (off again with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none)." },
  tracingEndpoint: { kind: "string", flag: "tracing-endpoint", env: ["CODA_TRACING_ENDPOINT"], schema: HttpUrl.optional(), description: "OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (default: from the OTEL_EXPORTER_OTLP_* variables, else that URL)." },
  tracingContent: { kind: "boolean", flag: "tracing-content", env: ["CODA_TRACING_CONTENT"], schema: z.boolean().default(false), description: "Put user speech, answers, tool arguments and memory text in span attributes (off: only sizes, ids and timings)." },
  inspect: { kind: "boolean", flag: "inspect", env: ["CODA_INSPECT"], schema: z.boolean().default(false), description: "Connect the voice machine to the Stately inspector (loopback only); see docs/inspect.md." },
  // --- engines ---
  llmEngine: { kind: "string", flag: "llm-engine", env: ["CODA_LLM_ENGINE"], schema: z.enum(["auto", "ollama", "openai", "builtin"]).default("auto"), description: "Language model: auto (Ollama if one answers with a model, else builtin), ollama, openai, builtin." },
  llmModel: { kind: "string", flag: "llm-model", env: ["CODA_LLM_MODEL"], schema: z.string().min(1).optional(), description: "Model name; default: the configured server's first model." },
  llmTemperature: { kind: "number", flag: "llm-temperature", env: ["CODA_LLM_TEMPERATURE"], schema: z.number().min(0).max(2).optional(), description: "Sampling temperature (Ollama and OpenAI-compatible)." },
  systemPrompt: { kind: "string", flag: "system-prompt", env: ["CODA_SYSTEM_PROMPT"], schema: z.string().min(1).default(DEFAULT_SYSTEM_PROMPT), description: "System prompt given to the model first in every turn." },
  ollamaUrl: { kind: "string", flag: "ollama-url", env: ["CODA_OLLAMA_URL"], schema: HttpUrl.default(OLLAMA_DEFAULT_BASE_URL), description: "Ollama address." },
  ollamaNumCtx: { kind: "number", flag: "ollama-num-ctx", env: ["CODA_OLLAMA_NUM_CTX"], schema: positiveInt.optional(), description: "Ollama context length (num_ctx)." },
  ollamaKeepAlive: { kind: "string", flag: "ollama-keep-alive", env: ["CODA_OLLAMA_KEEP_ALIVE"], schema: z.string().min(1).optional(), description: "Ollama keep_alive: a duration such as 5m, or seconds (-1 keeps the model loaded; on the command line write --ollama-keep-alive=-1)." },
  openaiBaseUrl: { kind: "string", flag: "openai-base-url", env: ["CODA_OPENAI_BASE_URL"], schema: HttpUrl.default(OPENAI_DEFAULT_BASE_URL), description: "OpenAI-compatible chat API root (llama.cpp server, vLLM, LM Studio, LocalAI, hosted)." },
  openaiApiKey: { kind: "string", env: ["CODA_OPENAI_API_KEY", "OPENAI_API_KEY"], secret: true, schema: z.string().min(1).optional(), description: "Bearer key of the OpenAI-compatible chat server." },
  sttEngine: { kind: "string", flag: "stt-engine", env: ["CODA_STT_ENGINE"], schema: z.enum(["auto", "pocketsphinx", "openai", "none"]).default("auto"), description: "Speech recognition: auto (openai when --stt-url is set, else PocketSphinx when installed, else none), pocketsphinx, openai, none." },
  sttUrl: { kind: "string", flag: "stt-url", env: ["CODA_STT_URL"], schema: HttpUrl.optional(), description: "OpenAI-compatible transcription API root, e.g. http://127.0.0.1:8000/v1 (speaches, whisper.cpp server)." },
  sttModel: { kind: "string", flag: "stt-model", env: ["CODA_STT_MODEL"], schema: z.string().min(1).default("whisper-1"), description: "Transcription model name." },
  sttLanguage: { kind: "string", flag: "stt-language", env: ["CODA_STT_LANGUAGE"], schema: z.string().min(1).optional(), description: "Language hint for transcription, e.g. en." },
  sttApiKey: { kind: "string", env: ["CODA_STT_API_KEY"], secret: true, schema: z.string().min(1).optional(), description: "Bearer key of the OpenAI-compatible transcription server." },
  ttsEngine: { kind: "string", flag: "tts-engine", env: ["CODA_TTS_ENGINE"], schema: z.enum(TTS_ENGINE_NAMES).default("auto"), description: "Speech synthesis: auto (Flite, or eSpeak NG when --tts-voice is not a Flite voice), flite (embedded, English), espeak (embedded eSpeak NG, many languages), festival (Debian festival, when installed), openai (OpenAI-compatible /audio/speech), none (text only)." },
  ttsVoice: { kind: "string", flag: "tts-voice", env: ["CODA_TTS_VOICE"], schema: z.string().min(1).optional(), description: "Voice: Flite rms (default), slt, awb, kal16 or kal; eSpeak voice such as fr or en-gb+f3 (picks eSpeak; default en-us); Festival voice (default cmu_us_slt_arctic_hts); OpenAI-compatible voice such as alloy (default alloy)." },
  ttsRate: { kind: "number", flag: "tts-rate", env: ["CODA_TTS_RATE"], schema: z.number().int().min(80).max(450).default(175), description: "eSpeak words per minute." },
  ttsPitch: { kind: "number", flag: "tts-pitch", env: ["CODA_TTS_PITCH"], schema: z.number().int().min(0).max(99).default(50), description: "eSpeak pitch." },
  ttsUrl: { kind: "string", flag: "tts-url", env: ["CODA_TTS_URL"], schema: HttpUrl.default("http://127.0.0.1:8880/v1"), description: "OpenAI-compatible speech API root (Kokoro-FastAPI, openedai-speech, hosted)." },
  ttsModel: { kind: "string", flag: "tts-model", env: ["CODA_TTS_MODEL"], schema: z.string().min(1).default("tts-1"), description: "OpenAI-compatible speech model." },
  ttsApiKey: { kind: "string", env: ["CODA_TTS_API_KEY"], secret: true, schema: z.string().min(1).optional(), description: "Bearer key of the OpenAI-compatible speech server." },
  speak: { kind: "boolean", flag: "speak", env: ["CODA_SPEAK"], schema: z.boolean().default(false), description: "Also play answers on this machine's speakers (aplay, paplay, ffplay or sox's play)." },
  microphone: { kind: "boolean", flag: "microphone", env: ["CODA_MICROPHONE"], schema: z.boolean().default(false), description: "Listen on this machine's microphone (arecord or sox's rec) instead of client audio." },
  audioFile: { kind: "string", flag: "audio-file", env: ["CODA_AUDIO_FILE"], schema: z.string().min(1).optional(), description: "Use this WAV file as the audio of every voice turn (testing without a microphone)." },
  enginePoolSize: { kind: "number", flag: "engine-pool-size", env: ["CODA_ENGINE_POOL_SIZE"], schema: z.number().int().min(1).max(MAX_POOL_SIZE).optional(), description: "Engines shared by all sessions: most sentences synthesised at once (Flite, eSpeak NG worker threads), VAD frames scored at once (Silero worker threads) and PocketSphinx processes at once; more wait in line and the wait is in latency_trace (*_queued_ms). Default: the number of cores (os.availableParallelism()). See docs/engines-speech.md, Pools." },
  // --- memory and tools ---
  memoryDb: { kind: "string", flag: "memory-db", env: ["CODA_MEMORY_DB"], schema: z.string().min(1).default("~/.coda/memory.db"), description: "Long-term memory: a SQLite file, a PostgreSQL URL (postgres://user:password@host:5432/db, shared by every node; see docs/memory.md), or 'off' to keep memory in this process only." },
  memoryMaxItems: { kind: "number", flag: "memory-max-items", env: ["CODA_MEMORY_MAX_ITEMS"], schema: positiveInt.default(10_000), description: "Retention cap: most memories kept per user (least important, then oldest, go first)." },
  memoryMinScore: { kind: "number", flag: "memory-min-score", env: ["CODA_MEMORY_MIN_SCORE"], schema: z.number().min(0).max(1).default(DEFAULT_MIN_SCORE), description: "Relevance floor (0..1) of the recall before each answer: memories scoring below it are neither shown in memory_recall nor given to the model (0 keeps every match); see docs/memory.md, Relevance." },
  timezone: { kind: "string", flag: "timezone", env: ["CODA_TIMEZONE"], schema: z.string().min(1).optional(), description: "Default IANA time zone of the get_time tool (default: the server's)." },
  tools: { kind: "list", flag: "tool", env: ["CODA_TOOLS"], schema: z.array(z.string().min(1)).default([]), description: "ES module file whose default export is a tool (defineTool) or an array of tools, added next to the built-ins (repeatable; env: comma-separated; relative paths from the working directory); see docs/tools.md." },
  // --- deadlines ---
  sttDeadlineMs: { kind: "number", flag: "stt-deadline-ms", env: ["CODA_STT_DEADLINE_MS"], schema: ms(DEFAULT_DEADLINES.sttMs), description: "Listening, from stt_start to the final transcript." },
  memoryDeadlineMs: { kind: "number", flag: "memory-deadline-ms", env: ["CODA_MEMORY_DEADLINE_MS"], schema: ms(DEFAULT_DEADLINES.memoryMs), description: "One memory recall or store." },
  llmDeadlineMs: { kind: "number", flag: "llm-deadline-ms", env: ["CODA_LLM_DEADLINE_MS"], schema: ms(DEFAULT_DEADLINES.llmMs), description: "One model request." },
  toolDeadlineMs: { kind: "number", flag: "tool-deadline-ms", env: ["CODA_TOOL_DEADLINE_MS"], schema: ms(DEFAULT_DEADLINES.toolMs), description: "One round of tool calls." },
  ttsDeadlineMs: { kind: "number", flag: "tts-deadline-ms", env: ["CODA_TTS_DEADLINE_MS"], schema: ms(DEFAULT_DEADLINES.ttsMs), description: "Synthesis of one sentence." },
  toolImportDeadlineMs: { kind: "number", flag: "tool-import-deadline-ms", env: ["CODA_TOOL_IMPORT_DEADLINE_MS"], schema: ms(DEFAULT_TOOL_IMPORT_DEADLINE_MS), description: "Loading one tool module (--tool) at start-up; one that takes longer (a top-level await that never settles) stops start-up, naming the file." },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;

type SettingsShape = { [K in SettingKey]: (typeof SETTINGS)[K]["schema"] };

function settingsShape(): SettingsShape {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, spec] of settingEntries()) shape[key] = spec.schema;
  // Built key by key from SETTINGS itself, so it is SettingsShape.
  return shape as SettingsShape;
}

/** Every setting as one object schema: `CodaSettings` is its output, unknown keys are refused. */
export const SettingsSchema = z.strictObject(settingsShape());

/** Resolved settings (defaults applied), as the composition root reads them. */
export type CodaSettings = z.output<typeof SettingsSchema>;
/** Settings as a caller writes them: every one optional. */
export type CodaSettingsInput = z.input<typeof SettingsSchema>;

/** The table's entries with their keys, in order. */
export function settingEntries(): [SettingKey, SettingSpec][] {
  return Object.entries(SETTINGS) as [SettingKey, SettingSpec][];
}

/** The default of a setting (from its schema), or undefined when it has none. */
export function defaultOf(spec: SettingSpec): unknown {
  const parsed = spec.schema.safeParse(undefined);
  return parsed.success ? parsed.data : undefined;
}

/** A setting that could not be read; the message names the setting and its source. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const KIND_SCHEMA = { string: z.string(), number: z.number(), boolean: z.boolean(), list: z.array(z.string()) } as const;

/** Text from a flag or the environment to the setting's kind; config-file values are JSON already. */
function fromText(key: string, spec: SettingSpec, raw: string, where: string): unknown {
  switch (spec.kind) {
    case "number":
      if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) throw new ConfigError(`Invalid ${key} (from ${where}): expected a number, got "${raw}"`);
      return Number(raw);
    case "boolean":
      if (!/^(1|0|true|false|yes|no)$/i.test(raw)) throw new ConfigError(`Invalid ${key} (from ${where}): expected true or false, got "${raw}"`);
      return /^(1|true|yes)$/i.test(raw);
    case "list":
      return splitList([raw]);
    case "string":
      return raw;
  }
}

const splitList = (raw: readonly string[]) => raw.flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);

function check(key: string, spec: SettingSpec, value: unknown, where: string): void {
  const result = spec.schema.safeParse(value);
  if (!KIND_SCHEMA[spec.kind].safeParse(value).success) throw new ConfigError(`Invalid ${key} (from ${where}): expected ${spec.kind}`);
  // A secret's value is never repeated in a message.
  if (!result.success) throw new ConfigError(`Invalid ${key} (from ${where}): ${result.error.issues.map((i) => i.message).join("; ")}`);
}

export interface LoadedConfig {
  config: CodaSettings;
  help: boolean;
}

/** CLI-only flags (not settings). */
const EXTRA_FLAGS = {
  help: { type: "boolean", short: "h" },
  config: { type: "string" },
} as const;

function readConfigFile(path: string): Record<string, unknown> {
  let file: unknown;
  try {
    file = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (typeof file !== "object" || file === null || Array.isArray(file)) throw new ConfigError(`Config file ${path} must hold a JSON object`);
  const entries = Object.entries(file);
  for (const [k] of entries) {
    if (!Object.hasOwn(SETTINGS, k)) throw new ConfigError(`Unknown setting "${k}" in config file ${path}`);
    const spec: SettingSpec = SETTINGS[k as SettingKey];
    if (spec.secret) throw new ConfigError(`${k} is read only from the environment (${spec.env.join(" or ")}), never from a config file; remove it from ${path}`);
  }
  return Object.fromEntries(entries);
}

/**
 * Read the configuration from argv, the environment and the config file.
 * @throws ConfigError naming the setting that is wrong and where it came from.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = { ...EXTRA_FLAGS };
  for (const [, s] of settingEntries()) if (s.flag) options[s.flag] = { type: s.kind === "boolean" ? "boolean" : "string", ...(s.kind === "list" ? { multiple: true } : {}) };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. Run with --help for the list of options.`);
  }
  const configPath = typeof values.config === "string" ? values.config : env.CODA_CONFIG;
  const file = configPath ? readConfigFile(configPath) : {};
  const raw: Record<string, unknown> = {};
  for (const [key, s] of settingEntries()) {
    const flagValue = s.flag ? values[s.flag] : undefined;
    const envName = s.env.find((name) => env[name] !== undefined && env[name] !== "");
    let value: unknown;
    let where: string;
    if (flagValue !== undefined) {
      where = `--${s.flag}`;
      value = Array.isArray(flagValue) ? splitList(flagValue.map(String)) : typeof flagValue === "string" ? fromText(key, s, flagValue, where) : flagValue;
    } else if (envName) {
      where = envName;
      value = fromText(key, s, env[envName]!, where);
    } else if (file[key] !== undefined) {
      where = `config file ${configPath}`;
      value = file[key];
    } else continue;
    check(key, s, value, where);
    raw[key] = value;
  }
  return { config: SettingsSchema.parse(raw), help: values.help === true };
}

/** How a default reads in --help and the docs; undefined when there is none to show. */
export function formatDefault(spec: SettingSpec): string | undefined {
  const value = defaultOf(spec);
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return undefined;
  return Array.isArray(value) ? value.join(",") : String(value);
}

/** The --help text, one block per setting. */
export function helpText(): string {
  const lines = [
    "Usage: npm start -- [options]    (or: coda-core [options])",
    "",
    "Runs the Coda Core WebSocket server. Precedence: flags > environment > --config file > defaults.",
    "",
    "Options:",
    "  -h, --help                 Show this help and exit.",
    "  --config PATH              JSON file of settings (keys as in docs/configuration.md). Env: CODA_CONFIG",
  ];
  const secrets: string[] = [];
  for (const [, s] of settingEntries()) {
    if (!s.flag) {
      secrets.push(`  ${s.env.join(" or ")}: ${s.description}`);
      continue;
    }
    const arg = s.kind === "boolean" ? "" : s.kind === "number" ? " N" : " VALUE";
    const def = formatDefault(s);
    // At least one space between the flag column and the text, however long the flag.
    lines.push(`${`  --${s.flag}${arg}`.padEnd(28)} ${s.description}${def === undefined ? "" : ` (default: ${def})`} Env: ${s.env.join(", ")}`);
  }
  lines.push("", "API keys, read only from the environment (never a flag or config-file key, never printed):", ...secrets);
  return lines.join("\n") + "\n";
}
