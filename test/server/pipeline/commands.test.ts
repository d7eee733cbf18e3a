/**
 * Pipeline commands as machine events: stt_start makes its client the
 * audio owner (with its echo cancellation), the others map one to one, each
 * naming its client (so a cut turn can say whose command cut it); the
 * wording of each refusal, and of the release of an utterance another
 * command cut (`overtaken`); which events may cut a running turn.
 */
import { describe, expect, it } from "vitest";
import type { UserEvent } from "../../../machines/voice-types.js";
import { mayCutTurn, overtakenRefusal, refusal, toMachineEvent } from "../../../server/pipeline/commands.js";
import type { PipelineCommand } from "../../../server/pipeline/pipeline.js";
import { ProtocolError } from "../../../server/protocol/index.js";

const from = { clientId: "c7" };

describe("toMachineEvent", () => {
  it.each<[PipelineCommand, UserEvent]>([
    [{ type: "stt_start", data: { mode: "continuous", echo_cancellation: true } }, { type: "user.listen", mode: "continuous", client: "c7", echoCancellation: true }],
    [{ type: "stt_start", data: { mode: "push_to_talk" } }, { type: "user.listen", mode: "push_to_talk", client: "c7", echoCancellation: false }],
    // A caller that skipped decoding gets the wire schema's default mode.
    [{ type: "stt_start" } as PipelineCommand, { type: "user.listen", mode: "push_to_talk", client: "c7", echoCancellation: false }],
    [{ type: "stt_stop", data: {} }, { type: "user.stop_listening" }],
    [{ type: "demo_flow", data: {} }, { type: "user.demo", client: "c7" }],
    [{ type: "demo_flow", data: { text: "what time is it" } }, { type: "user.demo", text: "what time is it", client: "c7" }],
    [{ type: "text_input", data: { text: "hello" } }, { type: "user.text", text: "hello", client: "c7" }],
    [{ type: "stop_speaking", data: {} }, { type: "user.stop_speaking", client: "c7" }],
  ])("%j", (command, event) => {
    expect(toMachineEvent(command, from)).toEqual(event);
  });
});

describe("refusal", () => {
  it.each<[PipelineCommand["type"], Parameters<typeof refusal>[1], string, string]>([
    ["demo_flow", "speaking", "busy", "A turn is running (state: speaking); wait until the assistant is idle or send stop_speaking"],
    ["stt_start", "listening", "invalid_state", "Already listening; send stt_stop to end the utterance"],
    ["stt_stop", "idle", "invalid_state", "Not listening"],
    ["stt_stop", "thinking", "invalid_state", "Not listening (state: thinking); stop_speaking stops the answer"],
    ["stop_speaking", "idle", "invalid_state", "Nothing to stop (state: idle)"],
    ["text_input", "stopped", "busy", "The assistant cannot take text_input now (state: stopped)"],
  ])("%s in %s: %s", (type, phase, code, message) => {
    const err = refusal({ type, data: {} } as PipelineCommand, phase);
    expect(err).toBeInstanceOf(ProtocolError);
    expect([err.code, err.message]).toEqual([code, message]);
  });
});

describe("overtakenRefusal", () => {
  it.each<[Parameters<typeof overtakenRefusal>[1], string]>([
    [{ turnId: "t1", by: "t2", byClient: "c3" }, "Your utterance (turn t1) was dropped before it was heard: another client's question (c3) took over (turn t2). Nothing to stop; send stt_start to speak again"],
    [{ turnId: "t4", by: "t5", byClient: "c7" }, "Your utterance (turn t4) was dropped before it was heard: your own question took over (turn t5). Nothing to stop; send stt_start to speak again"],
    [{ turnId: "t1", by: "t2", byClient: null }, "Your utterance (turn t1) was dropped before it was heard: another question took over (turn t2). Nothing to stop; send stt_start to speak again"],
  ])("%j", (overtaken, message) => {
    const err = overtakenRefusal("c7", overtaken);
    expect(err).toBeInstanceOf(ProtocolError);
    expect([err.code, err.message]).toEqual(["overtaken", message]);
  });
});

describe("mayCutTurn", () => {
  it("is true for the events that interrupt a running turn", () => {
    const events: UserEvent[] = [
      { type: "user.listen", mode: "continuous" },
      { type: "user.text", text: "hi" },
      { type: "user.stop_speaking" },
      { type: "user.demo" },
      { type: "user.stop_listening" },
      { type: "user.left", client: "c1" },
      { type: "system.shutdown" },
    ];
    expect(events.filter(mayCutTurn).map((e) => e.type)).toEqual(["user.listen", "user.text", "user.stop_speaking"]);
  });
});
