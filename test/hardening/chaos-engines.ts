/**
 * Chaotic engines for test/hardening/chaos.test.ts: implementations of the
 * stage interfaces (the types.ts of each actors/ stage folder) that, per call and at random from a
 * seeded generator, work, fail with an EngineError, hang until aborted,
 * ignore the abort and answer late, throw mid-stream, or return malformed
 * output. `forced` pins a stage's behaviour (for focused tests).
 */
import { EngineError } from "../../actors/engine-error.js";
import { INPUT_PCM, type PcmFormat } from "../../actors/audio.js";
import type { GenerateRequest, LlmChunk, LlmEngine, ToolCall, ToolSpec } from "../../actors/llm/types.js";
import type { MemoryHit, MemoryItem, MemoryStore } from "../../actors/memory/types.js";
import { seededRandom } from "../../actors/stt/testing/speech-in-noise.js";
import type { AudioSource, SttEngine, SttUpdate, TranscribeOptions } from "../../actors/stt/types.js";
import type { ToolOutcome, ToolRunner } from "../../actors/tools/types.js";
import type { TtsEngine } from "../../actors/tts/types.js";
import { tick } from "../helpers/wait.js";

/** "Deaf" engines answer this late (ms), past every deadline the chaos suite sets. */
export const LATE_MS = 80;

/** Small seeded PRNG (mulberry32) so a failing run can be replayed. */
const prng = seededRandom;
let rand = prng(1);
/** Reseed the generator (each run starts from a known seed). */
export function seedChaos(seed: number): void {
  rand = prng(seed);
}
/** A random number in [0, 1) from the seeded generator. */
export const random = () => rand();
export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

export type Mode = "ok" | "fail" | "hang" | "deaf" | "throw_mid" | "malformed";
const MODES: readonly Mode[] = ["ok", "ok", "ok", "ok", "fail", "hang", "deaf", "throw_mid", "malformed", "malformed"];
export const modeCounts: Record<string, number> = {};
/** Probe hooks: force a stage's mode and which malformed shape it returns. */
export const forced: Record<string, { mode: Mode; bad?: number; toolFirst?: boolean }> = {};
function mode(stage: string): Mode {
  const m = forced[stage]?.mode ?? pick(MODES);
  modeCounts[`${stage}:${m}`] = (modeCounts[`${stage}:${m}`] ?? 0) + 1;
  return m;
}

/**
 * Malformed shapes (by index into each stage's list below) that once killed
 * the voice machine or produced events failing the wire schema, before the
 * stage actors validated engine output (actors/engine-output.ts). chaos.test.ts
 * runs one turn with each as a regression test.
 */
export const ONCE_FATAL: Record<string, number[]> = { llm: [2, 3], recall: [1, 2, 4], store: [0, 1, 2, 3], tool: [0, 3] };

/** One malformed shape for `stage`: the forced one, else a random one. */
function bad(stage: string, shapes: unknown[]): unknown {
  const i = forced[stage]?.bad;
  return i !== undefined ? shapes[i] : pick(shapes);
}

/** Resolves when `signal` aborts (never, without one). */
const aborted = (signal?: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(new DOMException("aborted", "AbortError"));
    signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), { once: true });
  });
/** A wait that ignores any abort: the engine that does not listen. */
const late = () => new Promise((r) => setTimeout(r, LATE_MS));

// --- chaotic engines ------------------------------------------------------------

export class ChaosStt implements SttEngine {
  readonly name = "chaos-stt";
  async *transcribe(audio: AsyncIterable<Uint8Array>, { signal }: TranscribeOptions): AsyncIterable<SttUpdate> {
    const m = mode("stt");
    if (m === "fail") throw new EngineError("stt_failed", "chaos: recogniser failed");
    if (m === "hang") await aborted(signal);
    if (m === "deaf") await late();
    for await (const _chunk of audio) {
      if (m === "throw_mid") {
        yield { kind: "partial", text: "half a" };
        throw new TypeError("chaos: recogniser crashed mid-stream");
      }
    }
    if (m === "malformed") {
      const shape = bad("stt", [{ kind: "final", text: 42, confidence: null }, { kind: "nonsense" }, null, { kind: "partial", text: null }, "final", undefined]);
      if (shape !== undefined) yield shape as SttUpdate;
      return; // ends without a final
    }
    yield { kind: "partial", text: "what" };
    yield { kind: "final", text: pick(["what time is it", "tell me a story", "", "   "]), confidence: 0.9 };
  }
  async close() {}
}

const TOOL: ToolSpec = { name: "chaos_tool", description: "A tool that misbehaves at random", parameters: { type: "object", properties: {} } };

