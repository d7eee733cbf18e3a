/**
 * The built-in responder with the real built-in tools (ToolRegistry,
 * mathjs calculator, get_time, SQLite memory in ":memory:") and the
 * registry's own tool-message format: the flow a fresh install runs.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BuiltinResponder } from "../../../actors/llm/builtin.js";
import type { ChatMessage, LlmChunk, ToolCall } from "../../../actors/llm/types.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { createBuiltinTools } from "../../../actors/tools/builtins/index.js";
import { ToolRegistry, toolMessageContent } from "../../../actors/tools/registry.js";

let memory: SqliteMemoryStore;
let tools: ToolRegistry;
const engine = new BuiltinResponder();

beforeEach(() => {
  memory = new SqliteMemoryStore({ path: ":memory:" });
  tools = new ToolRegistry({
    tools: createBuiltinTools({ memory, timezone: "UTC", now: () => new Date("2026-05-01T09:30:00Z") }),
  });
});
afterEach(async () => {
  await memory.close();
});

/** One turn as the pipeline runs it, with real tools. */
async function turn(userText: string): Promise<{ calls: ToolCall[]; answer: string }> {
  const messages: ChatMessage[] = [{ role: "user", content: userText }];
  const calls: ToolCall[] = [];
  for (let round = 0; round < 3; round++) {
    const chunks: LlmChunk[] = [];
    for await (const c of engine.generate({ messages, tools: tools.specs(), signal: new AbortController().signal })) chunks.push(c);
    const requested = chunks.flatMap((c) => (c.kind === "tool_call" ? [c.call] : []));
    const text = chunks.map((c) => (c.kind === "delta" ? c.text : "")).join("");
    if (requested.length === 0) return { calls, answer: text };
    calls.push(...requested);
    messages.push({ role: "assistant", content: text, toolCalls: requested });
    for (const call of requested) {
      const outcome = await tools.run(call, { signal: new AbortController().signal });
      messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: toolMessageContent(outcome) });
    }
  }
  throw new Error("never stopped asking for tools");
}

describe("BuiltinResponder with the real tools", () => {
  it("tells the time in a named zone", async () => {
    const { calls, answer } = await turn("What time is it in Asia/Tokyo?");
    expect(calls.map((c) => c.name)).toEqual(["get_time"]);
    expect(answer).toBe("It's 6:30 PM (Asia/Tokyo).");
  });

  it("does arithmetic with the real calculator, and reports what it refuses", async () => {
    expect((await turn("what is 12 times 7")).answer).toBe("12 * 7 is 84.");
    // As PocketSphinx heard "what is twelve times seven".
    expect((await turn("one is twelve times seven")).answer).toBe("12 * 7 is 84.");
    expect((await turn("calculate (3+4)/2")).answer).toBe("(3+4)/2 is 3.5.");
    expect((await turn("what is 0.1 + 0.2")).answer).toBe("0.1 + 0.2 is 0.3.");
    expect((await turn("what is the square root of 144 plus cbrt(27)")).answer).toBe("sqrt(144) + cbrt(27) is 15.");
    const refused = await turn("calculate (2 +");
    expect(refused.calls).toEqual([{ id: "builtin_call_1", name: "calculate", arguments: { expression: "(2 +" } }]);
    expect(refused.answer).toMatch(/^Sorry, I couldn't calculate \(2 \+: Invalid arguments for calculate: expression: Cannot parse the expression: .+\.$/);
  });

  it("remembers a fact in SQLite and recalls it in a later turn", async () => {
    expect((await turn("Remember that my favourite colour is blue")).answer).toBe(
      "Okay, I'll remember that your favourite colour is blue.",
    );
    expect((await memory.list()).map((m) => m.text)).toEqual(["my favourite colour is blue"]);
    expect((await turn("What is my favourite colour?")).answer).toBe("You told me that your favourite colour is blue.");
    expect((await turn("what do you remember about my sister")).answer).toBe("I don't remember anything about your sister yet.");
  });

  it("summarises system_info", async () => {
    const { answer } = await turn("system status");
    expect(answer).toMatch(/^Here's the system information: Coda version \d+\.\d+\.\d+; up for \d+ (?:seconds|minutes|hours|days); using \d+ MB of memory\. I'm the built-in rule-based responder\.$/);
  });

  it("answers each part of the demo question: the time, and what it was told about the plans", async () => {
    await turn("Remember that my plans are to visit Lisbon in June");
    const { calls, answer } = await turn("What time is it, and what did I tell you about my plans?");
    expect(calls.map((c) => [c.name, c.arguments])).toEqual([
      ["get_time", {}],
      ["recall", { query: "my plans", limit: 20 }],
    ]);
    expect(answer).toBe("It's 9:30 AM (UTC). You told me that your plans are to visit Lisbon in June.");
  });

  it("says plainly when one part has nothing to recall", async () => {
    const { answer } = await turn("What time is it, and what did I tell you about my plans?");
    expect(answer).toBe("It's 9:30 AM (UTC). I don't remember anything about your plans yet.");
  });

  it("phrases a recalled fact naturally: 'what is my dog called?'", async () => {
    await turn("remember that my dog is called Rex");
    const { calls, answer } = await turn("what is my dog called?");
    expect(calls.at(-1)).toMatchObject({ name: "recall", arguments: { query: "my dog" } });
    expect(answer).toBe("You told me that your dog is called Rex.");
    await turn("remember that my dog likes long walks");
    // Equal matches come newest first.
    expect((await turn("what did I say about my dog")).answer).toBe("You told me that your dog likes long walks, and that your dog is called Rex.");
  });

  it("keeps a fact with commas in it whole", async () => {
    const { calls } = await turn("Remember that I like apples, pears and plums, and what time is it");
    expect(calls.map((c) => c.name)).toEqual(["remember"]);
  });

  it("an arithmetic question recalls no unrelated memory", async () => {
    await turn("remember that I take my pills 3 times a day");
    await turn("remember that the user's cat is called Miso");
    expect(await memory.recall("what is 12 times 3")).toEqual([]);
    expect(await memory.recall("what's 2 + 2?")).toEqual([]);
    expect(await memory.recall("calculate 7 divided by 3")).toEqual([]);
    // A question with a topic word still recalls by it.
    expect((await memory.recall("how many times a day do I take pills?")).length).toBe(1);
    expect((await turn("what is 12 times 3")).answer).toBe("12 * 3 is 36.");
  });
});
