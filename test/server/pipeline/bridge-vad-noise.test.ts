/**
 * Silero end-of-speech over a real WebSocket, on real audio: a client streams
 * eSpeak speech in white noise at 10 dB SNR (made here) in 100 ms binary
 * frames, as the dashboard does, in continuous mode. With the server's
 * default detector (Silero, from loadVad) the utterance ends at the end of
 * speech without stt_stop and the machine answers and listens again; with
 * the energy detector (`--vad energy`) the noise keeps the utterance open
 * until stt_stop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { concat, LABEL_MS, labelSpeech, makeNoise, mixAtSnr, silence, speak, toPcm16 } from "../../../actors/stt/testing/speech-in-noise.js";
import { loadVad } from "../../../actors/stt/vad-select.js";
import type { VadProvider } from "../../../actors/stt/vad.js";
import { loadEspeak } from "../../../actors/tts/espeak-wasm.js";
import { TestClient } from "../../helpers/client.js";
import { until } from "../../helpers/wait.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { startPipeline } from "../../helpers/pipeline.js";

const FRAME_BYTES = 3200; // 100 ms of 16 kHz s16le

let pcm: Uint8Array;
let speechEndMs: number;
const providers: Record<"silero" | "energy", VadProvider> = {} as never;

beforeAll(async () => {
  const synth = await loadEspeak();
  const clean = concat([silence(800), speak(synth, "Turn on the kitchen lights, please."), silence(2200)]);
  const labels = labelSpeech(clean);
  speechEndMs = (labels.lastIndexOf(true) + 1) * LABEL_MS;
  pcm = toPcm16(mixAtSnr(clean, labels, makeNoise("white", clean.length, synth), 10));
  providers.silero = await loadVad();
  providers.energy = await loadVad({ detector: "energy" });
  expect(providers.silero.name).toBe("silero");
  // Loading eSpeak and starting the model worker takes seconds on a busy machine.
}, 90_000);
afterAll(async () => {
  await providers.silero.close();
  await providers.energy.close();
});

const closers = useCleanup();

async function setup(vad: VadProvider) {
  const stt = new ScriptedSttEngine({ utterances: ["turn on the kitchen lights"], waitForAudioEnd: true });
  const client = await (await startPipeline(closers, { engines: { stt }, vad })).connect();
  return { client, stt };
}

function stream(client: TestClient): number {
  let frames = 0;
  for (let at = 0; at < pcm.byteLength; at += FRAME_BYTES, frames++) client.ws.send(pcm.subarray(at, at + FRAME_BYTES), { binary: true });
  return frames;
}

describe("end of speech in noise over WebSocket", () => {
  it("Silero: the utterance ends after the speech, without stt_stop, and the machine answers and listens again", async () => {
    const { client, stt } = await setup(providers.silero);
    expect((await client.command("stt_start", { mode: "continuous" }, "s1")).type).toBe("command_ack");
    const sent = stream(client);
    expect((await client.waitForType("stt_result", { timeoutMs: 10_000 })).data).toMatchObject({ turn_id: "t1", text: "turn on the kitchen lights" });
    await client.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t2");
    // The recogniser heard up to the frame in which the silence ran out: after the speech, before the audio's end.
    const heardMs = stt.calls[0]!.chunks * 100;
    expect(heardMs).toBeGreaterThan(speechEndMs + 600);
    expect(heardMs).toBeLessThanOrEqual(speechEndMs + 700 + 200 + 100);
    expect(stt.calls[0]!.chunks).toBeLessThan(sent);
    expect(client.ofType("command_error")).toEqual([]);
  });

  it("energy: the noise keeps the utterance open until stt_stop", async () => {
    const { client, stt } = await setup(providers.energy);
    expect((await client.command("stt_start", { mode: "continuous" }, "s1")).type).toBe("command_ack");
    const sent = stream(client);
    await until(() => stt.calls[0]!.chunks >= sent, "the recogniser to hear every frame", 5000, 5);
    expect(stt.calls[0]!.chunks).toBe(sent);
    expect(client.ofType("stt_result")).toEqual([]);
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    expect((await client.waitForType("stt_result")).data).toMatchObject({ turn_id: "t1", text: "turn on the kitchen lights" });
  });
});
