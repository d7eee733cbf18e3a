/**
 * Malformed engine output through the bridge: each stage's bad shape becomes
 * that stage's `*_error` with code `malformed_output` (valid on the wire),
 * the turn goes on or ends at rest as for any other failure of that stage,
 * and the machine keeps serving turns.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LlmChunk } from "../../../actors/llm/types.js";
import { client, createFixture, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx.close();
});

describe("malformed engine output", () => {
  it("bad recall, tool outcome and stored item: three errors with code malformed_output, and the turn completes", async () => {
    fx = createFixture({ llm: { toolCalls: [{ name: "get_time", arguments: {} }], answer: "It is noon." } });
    fx.memory.recall = (async () => [null]) as never;
    fx.memory.storeTurn = (async () => ({ id: 5 })) as never;
    fx.tools.run = (async () => null) as never;
    fx.bridge.dispatch({ type: "text_input", data: { text: "what time is it" } }, client);
    await fx.waitFor((e) => e.type === "latency_trace");
    await fx.waitForState("idle");
    // Speech interleaves with the streaming answer; the stage order around it is fixed.
    const stages = fx.types("t1").filter((t) => !["llm_progress", "tts_start", "tts_progress"].includes(t));
    expect(stages).toEqual(["memory_error", "llm_start", "tool_call", "tool_error", "llm_start", "llm_result", "tts_result", "memory_error", "latency_trace"]);
    const errors = fx.ofTurn("t1").filter((e) => e.type === "memory_error" || e.type === "tool_error");
    expect(errors.map((e) => [e.type, (e.data as { operation?: string }).operation ?? null, (e.data as { code: string }).code])).toEqual([
      ["memory_error", "recall", "malformed_output"],
      ["tool_error", null, "malformed_output"],
      ["memory_error", "store", "malformed_output"],
    ]);
    expect(fx.ofTurn("t1").find((e) => e.type === "llm_result")!.data).toMatchObject({ text: "It is noon.", finish_reason: "stop", rounds: 2 });
    // The model heard that the tool misbehaved.
    expect(fx.llm.requests[1]!.messages.at(-1)).toMatchObject({ role: "tool", content: expect.stringMatching(/^\{"error":\{"code":"malformed_output","message":/) });
  });

  it("a tool call that is null ends the turn with llm_error malformed_output, and the next turn works", async () => {
    fx = createFixture({ llm: { answer: "Fine." } });
    const generate = fx.llm.generate.bind(fx.llm);
    let first = true;
    fx.llm.generate = (request) => {
      if (!first) return generate(request);
      first = false;
      return (async function* () {
        yield { kind: "delta", text: "Let me see" } as LlmChunk;
        yield { kind: "tool_call", call: null } as unknown as LlmChunk;
      })();
    };
    fx.bridge.dispatch({ type: "text_input", data: { text: "one" } }, client);
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t1");
    await fx.waitForState("idle");
    expect(fx.types("t1")).toEqual(["memory_recall", "llm_start", "llm_progress", "llm_error", "latency_trace"]);
    expect(fx.ofTurn("t1").find((e) => e.type === "llm_error")!.data).toEqual({
      turn_id: "t1",
      code: "malformed_output",
      message: "The model's stream chunk is malformed: call: Invalid input: expected object, received null",
      partial_text: "Let me see",
    });
    fx.bridge.dispatch({ type: "text_input", data: { text: "two" } }, client);
    await fx.waitFor((e) => e.type === "latency_trace" && e.data.turn_id === "t2");
    expect(fx.ofTurn("t2").find((e) => e.type === "llm_result")!.data).toMatchObject({ text: "Fine." });
    expect(fx.bridge.actor.getSnapshot().status).toBe("active");
  });
});
