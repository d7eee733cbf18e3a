/**
 * The one configuration: every setting with its CLI flag, environment
 * variable, default and description. Sources, highest precedence first:
 * CLI flags, environment variables, the JSON config file (--config), defaults.
 * `--help` and docs/configuration.md are generated from this table.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";

type Kind = "string" | "number" | "boolean" | "list";

export interface SettingSpec {
  /** Key in the config file and in the resolved config object. */
  key: string;
  flag: string;
  env: string;
  kind: Kind;
  description: string;
  default?: string | number | boolean | string[];
  /** Extra check beyond the kind. */
  schema?: z.ZodType;
}

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

/** Every setting. Keep descriptions short: they are the --help text. */
export const SETTINGS: SettingSpec[] = [
  { key: "host", flag: "host", env: "CODA_HOST", kind: "string", default: "localhost", description: "Interface to listen on (localhost = 127.0.0.1 and ::1). Beyond loopback a token is required." },
  { key: "port", flag: "port", env: "CODA_PORT", kind: "number", default: 8765, schema: port, description: "TCP port; 0 picks a free one." },
  { key: "replaySize", flag: "replay-size", env: "CODA_REPLAY_SIZE", kind: "number", default: 100, schema: z.number().int().min(0).max(100_000), description: "Logged events kept for replay and resume." },
  { key: "token", flag: "token", env: "CODA_TOKEN", kind: "string", schema: z.string().min(16), description: "Shared secret (16+ chars) clients must send as 'Authorization: Bearer' or subprotocol coda-token.<token>." },
  { key: "allowedOrigins", flag: "allowed-origin", env: "CODA_ALLOWED_ORIGINS", kind: "list", default: [], description: "Extra browser origin allowed to connect (repeatable; env: comma-separated)." },
  { key: "allowedHosts", flag: "allowed-host", env: "CODA_ALLOWED_HOSTS", kind: "list", default: [], description: "Extra Host header name accepted (repeatable; env: comma-separated)." },
  { key: "maxFrameBytes", flag: "max-frame-bytes", env: "CODA_MAX_FRAME_BYTES", kind: "number", default: 1048576, schema: positiveInt, description: "Largest WebSocket frame; bigger ones close the connection with 1009." },
  { key: "maxCommandBytes", flag: "max-command-bytes", env: "CODA_MAX_COMMAND_BYTES", kind: "number", default: 65536, schema: positiveInt, description: "Largest text command; bigger ones get command_error too_large." },
  { key: "maxBufferedBytes", flag: "max-buffered-bytes", env: "CODA_MAX_BUFFERED_BYTES", kind: "number", default: 4194304, schema: positiveInt, description: "Bytes queued for one client before it is closed with 1013 as too slow." },
  { key: "maxClients", flag: "max-clients", env: "CODA_MAX_CLIENTS", kind: "number", default: 256, schema: positiveInt, description: "Concurrent clients; more are refused with HTTP 503." },
  { key: "heartbeatMs", flag: "heartbeat-ms", env: "CODA_HEARTBEAT_MS", kind: "number", default: 30000, schema: positiveInt, description: "Ping interval; a client that misses a pong by the next ping is terminated." },
  { key: "presenceIntervalMs", flag: "presence-interval-ms", env: "CODA_PRESENCE_INTERVAL_MS", kind: "number", default: 500, schema: z.number().int().min(0), description: "Clients coming and going within this window are announced together in one connection_status clients_changed." },
  { key: "ratePerSecond", flag: "rate-per-second", env: "CODA_RATE_PER_SECOND", kind: "number", default: 20, schema: z.number().positive(), description: "Sustained commands per second per client." },
  { key: "rateBurst", flag: "rate-burst", env: "CODA_RATE_BURST", kind: "number", default: 40, schema: positiveInt, description: "Commands a client may send in a burst." },
  { key: "audioFramesPerSecond", flag: "audio-frames-per-second", env: "CODA_AUDIO_FRAMES_PER_SECOND", kind: "number", default: 100, schema: positiveInt, description: "Binary audio frames per second per client (apart from commands); 100 allows 10 ms frames." },
  { key: "vad", flag: "vad", env: "CODA_VAD", kind: "string", default: "silero", schema: z.enum(["silero", "energy", "off"]), description: "Voice-activity detector that ends utterances: silero (Silero VAD v5 neural network, in-process; falls back to energy if it cannot load), energy (level threshold), off (only stt_stop ends an utterance)." },
  { key: "vadThreshold", flag: "vad-threshold", env: "CODA_VAD_THRESHOLD", kind: "number", default: 0.5, schema: z.number().gt(0).lt(1), description: "Speech threshold: Silero speech probability (0..1) at which a 32 ms frame counts as speech." },
  { key: "vadEnergyThreshold", flag: "vad-energy-threshold", env: "CODA_VAD_ENERGY_THRESHOLD", kind: "number", default: 0.01, schema: z.number().gt(0).lt(1), description: "Speech threshold of the energy detector: RMS level (0..1 of full scale) above which a 20 ms frame counts as speech." },
  { key: "vadMinSpeechMs", flag: "vad-min-speech-ms", env: "CODA_VAD_MIN_SPEECH_MS", kind: "number", default: 100, schema: z.number().int().min(0).max(5000), description: "Minimum speech: consecutive speech that starts an utterance (shorter clicks and coughs are ignored)." },
  { key: "vadHangoverMs", flag: "vad-hangover-ms", env: "CODA_VAD_HANGOVER_MS", kind: "number", default: 700, schema: positiveInt, description: "End-of-speech silence: non-speech after speech that ends an utterance." },
  { key: "vadMaxUtteranceMs", flag: "vad-max-utterance-ms", env: "CODA_VAD_MAX_UTTERANCE_MS", kind: "number", default: 30000, schema: positiveInt, description: "Maximum utterance: an utterance this long is ended anyway." },
  { key: "compat", flag: "compat", env: "CODA_COMPAT", kind: "string", default: "none", schema: z.enum(["none", "coda-lite"]), description: "Compatibility profile for clients that do not ask with ?compat=: none (protocol v1 only) or coda-lite (Coda Lite's dashboard and test clients; see docs/compat-coda-lite.md)." },
  { key: "verbose", flag: "verbose", env: "CODA_VERBOSE", kind: "boolean", default: false, description: "Log connections and other info lines to stderr (the same as --log-level info)." },
  // --- operations (docs/operations.md) ---
  { key: "logLevel", flag: "log-level", env: "CODA_LOG_LEVEL", kind: "string", default: "warn", schema: z.enum(["debug", "info", "warn", "error", "silent"]), description: "Lowest log level written to stderr: debug, info, warn, error or silent. JSON lines unless stderr is a terminal." },
  { key: "metrics", flag: "metrics", env: "CODA_METRICS", kind: "boolean", default: true, description: "Serve Prometheus metrics at /metrics (JSON latency figures stay at /metrics.json either way)." },
  { key: "tracing", flag: "tracing", env: "CODA_TRACING", kind: "boolean", default: false, description: "Export an OpenTelemetry trace per turn over OTLP/HTTP. Also on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (off again with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none)." },
  { key: "tracingEndpoint", flag: "tracing-endpoint", env: "CODA_TRACING_ENDPOINT", kind: "string", schema: z.url(), description: "OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces (default: from the OTEL_EXPORTER_OTLP_* variables, else that URL)." },
  { key: "tracingContent", flag: "tracing-content", env: "CODA_TRACING_CONTENT", kind: "boolean", default: false, description: "Put user speech, answers, tool arguments and memory text in span attributes (off: only sizes, ids and timings)." },
  { key: "inspect", flag: "inspect", env: "CODA_INSPECT", kind: "boolean", default: false, description: "Connect the voice machine to the Stately inspector (loopback only); see docs/inspect.md." },
  // --- engines ---
  { key: "llmEngine", flag: "llm-engine", env: "CODA_LLM_ENGINE", kind: "string", default: "auto", schema: z.enum(["auto", "ollama", "openai", "builtin"]), description: "Language model: auto (Ollama if one answers with a model, else builtin), ollama, openai, builtin." },
  { key: "llmModel", flag: "llm-model", env: "CODA_LLM_MODEL", kind: "string", description: "Model name; default: the configured server's first model." },
  { key: "llmTemperature", flag: "llm-temperature", env: "CODA_LLM_TEMPERATURE", kind: "number", schema: z.number().min(0).max(2), description: "Sampling temperature (Ollama and OpenAI-compatible)." },
  { key: "systemPrompt", flag: "system-prompt", env: "CODA_SYSTEM_PROMPT", kind: "string", description: "System prompt given to the model first in every turn (default: a short voice-assistant prompt)." },
  { key: "ollamaUrl", flag: "ollama-url", env: "CODA_OLLAMA_URL", kind: "string", default: "http://127.0.0.1:11434", schema: z.url(), description: "Ollama address." },
  { key: "ollamaNumCtx", flag: "ollama-num-ctx", env: "CODA_OLLAMA_NUM_CTX", kind: "number", schema: z.number().int().positive(), description: "Ollama context length (num_ctx)." },
  { key: "ollamaKeepAlive", flag: "ollama-keep-alive", env: "CODA_OLLAMA_KEEP_ALIVE", kind: "string", description: "Ollama keep_alive: a duration such as 5m, or seconds (-1 keeps the model loaded; on the command line write --ollama-keep-alive=-1)." },
  { key: "openaiBaseUrl", flag: "openai-base-url", env: "CODA_OPENAI_BASE_URL", kind: "string", default: "http://127.0.0.1:8080/v1", schema: z.url(), description: "OpenAI-compatible chat API root (llama.cpp server, vLLM, LM Studio, LocalAI, hosted). The key comes only from CODA_OPENAI_API_KEY or OPENAI_API_KEY." },
  { key: "sttEngine", flag: "stt-engine", env: "CODA_STT_ENGINE", kind: "string", default: "auto", schema: z.enum(["auto", "pocketsphinx", "openai", "none"]), description: "Speech recognition: auto (openai when --stt-url is set, else PocketSphinx when installed, else none), pocketsphinx, openai, none." },
  { key: "sttUrl", flag: "stt-url", env: "CODA_STT_URL", kind: "string", schema: z.url(), description: "OpenAI-compatible transcription API root, e.g. http://127.0.0.1:8000/v1 (speaches, whisper.cpp server)." },
  { key: "sttModel", flag: "stt-model", env: "CODA_STT_MODEL", kind: "string", default: "whisper-1", description: "Transcription model name." },
  { key: "sttLanguage", flag: "stt-language", env: "CODA_STT_LANGUAGE", kind: "string", description: "Language hint for transcription, e.g. en." },
  { key: "ttsEngine", flag: "tts-engine", env: "CODA_TTS_ENGINE", kind: "string", default: "espeak", schema: z.enum(["espeak", "openai", "none"]), description: "Speech synthesis: espeak (embedded eSpeak NG, WebAssembly), openai (OpenAI-compatible /audio/speech), none (text only)." },
  { key: "ttsVoice", flag: "tts-voice", env: "CODA_TTS_VOICE", kind: "string", description: "Voice: eSpeak voice such as en-us or en-gb+f3 (default en-us); OpenAI-compatible voice such as alloy or af_bella (default alloy)." },
  { key: "ttsRate", flag: "tts-rate", env: "CODA_TTS_RATE", kind: "number", default: 175, schema: z.number().int().min(80).max(450), description: "eSpeak words per minute." },
  { key: "ttsPitch", flag: "tts-pitch", env: "CODA_TTS_PITCH", kind: "number", default: 50, schema: z.number().int().min(0).max(99), description: "eSpeak pitch." },
  { key: "ttsUrl", flag: "tts-url", env: "CODA_TTS_URL", kind: "string", default: "http://127.0.0.1:8880/v1", schema: z.url(), description: "OpenAI-compatible speech API root (Kokoro-FastAPI, openedai-speech, hosted)." },
  { key: "ttsModel", flag: "tts-model", env: "CODA_TTS_MODEL", kind: "string", default: "tts-1", description: "OpenAI-compatible speech model." },
  { key: "speak", flag: "speak", env: "CODA_SPEAK", kind: "boolean", default: false, description: "Also play answers on this machine's speakers (aplay, paplay, ffplay or sox's play)." },
  { key: "microphone", flag: "microphone", env: "CODA_MICROPHONE", kind: "boolean", default: false, description: "Listen on this machine's microphone (arecord or sox's rec) instead of client audio." },
  { key: "audioFile", flag: "audio-file", env: "CODA_AUDIO_FILE", kind: "string", description: "Use this WAV file as the audio of every voice turn (testing without a microphone)." },
  // --- memory and tools ---
  { key: "memoryDb", flag: "memory-db", env: "CODA_MEMORY_DB", kind: "string", default: "~/.coda/memory.db", description: "SQLite file of long-term memory; 'off' disables memory." },
  { key: "memoryMaxItems", flag: "memory-max-items", env: "CODA_MEMORY_MAX_ITEMS", kind: "number", default: 10000, schema: z.number().int().positive(), description: "Retention cap: most memories kept (least important, then oldest, go first)." },
  { key: "timezone", flag: "timezone", env: "CODA_TIMEZONE", kind: "string", description: "Default IANA time zone of the get_time tool (default: the server's)." },
  // --- deadlines ---
  { key: "sttDeadlineMs", flag: "stt-deadline-ms", env: "CODA_STT_DEADLINE_MS", kind: "number", default: 30000, schema: positiveInt, description: "Listening, from stt_start to the final transcript." },
  { key: "memoryDeadlineMs", flag: "memory-deadline-ms", env: "CODA_MEMORY_DEADLINE_MS", kind: "number", default: 2000, schema: positiveInt, description: "One memory recall or store." },
  { key: "llmDeadlineMs", flag: "llm-deadline-ms", env: "CODA_LLM_DEADLINE_MS", kind: "number", default: 30000, schema: positiveInt, description: "One model request." },
  { key: "toolDeadlineMs", flag: "tool-deadline-ms", env: "CODA_TOOL_DEADLINE_MS", kind: "number", default: 10000, schema: positiveInt, description: "One round of tool calls." },
  { key: "ttsDeadlineMs", flag: "tts-deadline-ms", env: "CODA_TTS_DEADLINE_MS", kind: "number", default: 15000, schema: positiveInt, description: "Synthesis of one sentence." },
];

