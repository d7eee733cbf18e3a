/**
 * Choosing the detector: Silero by default, energy on request or when the
 * model cannot load, and a start-up line that says which runs and why.
 */
import { describe, expect, it } from "vitest";
import { loadVad } from "../../../actors/stt/vad-select.js";

describe("loadVad", () => {
  it("loads Silero by default and describes it", { timeout: 60_000 }, async () => {
    const vad = await loadVad({ workers: 1 });
    expect(vad.name).toBe("silero");
    expect(vad.options).toEqual({ threshold: 0.5, startMs: 100, hangoverMs: 700, maxUtteranceMs: 30000 });
    expect(vad.description).toBe(
      "VAD: Silero v5 (silero_vad_v5.onnx run in JavaScript, in a worker thread), speech probability 0.5, ends after 700 ms of silence; talk more than 6 dB below the speaker's level does not count (level gate)",
    );
    expect(vad.create({ sample_rate: 16000, sample_type: "s16le", channels: 1 }).name).toBe("silero");
    await vad.close();
  });

  it("runs Silero without the level gate when levelGateDb is 0", { timeout: 60_000 }, async () => {
    const vad = await loadVad({ levelGateDb: 0, workers: 3 });
    expect(vad.name).toBe("silero");
    expect(vad.description).toMatch(/^VAD: Silero v5 \(silero_vad_v5\.onnx run in JavaScript, in up to 3 worker threads\), .*, ends after 700 ms of silence$/);
    await vad.close();
  });

  it("runs the energy detector when asked, with the endpointing settings", async () => {
    const vad = await loadVad({ detector: "energy", energyThreshold: 0.02, endpointing: { hangoverMs: 500, startMs: 40 } });
    expect(vad.name).toBe("energy");
    expect(vad.options).toEqual({ threshold: 0.02, startMs: 40, hangoverMs: 500, maxUtteranceMs: 30000 });
    expect(vad.description).toBe("VAD: energy threshold 0.02 RMS (--vad energy), ends after 500 ms of silence");
  });

  it("falls back to the energy detector when the model cannot load, and says why", { timeout: 60_000 }, async () => {
    const vad = await loadVad({ modelPath: "/nonexistent/silero_vad.onnx" });
    expect(vad.name).toBe("energy");
    expect(vad.description).toMatch(
      /^VAD: energy threshold 0\.01 RMS \(fallback: the Silero model \/nonexistent\/silero_vad\.onnx could not load: .+\), ends after 700 ms of silence$/,
    );
  });

  it("refuses invalid settings with a TypeError, before any fallback could hide them", async () => {
    await expect(loadVad({ threshold: 1.5 })).rejects.toThrow(new TypeError("vad threshold must be between 0 and 1 (Silero speech probability)"));
    await expect(loadVad({ detector: "energy", threshold: 1.5 })).rejects.toThrow(TypeError);
    await expect(loadVad({ levelGateDb: -1 })).rejects.toThrow(new TypeError("vad level gate marginDb must be between 0 (off) and 40"));
    await expect(loadVad({ detector: "energy", levelGateDb: 41 })).rejects.toThrow(TypeError);
    await expect(loadVad({ energyThreshold: 0 })).rejects.toThrow(new TypeError("vad threshold must be between 0 and 1 (RMS of full scale)"));
    await expect(loadVad({ endpointing: { hangoverMs: 0 } })).rejects.toThrow(
      new TypeError("vad needs startMs >= 0, hangoverMs > 0 and maxUtteranceMs > hangoverMs"),
    );
  });
});

describe("a Silero provider whose model has gone", () => {
  it("gives later streams the energy detector", { timeout: 60_000 }, async () => {
    const vad = await loadVad();
    expect(vad.create({ sample_rate: 16000, sample_type: "s16le", channels: 1 }).name).toBe("silero");
    await vad.close();
    expect(vad.create({ sample_rate: 16000, sample_type: "s16le", channels: 1 }).name).toBe("energy");
  });
});
