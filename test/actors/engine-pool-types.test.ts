/**
 * Type-level expectations for the public API of the shared engines' pools:
 * the pool size options, the wait callbacks engines call, the stats they
 * expose, and the queue-wait figures of latency_trace.
 */
import { describe, expectTypeOf, it } from "vitest";
import type { EnginePoolStats } from "../../actors/engine-pool.js";
import type { PocketSphinxOptions, PocketSphinxStt } from "../../actors/stt/pocketsphinx.js";
import type { TranscribeOptions } from "../../actors/stt/types.js";
import type { SileroModel, SileroModelOptions } from "../../actors/stt/vad-silero.js";
import type { VadFrame } from "../../actors/stt/vad.js";
import type { LoadVadOptions } from "../../actors/stt/vad-select.js";
import type { EspeakTtsOptions } from "../../actors/tts/espeak.js";
import type { FliteTts, FliteTtsOptions } from "../../actors/tts/flite.js";
import type { SynthWorkerStats } from "../../actors/tts/synth-worker.js";
import type { SynthesizeOptions, TtsEngine } from "../../actors/tts/types.js";
import type { CodaSettings } from "../../server/app/config.js";
import type { EventData } from "../../server/protocol/index.js";

describe("engine pool public types", () => {
  it("sizes: one setting, given to each engine under its own name", () => {
    expectTypeOf<CodaSettings["enginePoolSize"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<FliteTtsOptions["poolSize"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<EspeakTtsOptions["poolSize"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<PocketSphinxOptions["maxProcesses"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<LoadVadOptions["workers"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<SileroModelOptions["workers"]>().toEqualTypeOf<number | undefined>();
  });

  it("engines report waits through optional callbacks, so engines without a pool need not change", () => {
    expectTypeOf<TtsEngine["synthesize"]>().parameter(1).toEqualTypeOf<SynthesizeOptions>();
    expectTypeOf<SynthesizeOptions["onQueued"]>().toEqualTypeOf<((queuedMs: number) => void) | undefined>();
    expectTypeOf<TranscribeOptions["onQueued"]>().toEqualTypeOf<((queuedMs: number) => void) | undefined>();
    expectTypeOf<VadFrame["queuedMs"]>().toEqualTypeOf<number | undefined>();
    // An engine written against the old options still is a TtsEngine.
    expectTypeOf<{ name: string; voice: string; format: TtsEngine["format"]; synthesize(text: string, o: { signal: AbortSignal }): AsyncIterable<Uint8Array>; close(): Promise<void> }>().toExtend<TtsEngine>();
  });

  it("pools expose their stats", () => {
    expectTypeOf<FliteTts["stats"]>().toEqualTypeOf<SynthWorkerStats>();
    expectTypeOf<SynthWorkerStats>().toExtend<EnginePoolStats>();
    expectTypeOf<PocketSphinxStt["stats"]>().toEqualTypeOf<EnginePoolStats>();
    expectTypeOf<SileroModel["stats"]>().toEqualTypeOf<EnginePoolStats>();
  });

  it("latency_trace carries the waits, null when the stage did not run", () => {
    expectTypeOf<EventData<"latency_trace">["tts_queued_ms"]>().toEqualTypeOf<number | null>();
    expectTypeOf<EventData<"latency_trace">["stt_queued_ms"]>().toEqualTypeOf<number | null>();
    expectTypeOf<EventData<"latency_trace">["vad_queued_ms"]>().toEqualTypeOf<number | null>();
  });
});
