/**
 * The composition root: builds the engines chosen by the configuration, the
 * voice machine's bridge and the WebSocket server, and wires them together.
 * The CLI calls it; tests and embedders can too.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import type { VoiceEngines } from "../actors/index.js";
import { EngineError } from "../actors/engine-error.js";
import { selectLlmEngine } from "../actors/llm/select.js";
import { SqliteMemoryStore } from "../actors/memory/sqlite.js";
import { InMemoryStore } from "../actors/memory/testing/in-memory.js";
import type { MemoryStore } from "../actors/memory/types.js";
import { OpenAiStt } from "../actors/stt/openai.js";
import { PocketSphinxStt } from "../actors/stt/pocketsphinx.js";
import { FileSource, MicrophoneSource } from "../actors/stt/sources.js";
import type { AudioSource, SttEngine } from "../actors/stt/types.js";
import { UnavailableStt } from "../actors/stt/unavailable.js";
import type { VadProvider } from "../actors/stt/vad.js";
import { loadVad } from "../actors/stt/vad-select.js";
import { createBuiltinTools } from "../actors/tools/builtins/index.js";
import { ToolRegistry } from "../actors/tools/registry.js";
import { EspeakTts } from "../actors/tts/espeak.js";
import { NoSpeechTts } from "../actors/tts/none.js";
import { OpenAiTts } from "../actors/tts/openai.js";
import { findPlayer, NO_PLAYER_MESSAGE } from "../actors/tts/player.js";
import type { TtsEngine } from "../actors/tts/types.js";
import { createBridge, type Bridge } from "./bridge.js";
import { attachInspector } from "./inspect.js";
import type { Config } from "./config.js";
import type { Logger } from "./logger.js";
import { registerMemoryCommands } from "./memory-commands.js";
import { WebSocketServer, type WebSocketServerOptions } from "./server.js";
import { playOnSpeakers } from "./speaker.js";
import { startTracing, tracesUrl, tracingEnabled, type TracingSettings } from "./telemetry/tracing.js";

export interface App {
  server: WebSocketServer;
  bridge: Bridge;
  engines: VoiceEngines;
  /** One line per stage saying which engine answers and why, for the start-up output. */
  descriptions: string[];
  /** Stop the server (clients get 1001), the pipeline and its engines, and the inspector relay. */
  stop(): Promise<void>;
}

/** A setting combination that cannot work; the CLI prints it and exits 2. */
export class AppConfigError extends Error {
  override readonly name = "AppConfigError";
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);