export class ChaosLlm implements LlmEngine {
  readonly name = "chaos-llm";
  readonly model = "chaos-1";
  #calls = 0;
  async *generate({ messages, signal }: GenerateRequest): AsyncIterable<LlmChunk> {
    const m = mode("llm");
    const afterTool = messages[messages.length - 1]?.role === "tool";
    if (m === "fail") throw new EngineError("unreachable", "chaos: model server unreachable");
    if (m === "hang") await aborted(signal);
    if (m === "deaf") await late();
    await tick();
    if (!afterTool && (forced.llm?.toolFirst ?? rand() < 0.25)) {
      const call: ToolCall = { id: `call_${++this.#calls}`, name: TOOL.name, arguments: {} };
      yield { kind: "tool_call", call };
      if (rand() < 0.2) yield { kind: "tool_call", call: { ...call, id: `call_${++this.#calls}`, name: "no_such_tool" } };
      yield { kind: "done", finishReason: "tool_calls" };
      return;
    }
    yield { kind: "delta", text: "Hello there. " };
    await tick();
    if (m === "throw_mid") throw new RangeError("chaos: model crashed mid-stream");
    if (m === "malformed") {
      const shape = bad("llm", [
        { kind: "delta", text: 5 },
        { kind: "delta" },
        { kind: "tool_call", call: null },
        { kind: "tool_call", call: { id: 7, name: null, arguments: "{" } },
        { kind: "done", finishReason: "banana" },
        { kind: "delta", text: "\ud800 lone surrogate. " },
        { kind: "delta", text: "word ".repeat(3000) },
        null,
        42,
        "end-without-done",
        "spurious-abort",
      ]);
      if (shape === "end-without-done") return;
      if (shape === "spurious-abort") throw new DOMException("not really aborted", "AbortError");
      yield shape as LlmChunk;
    }
    yield { kind: "delta", text: "This is a chaotic answer. Bye." };
    yield { kind: "done", finishReason: "stop" };
  }
  async close() {}
}

export class ChaosTts implements TtsEngine {
  readonly name = "chaos-tts";
  readonly voice = "chaos";
  readonly format: PcmFormat = { sample_rate: 16000, sample_type: "s16le", channels: 1 };
  async *synthesize(_text: string, { signal }: { signal: AbortSignal }): AsyncIterable<Uint8Array> {
    const m = mode("tts");
    if (m === "fail") throw new EngineError("tts_failed", "chaos: synthesiser failed");
    if (m === "hang") await aborted(signal);
    if (m === "deaf") await late();
    await tick();
    yield new Uint8Array(640);
    if (m === "throw_mid") throw new Error("chaos: synthesiser crashed mid-stream");
    if (m === "malformed") yield bad("tts", ["not pcm", null, new Uint8Array(3), new Uint8Array(0), { length: 4 }, [1, 2, 3]]) as Uint8Array;
    yield new Uint8Array(640);
  }
  async close() {}
}

export class ChaosMemory implements MemoryStore {
  readonly name = "chaos-memory";
  #n = 0;
  async recall(_q: string, options?: { limit?: number; signal?: AbortSignal }): Promise<MemoryHit[]> {
    const m = mode("recall");
    if (m === "fail") throw new EngineError("locked", "chaos: database is locked");
    if (m === "hang") await Promise.race([aborted(options?.signal), late()]);
    if (m === "deaf") await late();
    if (m === "throw_mid") throw new TypeError("chaos: recall crashed");
    if (m === "malformed") return bad("recall", [null, [{ item: null, score: "x" }], [{ item: { id: 1, text: 2 }, score: NaN }], "hits", [null]]) as MemoryHit[];
    return [{ item: this.#item("a fact"), score: 0.5 }];
  }
  async storeTurn(turn: { turnId: string; user: string; assistant: string }): Promise<MemoryItem> {
    const m = mode("store");
    if (m === "fail") throw new EngineError("full", "chaos: disk full");
    if (m === "hang" || m === "deaf") await late(); // storeTurn takes no signal: a hang is bounded by the machine's deadline only
    if (m === "throw_mid") throw new Error("chaos: store crashed");
    if (m === "malformed") return bad("store", [null, { id: 5 }, "stored", {}]) as MemoryItem;
    return this.#item(turn.user, turn.turnId);
  }
  async remember(f: { text: string }) {
    return this.#item(f.text);
  }
  async list() {
    return [];
  }
  async forget() {
    return false;
  }
  async close() {}
  #item(text: string, turnId: string | null = null): MemoryItem {
    return { id: `m${++this.#n}`, kind: "turn", text, importance: 0.3, createdAt: new Date().toISOString(), turnId };
  }
}

export class ChaosTools implements ToolRunner {
  specs() {
    return [TOOL];
  }
  async run(call: ToolCall, { signal }: { signal: AbortSignal }): Promise<ToolOutcome> {
    const m = mode("tool");
    const base = { callId: call.id, name: call.name, durationMs: 1 };
    if (m === "fail") return { ...base, ok: false, code: "tool_failed", message: "chaos: tool failed" };
    if (m === "hang") await aborted(signal);
    if (m === "deaf") await late();
    if (m === "throw_mid") throw new Error("chaos: the runner broke its promise never to throw");
    if (m === "malformed") return bad("tool", [null, { ok: true }, { ok: "yes", callId: 3 }, { ...base, ok: false }, "done"]) as ToolOutcome;
    return { ...base, ok: true, result: { n: 1 }, preview: '{"n":1}' };
  }
}

/** Voice turns hear three short chunks of silence, then the source ends. */
export const audio: AudioSource = {
  kind: "file",
  format: INPUT_PCM,
  async *open(signal: AbortSignal) {
    for (let i = 0; i < 3 && !signal.aborted; i++) {
      await tick();
      yield new Uint8Array(320);
    }
  },
};
