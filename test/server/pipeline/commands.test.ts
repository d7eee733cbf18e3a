/**
 * Pipeline commands as machine events: stt_start makes its client the
 * audio owner (with its echo cancellation), the others map one to one; the
 * wording of each refusal; which events may cut a running turn.
 */
import { describe, expect, it } from "vitest";
import type { UserEvent } from "../../../machines/voice-types.js";
import { mayCutTurn, refusal, toMachineEvent } from "../../../server/pipeline/commands.js";
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
    [{ type: "demo_flow", data: {} }, { type: "user.demo" }],
    [{ type: "demo_flow", data: { text: "what time is it" } }, { type: "user.demo", text: "what time is it" }],
    [{ type: "text_input", data: { text: "hello" } }, { type: "user.text", text: "hello" }],
    [{ type: "stop_speaking", data: {} }, { type: "user.stop_speaking" }],
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
