/**
 * Engines that answer at once (no timers), for benchmarks of what the
 * machine and the server cost per turn: a model that streams a fixed answer
 * word by word, a synthesiser with one small chunk per sentence, and a
 * memory that recalls nothing and stores at once.
 */
import type { LlmChunk, LlmEngine } from "../actors/llm/types.js";
import type { MemoryStore } from "../actors/memory/types.js";
import type { TtsEngine } from "../actors/tts/types.js";

/** A model that streams `answer` word by word without waiting on timers. */
export function instantModel(answer: string): LlmEngine {
  return {
    name: "instant",
    model: "instant",
    async *generate(): AsyncGenerator<LlmChunk> {
      for (const t of answer.match(/\s*\S+/g)!) yield { kind: "delta", text: t };
      yield { kind: "done", finishReason: "stop" };
    },
    close: async () => {},
  };
}

/** A synthesiser that returns one small chunk per sentence at once. */
export const instantTts: TtsEngine = {
  name: "instant",
  voice: "none",
  format: { sample_rate: 16000, sample_type: "s16le", channels: 1 },
  async *synthesize() {
    yield new Uint8Array(320);
  },
  close: async () => {},
};

/** A memory that recalls nothing and stores at once (the in-memory store's scan would dominate). */
export function nullMemory(): MemoryStore {
  let n = 0;
  return {
    name: "null",
    recall: async () => [],
    storeTurn: async (t) => ({ id: `m${++n}`, kind: "turn", text: t.user, importance: 0, createdAt: "2026-01-01T00:00:00.000Z", turnId: t.turnId }),
    remember: async () => {
      throw new Error("unused");
    },
    list: async () => [],
    forget: async () => false,
    close: async () => {},
  };
}
