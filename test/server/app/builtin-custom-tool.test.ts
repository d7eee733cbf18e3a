/**
 * A custom tool tried without a language model: the README's `roll_die`
 * example registered on the real server (`createCodaServer`, the built-in
 * responder), asked for by a real WebSocket client in plain words. The
 * event stream shows the tool being called and answering, and the spoken
 * answer is the tool's result.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createCodaServer, defineTool } from "../../../server/index.js";
import { silentLogger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { ROOT } from "../../helpers/cli.js";

const cleanups = useCleanup();

// As in the README's "Use it from code" (the last test checks the README still says so).
const README_TOOL = `const rollDie = defineTool({
  name: "roll_die",
  description: "Roll a die with the given number of sides",
  input: z.object({ sides: z.number().int().min(2).default(6) }),
  handler: ({ sides }) => 1 + Math.floor(Math.random() * sides),
});`;
const rollDie = defineTool({
  name: "roll_die",
  description: "Roll a die with the given number of sides",
  input: z.object({ sides: z.number().int().min(2).default(6) }),
  handler: ({ sides }) => 1 + Math.floor(Math.random() * sides),
});

async function ask(text: string) {
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: "off", tools: [rollDie], llmEngine: "builtin", ttsEngine: "none", sttEngine: "none", logger: silentLogger });
  cleanups.push(() => coda.stop());
  const client = await TestClient.connect(coda.url);
  cleanups.push(() => client.close());
  await client.waitForType("replay");
  client.send({ type: "text_input", data: { text } });
  const result = await client.waitForType("llm_result", { timeoutMs: 10_000 });
  return { client, result };
}

describe("the built-in responder and a custom tool", () => {
  it.each([
    ["Roll a die", {}, 6],
    ["could you roll a die with twenty sides", { sides: 20 }, 20],
  ])("%j: tool_call and tool_result appear, and the answer says the result", async (text, args, sides) => {
    const { client, result } = await ask(text);
    const call = client.ofType("tool_call");
    expect(call.map((e) => e.data)).toEqual([{ turn_id: "t1", call_id: "builtin_call_1", name: "roll_die", arguments: args }]);
    const toolResult = client.ofType("tool_result");
    expect(toolResult).toHaveLength(1);
    expect(toolResult[0]!.data).toMatchObject({ turn_id: "t1", call_id: "builtin_call_1", name: "roll_die" });
    const rolled = Number(toolResult[0]!.data.preview);
    expect(Number.isInteger(rolled) && rolled >= 1 && rolled <= sides).toBe(true);
    expect(result.data).toMatchObject({ turn_id: "t1", text: `The roll die tool answered: ${rolled}.`, finish_reason: "stop", rounds: 2 });
    // In order: the call, its result, then the answer.
    const order = client.messages.map((m) => m.type).filter((t) => t === "tool_call" || t === "tool_result" || t === "llm_result");
    expect(order).toEqual(["tool_call", "tool_result", "llm_result"]);
    expect(client.ofType("tool_error")).toEqual([]);
  });

  it("a question that names no tool gets the one-sentence fallback, and no tool is called", async () => {
    const { client, result } = await ask("Write me a poem about the sea");
    expect(client.ofType("tool_call")).toEqual([]);
    expect(result.data.text).toBe("Sorry, I can't answer that: I'm the built-in responder, and I can only tell the time, do sums, and remember what you tell me.");
  });

  it("the tool tested here is the README's, verbatim", () => {
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(README_TOOL);
  });
});
