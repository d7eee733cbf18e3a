/**
 * One conversation, several clients, over real WebSockets: when one
 * client's command takes over a turn another client started, every client
 * is told whose turn it was, what it asked, whose command took over and
 * what happened to it (turn_interrupted `client`, `question`, `by_client`,
 * `outcome`):
 * - a typed question sent while another client's question is being
 *   thought about cuts it before any answer: `unanswered`;
 * - a push-to-talk held by one client, overtaken by another's typed
 *   question: `utterance_dropped`; the frames its held button still sends
 *   are dropped quietly (for as long as an utterance may last: the
 *   listening deadline), and its release (stt_stop) is answered with
 *   `overtaken`, naming what took over, whether the new answer is still
 *   running or already done (never a bare `invalid_state`); once answered,
 *   the client has moved on;
 * - that release never ends another client's utterance that started since;
 * - in a continuous session, the speaker whose utterance a typed question
 *   cut is listened to again after that answer, and its stt_stop keeps its
 *   usual meaning;
 * - stop_speaking from another client names it, with what was heard.
 * The end grace of an utterance runs on a clock the test moves.
 */
import { describe, expect, it } from "vitest";
import { END_GRACE_MS } from "../../../actors/stt/end-grace.js";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import type { LlmEngine } from "../../../actors/llm/types.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { DEFAULT_DEADLINES } from "../../../machines/voice-types.js";
import { useCleanup } from "../../helpers/cleanup.js";
import type { TestClient } from "../../helpers/client.js";
import { hangingOn } from "../../helpers/llm.js";
import { startPipeline } from "../../helpers/pipeline.js";
import { sleep } from "../../helpers/wait.js";

const closers = useCleanup();

const frame = () => Buffer.alloc(3200);

/** The client id the server gave this connection (its welcome). */
const idOf = (c: TestClient) => c.ofType("connection_status").find((m) => m.data.status === "connected")!.data.client_id!;

const idle = (c: TestClient, from = 0) => c.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from });

describe("a typed question while another client's question is thought about", () => {
  it("cuts it before any answer, and every client is told whose question took over and that the other was not answered", async () => {
    const llm = hangingOn(/story/, "Twelve times seven is 84.");
    const { connect } = await startPipeline(closers, { engines: { llm } });
    const asker = await connect();
    const other = await connect();
    const watcher = await connect();
    expect((await asker.command("text_input", { text: "tell me a long story" }, "a1")).type).toBe("command_ack");
    await watcher.waitFor((m) => m.type === "llm_start" && m.data.turn_id === "t1");

    expect((await other.command("text_input", { text: "what is 12 times 7" }, "b1")).type).toBe("command_ack");
    const expected = {
      turn_id: "t1",
      reason: "barge_in",
      state: "thinking",
      outcome: "unanswered",
      client: idOf(asker),
      question: "tell me a long story",
      by: "t2",
      by_client: idOf(other),
      heard_ms: 0,
      heard_text: "",
    };
    expect(idOf(asker)).not.toBe(idOf(other));
    for (const c of [asker, other, watcher]) expect((await c.waitForType("turn_interrupted")).data).toEqual(expected);
    expect(llm.hung.requests[0]!.signal.aborted).toBe(true);
    // The question that took over is answered as usual.
    const result = await watcher.waitFor((m) => m.type === "llm_result" && m.data.turn_id === "t2");
    expect(result.data).toMatchObject({ text: "Twelve times seven is 84.", finish_reason: "stop" });
    await idle(watcher);
  });

  it("stop_speaking from another client names it, with what the asker heard", async () => {
    const { connect } = await startPipeline(closers, {
      engines: { llm: new ScriptedLlmEngine({ answer: "One. Two. Three. Four. Five.", tokenMs: 5 }), tts: new ScriptedTtsEngine({ chunkDelayMs: 15 }) },
    });
    const asker = await connect();
    const stopper = await connect();
    await asker.command("text_input", { text: "count to five" });
    await asker.waitFor((m) => m.type === "tts_progress");
    expect((await stopper.command("stop_speaking", {}, "s1")).type).toBe("command_ack");
    const cut = await asker.waitForType("turn_interrupted");
    // No audio consumer: what was synthesised counts as heard.
    expect(cut.data).toMatchObject({ turn_id: "t1", reason: "stop", outcome: "answer_cut", client: idOf(asker), question: "count to five", by: null, by_client: idOf(stopper) });
    expect(cut.data.heard_ms).toBeGreaterThan(0);
    expect(cut.data.heard_text).toMatch(/^One\./);
  });
});

