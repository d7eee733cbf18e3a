/**
 * The client whose audio feeds a voice session, over a real WebSocket:
 * frames still in flight after its utterance ended are dropped quietly for
 * a 1 s grace (then refused as before); an stt_stop that arrives just after
 * the utterance ended is acknowledged; and when that client disconnects,
 * its utterance and session are cancelled (stt_error client_gone) and the
 * machine rests at once, free for anyone. Time for the grace comes from a
 * clock the test sets.
 */
import { describe, expect, it } from "vitest";
import { ScriptedSttEngine, type ScriptedSttOptions } from "../../../actors/stt/testing/scripted.js";
import { END_GRACE_MS } from "../../../actors/stt/end-grace.js";
import { sleep } from "../../helpers/wait.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { startPipeline } from "../../helpers/pipeline.js";

const closers = useCleanup();

const frame = () => Buffer.alloc(3200);

async function setup(stt: ScriptedSttOptions) {
  const clock = { ms: 0 };
  const engine = new ScriptedSttEngine(stt);
  const { bridge, connect } = await startPipeline(closers, { engines: { stt: engine }, now: () => clock.ms });
  return { clock, bridge, stt: engine, connect };
}

describe("after an utterance ended", () => {
  it("push_to_talk: late frames are dropped quietly for 1 s, and an stt_stop just after is acknowledged", async () => {
    // The recogniser finishes on its own, before the user lets go of the button.
    const { clock, bridge, connect } = await setup({ utterances: ["hello"] });
    const client = await connect();
    expect((await client.command("stt_start", { mode: "push_to_talk" }, "s1")).type).toBe("command_ack");
    await client.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    clock.ms += END_GRACE_MS - 1;
    client.ws.send(frame(), { binary: true });
    expect((await client.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    expect(client.ofType("command_error")).toEqual([]);
    clock.ms += 2;
    client.ws.send(frame(), { binary: true });
    const refused = await client.waitForType("command_error");
    expect(refused.data).toMatchObject({ code: "unexpected_binary" });
    expect((await client.command("stt_stop", {}, "s3")).data).toMatchObject({ id: "s3", code: "invalid_state", message: "Not listening" });
    expect(bridge.state()).toBe("idle");
  });

  it("the grace is the owner's only: another client's frames are refused", async () => {
    const { connect } = await setup({ utterances: ["hello"] });
    const owner = await connect();
    const other = await connect();
    await owner.command("stt_start", { mode: "push_to_talk" }, "s1");
    await owner.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    other.ws.send(frame(), { binary: true });
    expect((await other.waitForType("command_error")).data).toMatchObject({ code: "unexpected_binary" });
  });
});

describe("the audio owner disconnects", () => {
  it.each(["push_to_talk", "continuous"] as const)("%s mid-listen: stt_error client_gone, idle at once, another client can start", async (mode) => {
    const { bridge, stt, connect } = await setup({ utterances: ["one", "two"], waitForAudioEnd: true });
    const owner = await connect();
    const watcher = await connect();
    expect((await owner.command("stt_start", { mode }, "s1")).type).toBe("command_ack");
    owner.ws.send(frame(), { binary: true });
    await watcher.waitFor((m) => m.type === "stt_start");
    await owner.close();
    const error = await watcher.waitForType("stt_error");
    expect(error.data).toEqual({ turn_id: "t1", code: "client_gone", message: "The client streaming the audio disconnected" });
    await watcher.waitFor((m) => m.type === "state_change" && m.data.state === "idle");
    expect(bridge.state()).toBe("idle");
    expect(stt.calls[0]!.signal.aborted).toBe(true);
    // Free for anyone, with no stt_stop needed.
    expect((await watcher.command("stt_start", { mode: "push_to_talk" }, "w1")).type).toBe("command_ack");
    await sleep(20);
    expect(watcher.ofType("command_error")).toEqual([]);
  });
});
