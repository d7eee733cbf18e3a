/**
 * Start-up warms the chosen local engines so the first answer does not pay
 * for loading them: createCodaServer resolves with the Flite worker already
 * started and one sentence synthesised; warmEngines leaves network engines
 * alone, logs an engine that fails to warm without failing, and stops
 * warming when its signal is aborted.
 */
import { describe, expect, it } from "vitest";
import type { Logger, LogFields } from "../../../actors/logger.js";
import type { SttEngine } from "../../../actors/stt/types.js";
import { FliteTts } from "../../../actors/tts/flite.js";
import type { TtsEngine } from "../../../actors/tts/types.js";
import { createCodaServer } from "../../../server/app/app.js";
import { warmEngines, warmProtocol } from "../../../server/app/warm-up.js";

function recordingLogger() {
  const lines: { level: string; message: string; fields?: LogFields }[] = [];
  const logger: Logger = {
    info: (message, fields) => lines.push({ level: "info", message, ...(fields ? { fields } : {}) }),
    warn: (message, fields) => lines.push({ level: "warn", message, ...(fields ? { fields } : {}) }),
    error: (message, fields) => lines.push({ level: "error", message, ...(fields ? { fields } : {}) }),
  };
  return { logger, lines };
}

/** A TTS engine that records what it was asked to say. */
function recordingTts(name: string, fail?: Error): TtsEngine & { said: string[] } {
  const said: string[] = [];
  return {
    name,
    voice: "v",
    format: { sample_rate: 16000, sample_type: "s16le", channels: 1 },
    said,
    async *synthesize(text) {
      said.push(text);
      if (fail) throw fail;
      yield new Uint8Array(320);
    },
    async close() {},
  };
}

describe("warm-up at start-up", () => {
  it("createCodaServer resolves with the speech worker started and one sentence already synthesised", async () => {
    const coda = await createCodaServer({ port: 0, host: "127.0.0.1", memoryDb: "off", llmEngine: "builtin", sttEngine: "none", ttsEngine: "flite", vad: "energy", logger: recordingLogger().logger });
    try {
      expect(coda.engines.tts).toBeInstanceOf(FliteTts);
      expect((coda.engines.tts as FliteTts).stats).toMatchObject({ workerStarts: 1, sentences: 1 });
    } finally {
      await coda.stop();
    }
  }, 60_000);

  it("warms local engines, leaves network engines alone, and logs a failure without failing", async () => {
    const { logger, lines } = recordingLogger();
    const local = recordingTts("espeak-ng");
    await warmEngines({ tts: local }, logger);
    expect(local.said).toEqual(["It is 12:34 PM on Friday, and 6 times 7 is 42."]);
    expect(lines.map((l) => l.message)).toEqual(["engines warm"]);

    const remote = recordingTts("openai");
    const remoteStt: SttEngine = { name: "openai", transcribe: () => { throw new Error("must not be called"); } } as unknown as SttEngine;
    await warmEngines({ tts: remote, stt: remoteStt }, logger);
    expect(remote.said).toEqual([]);

    const broken = recordingTts("festival", new Error("festival: voice missing"));
    lines.length = 0;
    await warmEngines({ tts: broken }, logger);
    expect(lines).toEqual([
      { level: "warn", message: "engine warm-up failed", fields: { engine: "festival speech", error: "festival: voice missing" } },
      { level: "info", message: "engines warm", fields: { ms: expect.any(Number) } },
    ]);
  });

  it("compiles the wire schemas with the documented examples, every one of which validates", () => {
    expect(() => warmProtocol()).not.toThrow();
  });

  it("passes its signal to the engine, so aborting it stops the warm-up", async () => {
    const { logger, lines } = recordingLogger();
    const seen: AbortSignal[] = [];
    const tts: TtsEngine = {
      name: "flite",
      voice: "v",
      format: { sample_rate: 16000, sample_type: "s16le", channels: 1 },
      // eslint-disable-next-line require-yield
      async *synthesize(_text, { signal }) {
        seen.push(signal);
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
      },
      async close() {},
    };
    const controller = new AbortController();
    const warming = warmEngines({ tts }, logger, controller.signal);
    await expect.poll(() => seen.length).toBe(1);
    controller.abort(new Error("stopping"));
    await warming;
    expect(seen[0]!.aborted).toBe(true);
    expect(lines[0]).toEqual({ level: "warn", message: "engine warm-up failed", fields: { engine: "flite speech", error: "stopping" } });
  });
});
