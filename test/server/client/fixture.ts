/**
 * A real Coda server for client and dashboard tests: WebSocketServer with
 * the voice machine (createBridge) over engines that run here - the
 * built-in rule-based responder with the real built-in tools, an in-memory
 * store, and the scripted recogniser and synthesiser. With `perSession`,
 * every session the server opens gets its own bridge over those engines.
 */
import { BuiltinResponder } from "../../../actors/llm/builtin.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine, type ScriptedSttOptions } from "../../../actors/stt/testing/scripted.js";
import { createBuiltinTools } from "../../../actors/tools/builtins/index.js";
import { ToolRegistry } from "../../../actors/tools/registry.js";
import { ScriptedTtsEngine, type ScriptedTtsOptions } from "../../../actors/tts/testing/scripted.js";
import type { LlmEngine } from "../../../actors/llm/types.js";
import { createBridge, type Bridge, type BridgeOptions } from "../../../server/pipeline/bridge.js";
import { silentLogger, type Logger } from "../../../server/app/logger.js";
import { registerMemoryCommands } from "../../../server/app/memory-commands.js";
import { WebSocketServer, type WebSocketServerOptions } from "../../../server/transport/server.js";

export interface CodaFixtureOptions extends Omit<WebSocketServerOptions, "pipeline"> {
  stt?: ScriptedSttOptions;
  /** Pause between the responder's streamed words (ms). Default 5. */
  wordDelayMs?: number;
  /** Delay before each demo partial (ms). Default 5. */
  demoPartialDelayMs?: number;
  /** The synthesiser's settings. Default: a tone, 8 ms of audio per character, 300 ms chunks. */
  tts?: ScriptedTtsOptions;
  /** The language model. Default: the built-in responder. */
  llm?: LlmEngine;
  /** Playout settings of the bridge (pacing lead, clock). */
  playout?: Pick<BridgeOptions, "audioLeadMs" | "playoutClock" | "ttsProgressMs">;
  /** Give every session other than `default` its own bridge over the same engines (the default session keeps `bridge`). Default false. */
  perSession?: boolean;
}

export interface CodaFixture {
  server: WebSocketServer;
  /** The voice pipeline behind the server. */
  bridge: Bridge;
  stt: ScriptedSttEngine;
  tts: ScriptedTtsEngine;
  memory: InMemoryStore;
  /** ws://127.0.0.1:PORT */
  wsUrl: string;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  close(): Promise<void>;
}

/** Start a server with a voice pipeline on 127.0.0.1 (port 0 unless given). */
export async function startCoda(options: CodaFixtureOptions = {}): Promise<CodaFixture> {
  const { stt: sttOptions, wordDelayMs = 5, demoPartialDelayMs = 5, logger, tts: ttsOptions, llm: llmEngine, playout, perSession = false, ...serverOptions } = options;
  const stt = new ScriptedSttEngine({ utterances: ["what is 12 times 7"], ...sttOptions });
  const tts = new ScriptedTtsEngine({ sound: "tone", msPerChar: 8, chunkMs: 300, ...ttsOptions });
  const memory = new InMemoryStore();
  const tools = new ToolRegistry({ tools: createBuiltinTools({ memory, timezone: "UTC" }) });
  const llm = llmEngine ?? new BuiltinResponder({ delayMs: wordDelayMs, timeZone: "UTC" });
  const engines = { stt, llm, tts, memory, tools };
  const pipeline = createBridge({ engines, demoPartialDelayMs, ...playout });
  const sessions = perSession ? () => createBridge({ engines, closeEngines: false, demoPartialDelayMs, ...playout }) : undefined;
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: logger ?? (silentLogger as Logger), pipeline, sessions, ...serverOptions });
  registerMemoryCommands(server, memory);
  await server.start();
  return {
    server,
    bridge: pipeline,
    stt,
    tts,
    memory,
    wsUrl: `ws://127.0.0.1:${server.port}`,
    httpUrl: `http://127.0.0.1:${server.port}`,
    close: () => server.stop(),
  };
}