export type Config = Record<string, string | number | boolean | string[] | undefined>;

/** A setting that could not be read; the message names the setting and its source. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function coerce(spec: SettingSpec, raw: unknown, source: string): unknown {
  const where = `${spec.key} (from ${source})`;
  let value: unknown = raw;
  if (typeof raw === "string") {
    if (spec.kind === "number") {
      if (!/^-?\d+(\.\d+)?$/.test(raw.trim())) throw new ConfigError(`Invalid ${where}: expected a number, got "${raw}"`);
      value = Number(raw);
    } else if (spec.kind === "boolean") {
      if (!/^(1|0|true|false|yes|no)$/i.test(raw)) throw new ConfigError(`Invalid ${where}: expected true or false, got "${raw}"`);
      value = /^(1|true|yes)$/i.test(raw);
    } else if (spec.kind === "list") {
      value = raw.split(",").map((s) => s.trim()).filter(Boolean);
    }
  }
  const base = { string: z.string(), number: z.number(), boolean: z.boolean(), list: z.array(z.string()) }[spec.kind];
  const result = (spec.schema ?? base).safeParse(value);
  if (!result.success || !base.safeParse(value).success) {
    const msg = result.success ? `expected ${spec.kind}` : result.error.issues.map((i) => i.message).join("; ");
    throw new ConfigError(`Invalid ${where}: ${msg}`);
  }
  return result.data;
}

export interface LoadedConfig {
  config: Config;
  help: boolean;
  /** Flags that are not settings (e.g. --inspect), for the CLI to act on. */
  extra: Record<string, string | boolean | undefined>;
}

