/**
 * The built-in responder's memory answers through the real server, with
 * the memory stores the server runs (in-process with `memoryDb: "off"`, and
 * SQLite), asked by a real WebSocket client again and again, as a user
 * testing it does. Every turn is stored, earlier answers included, and
 * recall finds them: the answer quotes what the user said (facts, and the
 * user's side of earlier turns), never the assistant's earlier answers, so
 * it stays the same size however often it is asked (it used to quote whole
 * turns and grow geometrically: 43, 140, 332, 716 ... 9,156 characters);
 * and once recall finds something it never says it remembers nothing.
 */
import { describe, expect, it } from "vitest";
import { createCodaServer } from "../../../server/index.js";
import { silentLogger } from "../../../server/app/logger.js";
import { TestClient } from "../../helpers/client.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const cleanups = useCleanup();
const tmp = useTempDir("coda-recall-");

async function start(store: "off" | "sqlite") {
  const memoryDb = store === "off" ? "off" : `${tmp()}/memory.db`;
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb, llmEngine: "builtin", ttsEngine: "none", sttEngine: "none", logger: silentLogger });
  cleanups.push(() => coda.stop());
  const client = await TestClient.connect(coda.url);
  cleanups.push(() => client.close());
  await client.waitForType("replay");
  let turns = 0;
  /** One typed question: its answer, and the memory hits the recall tool gave (once its turn is stored). */
  async function ask(text: string): Promise<{ answer: string; recalled: number | null }> {
    const turn = `t${++turns}`;
    client.send({ type: "text_input", data: { text } });
    const result = await client.waitFor((m) => m.type === "llm_result" && m.data.turn_id === turn, { timeoutMs: 10_000 });
    await client.waitFor((m) => m.type === "memory_store" && m.data.turn_id === turn && m.data.kind === "turn", { timeoutMs: 10_000 });
    const tool = client.ofType("tool_result").find((e) => e.data.turn_id === turn && e.data.name === "recall");
    // The recall tool's result is {count, memories}; its preview (cut to 200 characters) starts with the count.
    const count = tool ? Number(/^\{"count":(\d+)/.exec(tool.data.preview)?.[1]) : null;
    return { answer: (result.data as { text: string }).text, recalled: count };
  }
  return { ask };
}

describe.each(["off", "sqlite"] as const)("recall answers of the built-in responder (memoryDb %s)", (store) => {
  it("asked 'what do you remember about lisbon' ten times: the user's fact each time, the same short answer, never an earlier answer", { timeout: 60_000 }, async () => {
    const { ask } = await start(store);
    expect((await ask("Remember that I plan to visit Lisbon in June")).answer).toBe("Okay, I'll remember that you plan to visit Lisbon in June.");
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { answer, recalled } = await ask("what do you remember about lisbon");
      expect(recalled).toBeGreaterThan(0);
      answers.push(answer);
    }
    for (const answer of answers) {
      expect(answer).toMatch(/^You told me that you plan to visit Lisbon in June\b/);
      expect(answer.length).toBeLessThanOrEqual(300);
      expect(answer).not.toMatch(/Assistant|Okay, I'll remember|You told me that .*You told me that|don't remember anything/);
    }
    expect(new Set(answers.map((a) => a.length)).size).toBe(1);
  });

  it("with nothing told about lisbon: 'nothing yet' the first time, and once recall finds the earlier questions it does not say it remembers nothing", { timeout: 60_000 }, async () => {
    const { ask } = await start(store);
    const first = await ask("what do you remember about lisbon");
    expect(first.answer).toBe("I don't remember anything about lisbon yet.");
    for (let i = 0; i < 8; i++) {
      const { answer, recalled } = await ask("what do you remember about lisbon");
      expect(recalled).toBeGreaterThan(0);
      expect(answer).not.toMatch(/don't remember anything/);
      expect(answer.length).toBeLessThanOrEqual(200);
    }
  });
});