describe("a push-to-talk held by one client, overtaken by another's typed question", () => {
  async function overtake(llm: LlmEngine) {
    const clock = { ms: 0 };
    const stt = new ScriptedSttEngine({ utterances: ["what time is it", "and tomorrow"], waitForAudioEnd: true });
    const { bridge, connect } = await startPipeline(closers, { engines: { stt, llm }, now: () => clock.ms });
    const holder = await connect();
    const typist = await connect();
    expect((await holder.command("stt_start", { mode: "push_to_talk" }, "h1")).type).toBe("command_ack");
    holder.ws.send(frame(), { binary: true });
    await typist.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t1");
    expect((await typist.command("text_input", { text: "what is 12 times 7" }, "b1")).type).toBe("command_ack");
    return { clock, stt, bridge, holder, typist };
  }

  it.each([
    ["while the question that took over is still thought about", false],
    ["after the question that took over was answered", true],
  ])("the holder is told at once, its frames are dropped quietly, and its release %s is answered `overtaken`", async (_when, answered) => {
    // Not answered yet: the model is still thinking about the typed question when the button is released.
    const { clock, stt, bridge, holder, typist } = await overtake(new ScriptedLlmEngine(answered ? { answer: "84." } : { hang: true }));
    const cut = await holder.waitForType("turn_interrupted");
    expect(cut.data).toEqual({
      turn_id: "t1",
      reason: "barge_in",
      state: "listening",
      outcome: "utterance_dropped",
      client: idOf(holder),
      question: null,
      by: "t2",
      by_client: idOf(typist),
      heard_ms: 0,
      heard_text: "",
    });
    expect(stt.calls[0]!.signal.aborted).toBe(true);
    if (answered) await idle(holder, holder.messages.indexOf(cut));
    else await holder.waitFor((m) => m.type === "llm_start" && m.data.turn_id === "t2");
    expect(bridge.state()).toBe(answered ? "idle" : "thinking");

    // Well past the end grace, the button is still held: its frames are dropped without a word.
    clock.ms += 5 * END_GRACE_MS;
    const before = holder.messages.length;
    for (let i = 0; i < 3; i++) holder.ws.send(frame(), { binary: true });
    const released = await holder.command("stt_stop", {}, "h2");
    expect(holder.messages.slice(before).filter((m) => m.type === "command_error")).toEqual([released]);
    expect(released.data).toEqual({
      id: "h2",
      command: "stt_stop",
      code: "overtaken",
      message: `Your utterance (turn t1) was dropped before it was heard: another client's question (${idOf(typist)}) took over (turn t2). Nothing to stop; send stt_start to speak again`,
    });
    // The question that took over goes on as if nothing happened.
    expect(bridge.state()).toBe(answered ? "idle" : "thinking");
    expect(typist.ofType("command_error")).toEqual([]);

    // Answered once: the client has moved on, and what it sends now is judged as anyone's.
    expect((await holder.command("stt_stop", {}, "h3")).data).toMatchObject({ code: "invalid_state" });
    if (answered) {
      holder.ws.send(frame(), { binary: true });
      expect((await holder.waitForType("command_error", { from: holder.messages.length })).data).toMatchObject({ code: "unexpected_binary" });
    }
  });

  it("a button held longer than any utterance may last: its frames are refused again, its release is still answered `overtaken`", async () => {
    const { clock, holder, typist } = await overtake(new ScriptedLlmEngine({ answer: "84." }));
    await idle(typist, typist.messages.findIndex((m) => m.type === "turn_interrupted"));
    clock.ms += DEFAULT_DEADLINES.sttMs + 1;
    holder.ws.send(frame(), { binary: true });
    expect((await holder.waitForType("command_error")).data).toMatchObject({ id: null, code: "unexpected_binary" });
    expect((await holder.command("stt_stop", {}, "h2")).data).toMatchObject({ id: "h2", code: "overtaken" });
  });

  it("the release never ends an utterance another client started since", async () => {
    const { stt, holder, typist } = await overtake(new ScriptedLlmEngine({ answer: "84." }));
    await idle(typist, typist.messages.findIndex((m) => m.type === "turn_interrupted"));
    expect((await typist.command("stt_start", { mode: "push_to_talk" }, "b2")).type).toBe("command_ack");
    await typist.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t3");
    expect((await holder.command("stt_stop", {}, "h2")).data).toMatchObject({ code: "overtaken" });
    await sleep(30);
    // t3 is still being heard: only its own client ends it.
    expect(stt.calls[1]!.signal.aborted).toBe(false);
    expect(typist.messages.some((m) => m.type === "stt_result" && m.data.turn_id === "t3")).toBe(false);
    expect((await typist.command("stt_stop", {}, "b3")).type).toBe("command_ack");
    expect((await typist.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t3")).data).toMatchObject({ text: "and tomorrow" });
  });

  it("in a continuous session the cut utterance's client is listened to again after the answer, and stt_stop keeps its meaning", async () => {
    const stt = new ScriptedSttEngine({ utterances: ["what time is it", "and tomorrow"], waitForAudioEnd: true });
    const { connect } = await startPipeline(closers, { engines: { stt, llm: new ScriptedLlmEngine({ answer: "84." }) }, vad: false });
    const speaker = await connect();
    const typist = await connect();
    expect((await speaker.command("stt_start", { mode: "continuous" }, "s1")).type).toBe("command_ack");
    await typist.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t1");
    await typist.command("text_input", { text: "what is 12 times 7" }, "b1");
    expect((await speaker.waitForType("turn_interrupted")).data).toMatchObject({ turn_id: "t1", outcome: "utterance_dropped", client: idOf(speaker), by_client: idOf(typist) });
    // After the typed question's answer, the session listens to its speaker again; stt_stop ends that utterance as usual.
    await speaker.waitFor((m) => m.type === "stt_start" && m.data.turn_id === "t3");
    speaker.ws.send(frame(), { binary: true });
    expect((await speaker.command("stt_stop", {}, "s2")).type).toBe("command_ack");
    expect((await speaker.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t3")).data).toMatchObject({ text: "and tomorrow" });
    expect(speaker.ofType("command_error")).toEqual([]);
  });

  it("a new stt_start from the holder moves it on: it is heard as usual", async () => {
    const { holder, typist } = await overtake(new ScriptedLlmEngine({ answer: "84." }));
    await idle(typist, typist.messages.findIndex((m) => m.type === "turn_interrupted"));
    expect((await holder.command("stt_start", { mode: "push_to_talk" }, "h2")).type).toBe("command_ack");
    holder.ws.send(frame(), { binary: true });
    expect((await holder.command("stt_stop", {}, "h3")).type).toBe("command_ack");
    expect((await holder.waitFor((m) => m.type === "stt_result" && m.data.turn_id === "t3")).data).toMatchObject({ text: "and tomorrow" });
  });
});