/** Extra CLI-only flags (not settings). */
const EXTRA_FLAGS = {
  help: { type: "boolean", short: "h" },
  config: { type: "string" },
} as const;

/**
 * Read the configuration from argv, the environment and the config file.
 * @throws ConfigError naming the setting that is wrong.
 */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env, specs: SettingSpec[] = SETTINGS): LoadedConfig {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = { ...EXTRA_FLAGS };
  for (const s of specs) options[s.flag] = { type: s.kind === "boolean" ? "boolean" : "string", ...(s.kind === "list" ? { multiple: true } : {}) };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. Run with --help for the list of options.`);
  }
  let file: Record<string, unknown> = {};
  const configPath = (values.config as string | undefined) ?? env.CODA_CONFIG;
  if (configPath) {
    try {
      file = JSON.parse(readFileSync(configPath, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Cannot read config file ${configPath}: ${(err as Error).message}`);
    }
    if (typeof file !== "object" || file === null || Array.isArray(file)) throw new ConfigError(`Config file ${configPath} must hold a JSON object`);
    const known = new Set(specs.map((s) => s.key));
    for (const k of Object.keys(file)) if (!known.has(k)) throw new ConfigError(`Unknown setting "${k}" in config file ${configPath}`);
  }
  const config: Config = {};
  for (const s of specs) {
    let v: unknown;
    if (values[s.flag] !== undefined) {
      const raw = values[s.flag];
      v = s.kind === "list" ? coerce(s, (raw as string[]).flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean), `--${s.flag}`) : coerce(s, raw, `--${s.flag}`);
    } else if (env[s.env] !== undefined && env[s.env] !== "") v = coerce(s, env[s.env], s.env);
    else if (file[s.key] !== undefined) v = coerce(s, file[s.key], `config file ${configPath}`);
    else v = s.default;
    config[s.key] = v as Config[string];
  }
  const extra: LoadedConfig["extra"] = {};
  for (const k of Object.keys(values)) if (!(k in EXTRA_FLAGS) && !specs.some((s) => s.flag === k)) extra[k] = values[k] as string | boolean;
  return { config, help: values.help === true, extra };
}

/** The --help text, one block per setting. */
export function helpText(specs: SettingSpec[] = SETTINGS): string {
  const lines = [
    "Usage: npm start -- [options]    (or: coda-core [options])",
    "",
    "Runs the Coda Core WebSocket server. Precedence: flags > environment > --config file > defaults.",
    "",
    "Options:",
    "  -h, --help                 Show this help and exit.",
    "  --config PATH              JSON file of settings (keys as in docs/configuration.md). Env: CODA_CONFIG",
  ];
  for (const s of specs) {
    const arg = s.kind === "boolean" ? "" : s.kind === "number" ? " N" : s.kind === "list" ? " VALUE" : " VALUE";
    const def = s.default === undefined || (Array.isArray(s.default) && s.default.length === 0) ? "" : ` (default: ${Array.isArray(s.default) ? s.default.join(",") : s.default})`;
    const head = `  --${s.flag}${arg}`;
    // At least one space after a flag longer than the column.
    lines.push(head.padEnd(Math.max(29, head.length + 1)) + `${s.description}${def} Env: ${s.env}`);
  }
  return lines.join("\n") + "\n";
}
