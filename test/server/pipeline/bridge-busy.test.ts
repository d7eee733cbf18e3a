/**
 * Commands the machine cannot take are refused with a ProtocolError
 * (busy / invalid_state / unavailable) and change nothing: no event follows.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineCommand } from "../../../server/pipeline/pipeline.js";
import { ProtocolError } from "../../../server/protocol/index.js";
import { client, createFixture, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx.close();
});

async function refusal(command: PipelineCommand): Promise<{ code: string; message: string }> {
  const before = fx.events.length;
  let error: unknown;
  try {
    fx.bridge.dispatch(command, client);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ProtocolError);
  await new Promise((r) => setTimeout(r, 0));
  const caused = fx.events.slice(before).filter((e) => e.type !== "stt_progress" && e.type !== "llm_progress" && e.type !== "tts_progress");
  // A refused command itself produces nothing (progress of the running turn may continue).
  expect(caused.filter((e) => e.type === "state_change" || e.type === "turn_interrupted" || e.type.endsWith("_start"))).toEqual([]);
  const { code, message } = error as ProtocolError;
  return { code, message };
}

describe("commands while busy", () => {
  it("in idle: stt_stop and stop_speaking are invalid_state", async () => {
    fx = createFixture();
    expect(await refusal({ type: "stt_stop", data: {} })).toEqual({ code: "invalid_state", message: "Not listening" });
    expect(await refusal({ type: "stop_speaking", data: {} })).toEqual({ code: "invalid_state", message: "Nothing to stop (state: idle)" });
    expect(fx.events).toEqual([]);
  });

  it("while listening: stt_start is invalid_state, demo_flow busy, stop_speaking invalid_state", async () => {
    fx = createFixture({ stt: { hang: true } });
    fx.bridge.dispatch({ type: "stt_start", data: { mode: "push_to_talk" } }, client);
    await fx.waitForState("listening");
    expect(await refusal({ type: "stt_start", data: { mode: "continuous" } })).toEqual({
      code: "invalid_state",
      message: "Already listening; send stt_stop to end the utterance",
    });
    expect(await refusal({ type: "demo_flow", data: {} })).toEqual({
      code: "busy",
      message: "A turn is running (state: listening); wait until the assistant is idle or send stop_speaking",
    });
    expect(await refusal({ type: "stop_speaking", data: {} })).toEqual({ code: "invalid_state", message: "Nothing to stop (state: listening)" });
  });

  it("while thinking in push_to_talk: demo_flow is busy and stt_stop invalid_state", async () => {
    fx = createFixture({ llm: { hang: true } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, client);
    await fx.waitFor((e) => e.type === "llm_start");
    expect(await refusal({ type: "demo_flow", data: { text: "demo" } })).toEqual({
      code: "busy",
      message: "A turn is running (state: thinking); wait until the assistant is idle or send stop_speaking",
    });
    expect(await refusal({ type: "stt_stop", data: {} })).toEqual({
      code: "invalid_state",
      message: "Not listening (state: thinking); stop_speaking stops the answer",
    });
    expect(fx.bridge.state()).toBe("thinking");
  });

  it("after stop(): every command is unavailable", async () => {
    fx = createFixture();
    await fx.bridge.stop();
    for (const command of [
      { type: "stt_start", data: { mode: "push_to_talk" } },
      { type: "demo_flow", data: {} },
      { type: "text_input", data: { text: "x" } },
    ] as PipelineCommand[]) {
      expect(await refusal(command)).toEqual({ code: "unavailable", message: "The voice pipeline has stopped" });
    }
  });
});
