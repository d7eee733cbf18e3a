/**
 * The JavaScript Silero network (actors/stt/vad-silero-net.ts) computes what
 * an ONNX runtime computes from the same file: onnxruntime-web (WebAssembly,
 * a development dependency only) runs models/silero_vad_v5.onnx on the same
 * frames, real speech and noise, and both the speech probability and the
 * recurrent state agree to within float rounding, frame after frame (the
 * state carries any error forward, so a wrong gate or tap shows up at once).
 * Also: files that are not Silero v5 are refused with a message naming why.
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-web";
import { beforeAll, describe, expect, it } from "vitest";
import { atSpeechLevel, concat, labelSpeech, makeNoise, mixAtSnr, silence, speak } from "../../../actors/stt/testing/speech-in-noise.js";
import { SILERO_INPUT, SILERO_STATE, SileroNet } from "../../../actors/stt/vad-silero-net.js";
import { readSileroWeights } from "../../../actors/stt/vad-silero-onnx.js";
import { sileroModelPath } from "../../../actors/stt/vad-silero.js";
import { loadEspeak } from "../../../actors/tts/espeak-wasm.js";

let file: Uint8Array;
let session: ort.InferenceSession;
/** Speech in babble at 10 dB, then speech alone, then silence: 16 kHz samples. */
let audio: Float32Array;

beforeAll(async () => {
  file = readFileSync(sileroModelPath());
  ort.env.wasm.numThreads = 1;
  session = await ort.InferenceSession.create(file);
  const synth = await loadEspeak();
  const speech = concat([silence(300), speak(synth, "Turn on the kitchen lights, please."), silence(300)]);
  const labels = labelSpeech(speech);
  audio = concat([mixAtSnr(speech, labels, makeNoise("babble", speech.length, synth), 10), atSpeechLevel(speech, labels), silence(500)]);
}, 90_000);

describe("Silero network in JavaScript", () => {
  it.each([
    ["as an FFT (the file's basis is a windowed DFT)", {}],
    ["as the basis's convolution", { fft: false }],
  ])("gives the probabilities and states onnxruntime-web gives for the same file, frame after frame, with the STFT %s", async (_how, options) => {
    const net = new SileroNet(readSileroWeights(file), options);
    const sr = new ort.Tensor("int64", BigInt64Array.from([16_000n]), []);
    let ortState = new Float32Array(SILERO_STATE);
    const jsState = new Float32Array(SILERO_STATE);
    const window = new Float32Array(SILERO_INPUT);
    let worstProbability = 0;
    let worstState = 0;
    const probabilities: number[] = [];
    for (let at = 0; at + 512 <= audio.length; at += 512) {
      window.copyWithin(0, 512);
      window.set(audio.subarray(at, at + 512), 64);
      const out = await session.run({
        input: new ort.Tensor("float32", window.slice(), [1, SILERO_INPUT]),
        state: new ort.Tensor("float32", ortState.slice(), [2, 1, 128]),
        sr,
      });
      const expected = (out.output!.data as Float32Array)[0]!;
      ortState = Float32Array.from(out.stateN!.data as Float32Array);
      const actual = net.run(window, jsState);
      probabilities.push(actual);
      worstProbability = Math.max(worstProbability, Math.abs(actual - expected));
      for (let i = 0; i < SILERO_STATE; i++) worstState = Math.max(worstState, Math.abs(jsState[i]! - ortState[i]!));
    }
    expect(probabilities.length).toBeGreaterThan(150);
    expect(worstProbability).toBeLessThan(1e-4);
    expect(worstState).toBeLessThan(1e-3);
    // The comparison covered both answers: frames of speech and frames of none.
    expect(probabilities.some((p) => p > 0.9)).toBe(true);
    expect(probabilities.some((p) => p < 0.1)).toBe(true);
  });

  it("refuses input of the wrong size with a RangeError", () => {
    const net = new SileroNet(readSileroWeights(file));
    expect(() => net.run(new Float32Array(512), new Float32Array(SILERO_STATE))).toThrow(new RangeError("Silero takes 576 samples, got 512"));
    expect(() => net.run(new Float32Array(SILERO_INPUT), new Float32Array(128))).toThrow(new RangeError("Silero's state is 256 floats, got 128"));
  });
});

describe("readSileroWeights", () => {
  it("refuses a file that is not ONNX, and an ONNX file that is not Silero v5, saying why", () => {
    expect(() => readSileroWeights(new TextEncoder().encode('{"name":"x"}'))).toThrow(/^not an ONNX file \(/);
    expect(() => readSileroWeights(new Uint8Array(0))).toThrow("not an ONNX file (no graph)");
    // A truncated Silero file is not read as a smaller model.
    expect(() => readSileroWeights(file.subarray(0, 100_000))).toThrow(/^not an ONNX file \(truncated/);
    // A real ONNX file with another network: the model's graph without its 16 kHz branch.
    const renamed = Buffer.from(file);
    const at = renamed.indexOf("stft.forward_basis_buffer");
    let count = 0;
    for (let i = at; i !== -1; i = renamed.indexOf("stft.forward_basis_buffer", i + 1)) {
      renamed.write("stft.forward_basis_bufFER", i);
      count++;
    }
    expect(count).toBeGreaterThan(0);
    expect(() => readSileroWeights(renamed)).toThrow("no 16 kHz STFT basis (stft.forward_basis_buffer 258x1x256): not a Silero v5 model");
  });
});
