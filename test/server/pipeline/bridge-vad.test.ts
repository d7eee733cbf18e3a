/**
 * End of speech over a real WebSocket (WebSocketServer + createBridge): a
 * client streams synthetic PCM (a tone, then silence) in binary frames. In
 * continuous mode the voice-activity detector ends each utterance after its
 * hangover, without stt_stop, and the machine listens again for the next
 * burst. Push-to-talk ignores the end of speech: the utterance lasts while
 * the button is held, across pauses, and ends at stt_stop. With the VAD off
 * only stt_stop ends the utterance.
 */
import { describe, expect, it } from "vitest";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import type { BridgeOptions } from "../../../server/pipeline/bridge.js";
import { TestClient } from "../../helpers/client.js";
import { sleep, until } from "../../helpers/wait.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { startPipeline } from "../../helpers/pipeline.js";

// 100 ms frames, as the dashboard sends them: binary frames count against the per-client frame rate limit (20/s by default).
const FRAME_MS = 100;
const SAMPLES_PER_MS = 16;

/** `ms` of a 440 Hz sine at `amplitude` (0..1 of full scale), 16 kHz s16le mono. */
function tone(ms: number, amplitude = 0.3): Buffer {
  const n = ms * SAMPLES_PER_MS;
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * 440 * i) / 16000)), i * 2);
  return out;
}
const silence = (ms: number) => Buffer.alloc(ms * SAMPLES_PER_MS * 2);

/** Send `pcm` as FRAME_MS binary frames. */
function stream(client: TestClient, pcm: Buffer): number {
  const bytes = FRAME_MS * SAMPLES_PER_MS * 2;
  let frames = 0;
  for (let at = 0; at < pcm.byteLength; at += bytes, frames++) client.ws.send(pcm.subarray(at, at + bytes), { binary: true });
  return frames;
}

const closers = useCleanup();

async function setup(utterances: string[], vad?: BridgeOptions["vad"]) {
  const stt = new ScriptedSttEngine({ utterances, waitForAudioEnd: true });
  const logs: { msg: string; fields?: object }[] = [];
  const { connect } = await startPipeline(closers, {
    engines: { stt },
    ...(vad !== undefined ? { vad } : {}),
    logger: { info: (msg, fields) => logs.push({ msg, fields }), warn() {}, error: (msg, fields) => logs.push({ msg: `ERROR ${msg}`, fields }) },
  });
  return { client: await connect(), stt, logs };
}

// 400 ms of tone then 800 ms of silence = 12 frames. Speech starts at 0 ms; 700 ms of quiet after the
// tone end it at 1100 ms (VAD defaults), in frame 10: the recogniser hears 11 frames, not 12.
const BURST = () => Buffer.concat([tone(400), silence(800)]);
const SENT_FRAMES = 12;
const HEARD_FRAMES = 11;

describe("voice-activity detection over WebSocket", () => {
  it("push_to_talk: speech, a 1 s pause and more speech are one utterance, ended by stt_stop with no error", async () => {
    const { client, stt, logs } = await setup(["turn the lights on"]);
    expect((await client.command("stt_start", { mode: "push_to_talk" }, "s1")).type).toBe("command_ack");
    // Tone, 1 s of quiet (past the 700 ms hangover), tone, quiet: the button is held throughout.
    const frames = stream(client, Buffer.concat([tone(400), silence(1000), tone(400), silence(200)]));
    await until(() => stt.calls[0]!.chunks >= frames, "the recogniser to hear every frame", 5000, 5);
    expect(stt.calls[0]!.chunks).toBe(frames);
    expect(client.ofType("stt_result")).toEqual([]);
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    expect((await client.waitForType("stt_result")).data).toMatchObject({ turn_id: "t1", text: "turn the lights on" });
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(client.messages.filter((m) => m.type === "latency_trace").map((m) => m.data.turn_id)).toEqual(["t1"]);
    expect(stt.calls).toHaveLength(1);
    expect(client.ofType("command_error")).toEqual([]);
    expect(logs.filter((l) => l.msg.startsWith("ERROR"))).toEqual([]);
  });

  it("continuous: each utterance ends at its end of speech and the machine listens again, until stt_stop", async () => {
    const { client, stt } = await setup(["first words", "second words"]);
    expect((await client.command("stt_start", { mode: "continuous" }, "s1")).type).toBe("command_ack");
    stream(client, BURST());
    expect((await client.waitForType("stt_result")).data).toMatchObject({ turn_id: "t1", text: "first words" });
    // After the answer the machine listens again, in a new turn.
    const relisten = await client.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t2");
    expect(relisten.data).toMatchObject({ mode: "continuous", source: "client" });
    expect(client.ofType("state_change").map((m) => [m.data.state, m.data.turn_id])).toEqual([
      ["listening", "t1"],
      ["thinking", "t1"],
      ["speaking", "t1"],
      ["listening", "t2"],
    ]);
    stream(client, BURST());
    expect((await client.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t2")).data).toMatchObject({ text: "second words" });
    await client.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t3");
    expect(stt.calls.map((c) => c.chunks)).toEqual([HEARD_FRAMES, HEARD_FRAMES, 0]);
    // stt_stop while listening ends the session: t3 hears nothing (empty result) and the machine rests.
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    expect((await client.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t3")).data).toMatchObject({ text: "" });
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(client.ofType("command_error")).toEqual([]);
  });

  it("with the VAD off, the same audio does not end the utterance; stt_stop does", async () => {
    const { client, stt } = await setup(["lights off"], false);
    expect((await client.command("stt_start", { mode: "push_to_talk" }, "s1")).type).toBe("command_ack");
    stream(client, BURST());
    await until(() => stt.calls[0]!.chunks >= SENT_FRAMES, "the recogniser to hear every frame", 5000, 5);
    expect(stt.calls[0]!.chunks).toBe(SENT_FRAMES);
    await sleep(50);
    expect(client.ofType("stt_result")).toEqual([]);
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    expect((await client.waitForType("stt_result")).data).toMatchObject({ turn_id: "t1", text: "lights off" });
  });
});
