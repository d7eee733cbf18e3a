/**
 * What a turn tells the model about its tool calls: the next round's
 * request holds one `tool` message per call in the one tool-message format
 * (actors/contracts/tool-message.ts): the result capped at
 * MAX_TOOL_CONTENT_CHARS, a failure as `{"error": {...}}` with its issues,
 * and a call that missed the tool deadline as a `timeout` error.
 */
import { createActor, fromCallback, type AnyEventObject } from "xstate";
import { describe, expect, it } from "vitest";
import { MAX_TOOL_CONTENT_CHARS, readToolMessage, type ChatMessage, type LlmInput } from "../../actors/contracts/index.js";
import { turnMachine } from "../../machines/turn.js";
import { TEXT_INPUT, inertStages } from "./turn-graph-fixture.js";

function startTurn() {
  const requests: LlmInput[] = [];
  const actor = createActor(
    turnMachine.provide({ actors: { ...inertStages, llm: fromCallback<AnyEventObject, LlmInput>(({ input }) => void requests.push(input)) } }),
    { input: TEXT_INPUT },
  ).start();
  actor.send({ type: "xstate.done.actor.recall", output: [] } as never);
  const calls = [
    { id: "c1", name: "big", arguments: {} },
    { id: "c2", name: "calc", arguments: { expression: "1/" } },
    { id: "c3", name: "slow", arguments: {} },
  ];
  actor.send({ type: "llm.done", finishReason: "tool_calls", toolCalls: calls });
  return { actor, requests };
}

const toolMessages = (input: LlmInput) => input.messages.filter((m): m is Extract<ChatMessage, { role: "tool" }> => m.role === "tool");

describe("tool results in the next model request", () => {
  it("caps results, writes failures as {error}, and tells the model which call timed out", () => {
    const { actor, requests } = startTurn();
    actor.send({ type: "tools.outcome", outcome: { ok: true, callId: "c1", name: "big", result: { text: "x".repeat(MAX_TOOL_CONTENT_CHARS * 2) }, preview: "…", durationMs: 1 } });
    actor.send({
      type: "tools.outcome",
      outcome: { ok: false, callId: "c2", name: "calc", code: "invalid_arguments", message: "Bad expression", issues: [{ path: "expression", message: "incomplete" }], durationMs: 1 },
    });
    // c3 never answers: the tool deadline ends the round.
    actor.send({ type: "xstate.after.toolDeadline.turn.answering.generation.calling_tools" } as never);
    expect(requests).toHaveLength(2);
    const [big, calc, slow] = toolMessages(requests[1]!);
    expect(big).toMatchObject({ toolCallId: "c1", name: "big" });
    expect(big!.content).toHaveLength(MAX_TOOL_CONTENT_CHARS);
    expect(big!.content.endsWith("…")).toBe(true);
    expect(JSON.parse(calc!.content)).toEqual({ error: { code: "invalid_arguments", message: "Bad expression", issues: [{ path: "expression", message: "incomplete" }] } });
    expect(readToolMessage(slow!.content)).toEqual({ ok: false, code: "timeout", message: "The tool did not answer within 10000 ms" });
    actor.stop();
  });

  it("gives a string result as it is and a result of undefined as null", () => {
    const { actor, requests } = startTurn();
    actor.send({ type: "tools.outcome", outcome: { ok: true, callId: "c1", name: "big", result: "plain text", preview: "plain text", durationMs: 1 } });
    actor.send({ type: "tools.outcome", outcome: { ok: true, callId: "c2", name: "calc", result: undefined, preview: "", durationMs: 1 } });
    actor.send({ type: "tools.outcome", outcome: { ok: true, callId: "c3", name: "slow", result: [1, 2], preview: "", durationMs: 1 } });
    actor.send({ type: "tools.done" });
    expect(toolMessages(requests[1]!).map((m) => m.content)).toEqual(["plain text", "null", "[1,2]"]);
    actor.stop();
  });
});
