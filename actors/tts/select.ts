/**
 * Choosing the speech engine from configuration. `auto` (the default) is
 * Flite, the embedded voice PocketSphinx understands best (bench:voices),
 * unless the configured voice is not one of Flite's: Flite speaks only
 * English, so any other voice name (`fr`, `de`, `en-gb+f3`) goes to eSpeak
 * NG, which has about a hundred languages. The result carries a one-line
 * description of the choice for the start-up line (with the size of the
 * embedded engines' worker pool).
 */
import { defaultPoolSize, inWorkerThreads } from "../engine-pool.js";
import { EngineError } from "../engine-error.js";
import { EspeakTts } from "./espeak.js";
import { FestivalTts } from "./festival.js";
import { FLITE_VOICES, isFliteVoice } from "./flite-wasm.js";
import { FliteTts } from "./flite.js";
import { NoSpeechTts } from "./none.js";
import { OpenAiTts } from "./openai.js";
import type { TtsEngine, TtsEngineName } from "./types.js";


/** Speech settings as the configuration gives them (all optional). */
export interface TtsSettings {
  engine?: TtsEngineName | undefined;
  voice?: string | undefined;
  /** eSpeak words per minute. */
  rate?: number | undefined;
  /** eSpeak pitch. */
  pitch?: number | undefined;
  /** OpenAI-compatible speech API root (required for `openai`). */
  url?: string | undefined;
  model?: string | undefined;
  apiKey?: string | undefined;
  /** Flite and eSpeak NG: most worker threads, i.e. sentences synthesised at once (the `enginePoolSize` setting). Default: the core count. */
  poolSize?: number | undefined;
}

/** The chosen engine and the line the CLI prints about it. */
export interface TtsSelection {
  engine: TtsEngine;
  description: string;
}

/**
 * Build the configured speech engine.
 * @throws EngineError `invalid_config` for a setting that cannot work (a non-Flite voice with `flite`), `tts_unavailable` for Festival when it is not installed.
 */
export function selectTtsEngine(settings: TtsSettings): TtsSelection {
  const engine = settings.engine ?? "auto";
  const voice = settings.voice;
  const poolSize = settings.poolSize ?? defaultPoolSize();
  switch (engine) {
    case "none":
      return { engine: new NoSpeechTts(), description: "TTS: none (answers are not spoken)" };
    case "openai":
      return {
        engine: new OpenAiTts({ baseUrl: settings.url!, ...(settings.model ? { model: settings.model } : {}), ...(voice ? { voice } : {}), ...(settings.apiKey ? { apiKey: settings.apiKey } : {}) }),
        description: `TTS: OpenAI-compatible speech at ${settings.url}`,
      };
    case "festival": {
      const missing = FestivalTts.missing(voice ? { voice } : {});
      if (missing !== null) throw new EngineError("tts_unavailable", missing);
      const festival = new FestivalTts(voice ? { voice } : {});
      return { engine: festival, description: `TTS: Festival (${festival.program}), voice ${festival.voice} (--tts-engine auto for the embedded Flite)` };
    }
    case "espeak":
      return espeak(settings, "");
    case "flite":
    case "auto":
      if (voice === undefined || isFliteVoice(voice)) {
        const flite = new FliteTts({ ...(voice ? { voice } : {}), poolSize });
        return { engine: flite, description: `TTS: Flite (embedded WebAssembly, ${inWorkerThreads(poolSize)}), voice ${flite.voice} (--tts-voice ${FLITE_VOICES.join("|")}; --tts-engine espeak for other languages)` };
      }
      if (engine === "flite") {
        throw new EngineError("invalid_config", `Flite speaks English only and has no voice "${voice}" (voices: ${FLITE_VOICES.join(", ")}); use --tts-engine espeak for eSpeak NG voices`);
      }
      return espeak(settings, `; "${voice}" is not a Flite voice, so eSpeak NG speaks it`);
  }
}

function espeak(settings: TtsSettings, why: string): TtsSelection {
  const poolSize = settings.poolSize ?? defaultPoolSize();
  const tts = new EspeakTts({ ...(settings.voice ? { voice: settings.voice } : {}), rate: settings.rate ?? 175, pitch: settings.pitch ?? 50, poolSize });
  return { engine: tts, description: `TTS: eSpeak NG (embedded WebAssembly, ${inWorkerThreads(poolSize)}), voice ${tts.voice}${why}` };
}

