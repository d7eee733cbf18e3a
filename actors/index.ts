/**
 * The stage actors of the voice machine, built from engine instances.
 * `createVoiceActors(engines)` returns the stage actors of a turn, for
 * `withStageActors(actors)` (machines/voice.ts); the machines name only the slots.
 *
 * @example
 * const machine = withStageActors(createVoiceActors({ stt, llm, tts, memory, tools }));
 * const actor = createActor(machine, { input: { deadlines: { llmMs: 20_000 } } }).start();
 */
import { createLlmLogic } from "./llm/actor.js";
import type { LlmEngine } from "./llm/types.js";
import { createRecallLogic, createStoreLogic } from "./memory/actor.js";
import type { MemoryStore } from "./memory/types.js";
import { createDemoSttLogic, createSttLogic } from "./stt/actor.js";
import type { AudioSource, SttEngine } from "./stt/types.js";
import type { VadEvent, VadOptions, VadProvider } from "./stt/vad.js";
import { createToolsLogic } from "./tools/actor.js";
import type { ToolRunner } from "./tools/types.js";
import { createTtsLogic } from "./tts/actor.js";
import type { TtsEngine } from "./tts/types.js";

/** The engines behind the five stages. */
export interface VoiceEngines {
  stt: SttEngine;
  llm: LlmEngine;
  tts: TtsEngine;
  memory: MemoryStore;
  tools: ToolRunner;
}

export interface VoiceActorOptions {
  /** Audio of voice turns (e.g. a client stream). Default: none (the engine hears nothing but its own source). */
  audio?: AudioSource;
  /** Delay before each partial result of demo turns' scripted recogniser (ms). Default 40. */
  demoPartialDelayMs?: number;
  /** End-of-speech detection on voice turns' audio (see createSttLogic): a provider from loadVad, energy thresholds, or false. Default: energy, VAD_DEFAULTS. */
  vad?: VadOptions | VadProvider | false;
  /** Sees each VAD event (for logs and tests). */
  onVadEvent?: (event: VadEvent) => void;
}

/** Build the stage actors of a turn (for `withStageActors`) from engine instances. */
export function createVoiceActors(engines: VoiceEngines, options: VoiceActorOptions = {}) {
  return {
    stt: createSttLogic({
      engine: engines.stt,
      ...(options.audio ? { source: options.audio } : {}),
      ...(options.vad !== undefined ? { vad: options.vad } : {}),
      ...(options.onVadEvent ? { onVadEvent: options.onVadEvent } : {}),
    }),
    demoStt: createDemoSttLogic({ partialDelayMs: options.demoPartialDelayMs ?? 40 }),
    recall: createRecallLogic({ store: engines.memory }),
    llm: createLlmLogic({ engine: engines.llm, tools: () => engines.tools.specs() }),
    tools: createToolsLogic({ runner: engines.tools }),
    tts: createTtsLogic({ engine: engines.tts }),
    store: createStoreLogic({ store: engines.memory }),
  };
}

export type VoiceActors = ReturnType<typeof createVoiceActors>;
