/**
 * Continuous listening in a room where others talk, through the real server
 * (`createCodaServer` with its default detector: Silero behind the
 * speaker-level gate) and a real WebSocket client that streams eSpeak
 * speech in six-talker babble 10 dB below it (made here) in 100 ms binary
 * frames, as the dashboard does. Each utterance ends after the user's last
 * word, without stt_stop; the second starts at the user's first word, since
 * the conversation remembers how loud the user is. With the gate off
 * (`vadLevelGateDb: 0`) the babble keeps the first utterance open.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { LogFields, Logger } from "../../../actors/logger.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { concat, labelSpeech, makeNoise, mixAtSnr, silence, speak, toPcm16 } from "../../../actors/stt/testing/speech-in-noise.js";
import { loadEspeak } from "../../../actors/tts/espeak-wasm.js";
import { createCodaServer, type CodaServer } from "../../../server/app/app.js";
import { silentLogger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { speechBounds } from "../../helpers/vad.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { until } from "../../helpers/wait.js";

const FRAME_BYTES = 3200; // 100 ms of 16 kHz s16le
const TEXTS = ["turn on the kitchen lights", "what is the weather like tomorrow"];

/** Each utterance: its frames, and where its speech starts and ends (ms into it). */
let utterances: { pcm: Uint8Array; startMs: number; endMs: number }[];

beforeAll(async () => {
  const synth = await loadEspeak();
  const cleans = [
    concat([silence(1500), speak(synth, "Turn on the kitchen lights, please."), silence(2500)]),
    concat([silence(1500), speak(synth, "What is the weather like tomorrow?", { voice: "en-gb", rate: 160 }), silence(2500)]),
  ];
  const both = concat(cleans);
  const mixed = mixAtSnr(both, labelSpeech(both, 400), makeNoise("babble", both.length, synth), 10);
  let at = 0;
  utterances = cleans.map((clean) => {
    const pcm = toPcm16(mixed.subarray(at, at + clean.length));
    at += clean.length;
    return { pcm, ...speechBounds(clean) };
  });
}, 60_000);

const cleanups = useCleanup();

/** A logger that keeps the detector's speech_start lines (the only place the server reports them). */
function vadLog() {
  const starts: number[] = [];
  const logger: Logger = {
    ...silentLogger,
    info(message: string, fields?: LogFields) {
      if (message === "speech started") starts.push(fields!.atMs as number);
    },
  };
  return { starts, logger };
}

async function start(vadLevelGateDb?: number) {
  const stt = new ScriptedSttEngine({ utterances: TEXTS, waitForAudioEnd: true });
  const { starts, logger } = vadLog();
  const coda: CodaServer = await createCodaServer({
    host: "127.0.0.1",
    port: 0,
    memoryDb: "off",
    llmEngine: "builtin",
    ttsEngine: "none",
    logger,
    engines: { stt },
    // The audio goes faster than real time: more frames a second than a microphone sends.
    audioFramesPerSecond: 1000,
    ...(vadLevelGateDb !== undefined ? { vadLevelGateDb } : {}),
  });
  cleanups.push(() => coda.stop());
  const client = await TestClient.connect(coda.url);
  cleanups.push(() => client.close());
  await client.waitForType("replay");
  return { coda, client, stt, starts };
}

function stream(client: TestClient, pcm: Uint8Array): number {
  let frames = 0;
  for (let at = 0; at < pcm.byteLength; at += FRAME_BYTES, frames++) client.ws.send(pcm.subarray(at, at + FRAME_BYTES), { binary: true });
  return frames;
}

describe("continuous listening with babble 10 dB below the user", () => {
  it("each utterance ends after the user's last word, and the second starts at the user's first", { timeout: 60_000 }, async () => {
    const { client, stt, starts } = await start();
    expect((await client.command("stt_start", { mode: "continuous" }, "s1")).type).toBe("command_ack");
    for (const [i, u] of utterances.entries()) {
      const turn = `t${i + 1}`;
      await client.waitFor((m) => m.type === "stt_start" && m.data.turn_id === turn, { timeoutMs: 10_000 });
      const sent = stream(client, u.pcm);
      expect((await client.waitFor((m) => m.type === "stt_result" && m.data.turn_id === turn, { timeoutMs: 15_000 })).data).toMatchObject({ text: TEXTS[i] });
      // The recogniser heard up to the frame in which the end-of-speech silence ran out: after the speech, before the audio's end.
      const heardMs = stt.calls[i]!.chunks * 100;
      expect(heardMs).toBeGreaterThan(u.endMs + 600);
      expect(heardMs).toBeLessThanOrEqual(u.endMs + 700 + 150 + 100);
      expect(stt.calls[i]!.chunks).toBeLessThan(sent);
    }
    // The first detector met the babble before the user (it starts with it); the second knew the user's level.
    expect(starts).toHaveLength(2);
    expect(starts[0]).toBeLessThan(utterances[0]!.startMs);
    expect(Math.abs(starts[1]! - utterances[1]!.startMs)).toBeLessThanOrEqual(200);
    expect(client.ofType("command_error")).toEqual([]);
  });

  it("with the gate off the babble keeps the first utterance open until stt_stop", { timeout: 60_000 }, async () => {
    const { client, stt } = await start(0);
    expect((await client.command("stt_start", { mode: "continuous" }, "s1")).type).toBe("command_ack");
    const sent = stream(client, utterances[0]!.pcm);
    await until(() => (stt.calls[0]?.chunks ?? 0) >= sent, "the recogniser to hear every frame", 10_000, 5);
    expect(client.ofType("stt_result")).toEqual([]);
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    expect((await client.waitForType("stt_result")).data).toMatchObject({ turn_id: "t1", text: TEXTS[0] });
  });
});
