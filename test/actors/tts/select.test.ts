/**
 * Choosing the speech engine: auto is Flite, or eSpeak NG for a voice Flite
 * does not have; explicit engines as asked; clear errors for settings that
 * cannot work. Engines are built but not started (no worker, no process).
 */
import { availableParallelism } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import type { EspeakTts } from "../../../actors/tts/espeak.js";
import { FestivalTts } from "../../../actors/tts/festival.js";
import type { FliteTts } from "../../../actors/tts/flite.js";
import { selectTtsEngine } from "../../../actors/tts/select.js";
import type { TtsEngine } from "../../../actors/tts/types.js";

const built: TtsEngine[] = [];
afterEach(async () => {
  for (const engine of built.splice(0)) await engine.close();
});
function select(settings: Parameters<typeof selectTtsEngine>[0]) {
  const selection = selectTtsEngine(settings);
  built.push(selection.engine);
  return selection;
}

describe("selectTtsEngine", () => {
  it("auto with no voice: Flite rms, and the start-up line names it and how to switch", () => {
    const { engine, description } = select({ poolSize: 1 });
    expect([engine.name, engine.voice]).toEqual(["flite", "rms"]);
    expect(description).toBe("TTS: Flite (embedded WebAssembly, in a worker thread), voice rms (--tts-voice rms|slt|awb|kal16|kal; --tts-engine espeak for other languages)");
  });

  it("pools up to poolSize worker threads, by default one per core, and the start-up line says how many", () => {
    const pooled = select({ poolSize: 3 });
    expect(pooled.description).toMatch(/^TTS: Flite \(embedded WebAssembly, in up to 3 worker threads\), voice rms /);
    expect((pooled.engine as FliteTts).stats.size).toBe(3);
    expect((select({}).engine as FliteTts).stats.size).toBe(availableParallelism());
    expect((select({ engine: "espeak", poolSize: 2 }).engine as EspeakTts).stats.size).toBe(2);
    expect(() => select({ poolSize: 0 })).toThrow(new TypeError("engine pool size must be a whole number from 1 to 256, got 0"));
  });

  it("auto with a Flite voice: Flite with that voice", () => {
    expect(select({ engine: "auto", voice: "slt" }).engine).toMatchObject({ name: "flite", voice: "slt" });
  });

  it("auto with a non-English (non-Flite) voice: eSpeak NG, saying why", () => {
    const { engine, description } = select({ voice: "fr", poolSize: 2 });
    expect([engine.name, engine.voice]).toEqual(["espeak-ng", "fr"]);
    expect(description).toBe('TTS: eSpeak NG (embedded WebAssembly, in up to 2 worker threads), voice fr; "fr" is not a Flite voice, so eSpeak NG speaks it');
  });

  it("espeak explicitly: eSpeak NG en-us by default, with rate and pitch", () => {
    const { engine } = select({ engine: "espeak", rate: 200, pitch: 40 });
    expect(engine).toMatchObject({ name: "espeak-ng", voice: "en-us", rate: 200, pitch: 40 });
  });

  it("flite with a voice Flite does not have: invalid_config naming the voices and the way out", () => {
    expect(() => selectTtsEngine({ engine: "flite", voice: "de" })).toThrow(
      new EngineError("invalid_config", 'Flite speaks English only and has no voice "de" (voices: rms, slt, awb, kal16, kal); use --tts-engine espeak for eSpeak NG voices'),
    );
  });

  it("none and openai as before", () => {
    expect(select({ engine: "none" }).description).toBe("TTS: none (answers are not spoken)");
    const { engine, description } = select({ engine: "openai", url: "http://127.0.0.1:8880/v1", voice: "alloy" });
    expect([engine.name, engine.voice]).toEqual(["openai", "alloy"]);
    expect(description).toBe("TTS: OpenAI-compatible speech at http://127.0.0.1:8880/v1");
  });

  it("festival: the engine when installed, else tts_unavailable saying what to install", () => {
    const missing = FestivalTts.missing();
    if (missing === null) {
      const { engine, description } = select({ engine: "festival" });
      expect([engine.name, engine.voice]).toEqual(["festival", "cmu_us_slt_arctic_hts"]);
      expect(description).toMatch(/^TTS: Festival \(text2wave\), voice cmu_us_slt_arctic_hts/);
    } else {
      expect(() => selectTtsEngine({ engine: "festival" })).toThrow(new EngineError("tts_unavailable", missing));
    }
    expect(() => selectTtsEngine({ engine: "festival", voice: "no_such_voice" })).toThrow(EngineError);
  });
});