function expandHome(path: string): string {
  return path === "~" ? homedir() : path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

/** A store that was configured but could not be opened: every call fails with the opening error, so each turn reports memory_error and goes on. */
class UnopenedMemoryStore implements MemoryStore {
  readonly name = "sqlite";
  constructor(readonly error: EngineError) {}
  recall = () => Promise.reject(this.error);
  storeTurn = () => Promise.reject(this.error);
  remember = () => Promise.reject(this.error);
  list = () => Promise.reject(this.error);
  forget = () => Promise.reject(this.error);
  async close(): Promise<void> {}
}

function openMemory(config: Config, descriptions: string[]): MemoryStore {
  const path = str(config.memoryDb) ?? "~/.coda/memory.db";
  if (path === "off") {
    descriptions.push("Memory: in this process only (--memory-db off): forgotten when the server stops");
    return new InMemoryStore();
  }
  const file = expandHome(path);
  try {
    const store = new SqliteMemoryStore({ path: file, maxItems: num(config.memoryMaxItems) ?? 10_000 });
    descriptions.push(`Memory: SQLite at ${file}`);
    return store;
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    // The file is left untouched; turns go on without memory and say so.
    descriptions.push(`Memory: UNAVAILABLE (${err.code}): ${err.message} - turns continue without memory`);
    return new UnopenedMemoryStore(err);
  }
}

function chooseStt(config: Config, descriptions: string[]): SttEngine {
  const engine = str(config.sttEngine) ?? "auto";
  const url = str(config.sttUrl);
  const openai = () =>
    new OpenAiStt({
      baseUrl: url!,
      model: str(config.sttModel) ?? "whisper-1",
      ...(str(config.sttLanguage) ? { language: str(config.sttLanguage)! } : {}),
      ...(str(process.env.CODA_STT_API_KEY) ? { apiKey: process.env.CODA_STT_API_KEY! } : {}),
    });
  if (engine === "openai" || (engine === "auto" && url)) {
    if (!url) throw new AppConfigError("--stt-engine openai needs --stt-url (CODA_STT_URL), e.g. http://127.0.0.1:8000/v1");
    descriptions.push(`STT: OpenAI-compatible transcription at ${url}`);
    return openai();
  }
  if (engine === "pocketsphinx" || engine === "auto") {
    if (PocketSphinxStt.isAvailable()) {
      descriptions.push("STT: PocketSphinx (offline)");
      return new PocketSphinxStt();
    }
    if (engine === "pocketsphinx") throw new AppConfigError("PocketSphinx is not installed: apt-get install pocketsphinx pocketsphinx-en-us");
  }
  descriptions.push("STT: none configured (stt_start answers stt_unavailable; text_input works). Install pocketsphinx or set --stt-url");
  return new UnavailableStt();
}

function chooseTts(config: Config, descriptions: string[]): TtsEngine {
  const engine = str(config.ttsEngine) ?? "espeak";
  const voice = str(config.ttsVoice);
  if (engine === "none") {
    descriptions.push("TTS: none (answers are not spoken)");
    return new NoSpeechTts();
  }
  if (engine === "openai") {
    const baseUrl = str(config.ttsUrl)!;
    descriptions.push(`TTS: OpenAI-compatible speech at ${baseUrl}`);
    return new OpenAiTts({
      baseUrl,
      model: str(config.ttsModel) ?? "tts-1",
      ...(voice ? { voice } : {}),
      ...(str(process.env.CODA_TTS_API_KEY) ? { apiKey: process.env.CODA_TTS_API_KEY! } : {}),
    });
  }
  descriptions.push(`TTS: eSpeak NG (embedded WebAssembly, in a worker thread), voice ${voice ?? "en-us"}`);
  return new EspeakTts({ ...(voice ? { voice } : {}), rate: num(config.ttsRate) ?? 175, pitch: num(config.ttsPitch) ?? 50 });
}

function chooseAudio(config: Config, descriptions: string[]): AudioSource | undefined {
  const file = str(config.audioFile);
  if (config.microphone === true && file) throw new AppConfigError("--microphone and --audio-file cannot be used together");
  if (config.microphone === true) {
    try {
      const mic = new MicrophoneSource();
      descriptions.push(`Audio: this machine's microphone (${mic.recorder.name})`);
      return mic;
    } catch (err) {
      throw new AppConfigError((err as Error).message);
    }
  }
  if (file) {
    descriptions.push(`Audio: WAV file ${file} for every voice turn`);
    return new FileSource({ path: file, realtime: true });
  }
  return undefined;
}

/** The voice-activity detector of the settings (Silero unless told otherwise, energy when Silero cannot load), or false for `--vad off`. */
async function chooseVad(config: Config, descriptions: string[]): Promise<VadProvider | false> {
  const detector = str(config.vad) ?? "silero";
  if (detector === "off") {
    descriptions.push("VAD: off (--vad off): only stt_stop or the end of the audio ends an utterance");
    return false;
  }
  const vad = await loadVad({
    detector: detector === "energy" ? "energy" : "silero",
    ...(num(config.vadThreshold) !== undefined ? { threshold: num(config.vadThreshold)! } : {}),
    ...(num(config.vadEnergyThreshold) !== undefined ? { energyThreshold: num(config.vadEnergyThreshold)! } : {}),
    endpointing: {
      ...(num(config.vadMinSpeechMs) !== undefined ? { startMs: num(config.vadMinSpeechMs)! } : {}),
      ...(num(config.vadHangoverMs) !== undefined ? { hangoverMs: num(config.vadHangoverMs)! } : {}),
      ...(num(config.vadMaxUtteranceMs) !== undefined ? { maxUtteranceMs: num(config.vadMaxUtteranceMs)! } : {}),
    },
  }).catch((err: unknown) => {
    throw err instanceof TypeError ? new AppConfigError(err.message) : err;
  });
  descriptions.push(vad.description);
  return vad;
}

/**
 * Build engines, bridge and server from a resolved configuration. Nothing
 * listens until `app.server.start()`.
 * @throws AppConfigError for settings that cannot work together; TypeError for invalid server options.
 */
export async function createApp(config: Config, options: { logger: Logger; signal?: AbortSignal; server?: Partial<WebSocketServerOptions> }): Promise<App> {
  const { logger } = options;
  const signal = options.signal ?? new AbortController().signal;
  const descriptions: string[] = [];
  const audio = chooseAudio(config, descriptions);
  // The model loads (in its worker) while the language model is probed.
  const vadDescriptions: string[] = [];
  const vadLoading = chooseVad(config, vadDescriptions);
  vadLoading.catch(() => {});
  const closeVad = async () => {
    const vad = await vadLoading.catch(() => false as const);
    if (vad) await vad.close();
  };
  const memory = openMemory(config, descriptions);
  const tools = new ToolRegistry({ tools: createBuiltinTools({ memory, ...(str(config.timezone) ? { timezone: str(config.timezone)! } : {}) }) });
  let llm;
  try {
    llm = await selectLlmEngine(
      {
        engine: (str(config.llmEngine) ?? "auto") as "auto",
        ...(str(config.llmModel) ? { model: str(config.llmModel)! } : {}),
        ...(num(config.llmTemperature) !== undefined ? { temperature: num(config.llmTemperature)! } : {}),
        ollamaUrl: str(config.ollamaUrl) ?? "http://127.0.0.1:11434",
        ...(num(config.ollamaNumCtx) ? { numCtx: num(config.ollamaNumCtx)! } : {}),
        // Ollama takes a duration ("5m") or a number of seconds (-1: forever); "-1" as a string is refused by it.
        ...(str(config.ollamaKeepAlive) ? { keepAlive: /^-?\d+$/.test(str(config.ollamaKeepAlive)!) ? Number(config.ollamaKeepAlive) : str(config.ollamaKeepAlive)! } : {}),
        openaiBaseUrl: str(config.openaiBaseUrl) ?? "http://127.0.0.1:8080/v1",
        ...(str(process.env.CODA_OPENAI_API_KEY ?? process.env.OPENAI_API_KEY) ? { apiKey: (process.env.CODA_OPENAI_API_KEY ?? process.env.OPENAI_API_KEY)! } : {}),
        // The machine enforces the per-request deadline; the engine's own is a backstop.
        deadlineMs: 0,
      },
      { signal, logger },
    );
  } catch (err) {
    await memory.close();
    await closeVad();
    if (err instanceof EngineError) throw new AppConfigError(err.message);
    throw err;
  }
  descriptions.unshift(llm.description);
  let stt: SttEngine;
  let vad: VadProvider | false;
  try {
    stt = chooseStt(config, descriptions);
    vad = await vadLoading;
    descriptions.push(...vadDescriptions);
  } catch (err) {
    await memory.close();
    await closeVad();
    throw err;
  }
  const tts = chooseTts(config, descriptions);
  const engines: VoiceEngines = { stt, llm: llm.engine, tts, memory, tools };

  const inspection = config.inspect === true ? await attachInspector({}) : null;
  if (inspection) descriptions.push(`Inspector: open ${inspection.pageUrl} in a browser on this machine to watch the voice machine`);

  const bridge = createBridge({
    engines,
    machine: {
      deadlines: {
        sttMs: num(config.sttDeadlineMs) ?? 30_000,
        memoryMs: num(config.memoryDeadlineMs) ?? 2_000,
        llmMs: num(config.llmDeadlineMs) ?? 30_000,
        toolMs: num(config.toolDeadlineMs) ?? 10_000,
        ttsMs: num(config.ttsDeadlineMs) ?? 15_000,
      },
      ...(str(config.systemPrompt) ? { systemPrompt: str(config.systemPrompt)! } : {}),
    },
    vad,
    ...(audio ? { audio } : {}),
    ...(inspection ? { actorOptions: inspection.actorOptions } : {}),
    logger,
  });

  const server = new WebSocketServer({
    host: config.host as string,
    port: config.port as number,
    replaySize: config.replaySize as number,
    allowedOrigins: config.allowedOrigins as string[],
    allowedHosts: config.allowedHosts as string[],
    maxFrameBytes: config.maxFrameBytes as number,
    maxCommandBytes: config.maxCommandBytes as number,
    maxBufferedBytes: config.maxBufferedBytes as number,
    maxClients: config.maxClients as number,
    heartbeatMs: config.heartbeatMs as number,
    presenceIntervalMs: config.presenceIntervalMs as number,
    ratePerSecond: config.ratePerSecond as number,
    rateBurst: config.rateBurst as number,
    audioFramesPerSecond: config.audioFramesPerSecond as number,
    compat: config.compat as "none" | "coda-lite",
    ...(str(config.token) ? { token: str(config.token)! } : {}),
    metrics: config.metrics !== false,
    ...options.server,
    pipeline: bridge,
    logger,
  });
  // A store that could not be opened answers every viewer command with its opening error (e.g. corrupt).
  registerMemoryCommands(server, memory, { logger });

  // One trace per turn, read from the same events the clients get.
  const traceSettings: TracingSettings = { tracing: config.tracing === true, tracingEndpoint: str(config.tracingEndpoint), tracingContent: config.tracingContent === true };
  const tracing = tracingEnabled(traceSettings) ? startTracing(traceSettings) : null;
  const untrace = tracing ? bridge.subscribe((e) => tracing.observe(e)) : undefined;
  if (tracing) descriptions.push(`Tracing: one OpenTelemetry trace per turn, over OTLP/HTTP to ${tracesUrl(traceSettings)}${traceSettings.tracingContent ? " (with speech and memory text)" : ""}`);

  let stopSpeakers: (() => void) | undefined;
  if (config.speak === true) {
    const player = findPlayer();
    if (!player) {
      descriptions.push(`Speakers: ${NO_PLAYER_MESSAGE}`);
    } else {
      stopSpeakers = playOnSpeakers(bridge, tts.format, player, logger);
      descriptions.push(`Speakers: playing answers through ${player.name}`);
    }
  }
  const stop = async () => {
    await server.stop();
    // A server that never started has not stopped its pipeline.
    await bridge.stop();
    untrace?.();
    await tracing?.close();
    stopSpeakers?.();
    await inspection?.close();
    if (vad) await vad.close();
  };
  return { server, bridge, engines, descriptions, stop };
}
