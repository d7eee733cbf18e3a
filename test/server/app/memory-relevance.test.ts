/**
 * The relevance floor through the whole server (issue 26, item 6): a
 * typed question whose words only the built-in responder's boilerplate
 * shares recalls nothing, so the turn's memory_recall shows no hits and
 * the model is given no memories; a question about a kept fact still gets
 * it, in the event and in the model's prompt. `memoryMinScore: 0` shows
 * every match again.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { createCodaServer, type CodaServer } from "../../../server/app/app.js";
import { silentLogger } from "../../../server/app/logger.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { TestClient } from "../../helpers/client.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const cleanups = useCleanup();
const dir = useTempDir("coda-memory-relevance-");

const FALLBACK =
  "Sorry, I can't answer that: I'm Coda's built-in rule-based responder, not a language model. I can tell you the time and date, do arithmetic, and remember facts you tell me and recall them later.";

/** A new user's memory file: one fact, then 40 turns the built-in responder could not answer. */
async function seeded(): Promise<string> {
  const path = `${dir()}/memory.db`;
  const store = new SqliteMemoryStore({ path });
  await store.remember({ text: "My sister lives in Lisbon" });
  for (let i = 0; i < 40; i++) await store.storeTurn({ turnId: `old${i}`, user: `play song number ${i}`, assistant: FALLBACK });
  await store.close();
  return path;
}

async function start(options: { memoryMinScore?: number } = {}): Promise<{ coda: CodaServer; llm: ScriptedLlmEngine; c: TestClient }> {
  const llm = new ScriptedLlmEngine({ answer: "Okay." });
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: await seeded(), ttsEngine: "none", sttEngine: "none", logger: silentLogger, engines: { llm }, ...options });
  cleanups.push(() => coda.stop());
  const c = await TestClient.connect(coda.url);
  cleanups.push(() => c.close());
  await c.waitForType("replay");
  return { coda, llm, c };
}

/** Type `text`; the turn's memory_recall hits and the system prompt the model got. */
async function ask(c: TestClient, llm: ScriptedLlmEngine, text: string) {
  const from = c.messages.length;
  expect((await c.command("text_input", { text })).type).toBe("command_ack");
  const recall = await c.waitForType("memory_recall", { from, timeoutMs: 15_000 });
  await c.waitForType("latency_trace", { from, timeoutMs: 15_000 });
  const system = llm.requests.at(-1)!.messages.find((m) => m.role === "system")!.content;
  return { hits: (recall.data as { hits: { preview: string; score: number }[] }).hits, system };
}

describe("the recall before each answer", () => {
  it("shows and gives the model no memory that only shares boilerplate with the question", async () => {
    const { c, llm } = await start();
    const { hits, system } = await ask(c, llm, "what time is it?");
    expect(hits).toEqual([]);
    expect(system).not.toContain("Things you remember");
  });

  it("shows and gives the model the memory the question is about", async () => {
    const { c, llm } = await start();
    const { hits, system } = await ask(c, llm, "where does my sister live?");
    expect(hits).toEqual([{ id: expect.stringMatching(/^mem_/), kind: "fact", preview: "My sister lives in Lisbon", score: 1 }]);
    expect(system).toContain("Things you remember that may help:\n- My sister lives in Lisbon");
  });

  it("with memoryMinScore 0 shows every match, scored near 0", async () => {
    const { c, llm } = await start({ memoryMinScore: 0 });
    const { hits } = await ask(c, llm, "what time is it?");
    expect(hits.length).toBe(3);
    for (const hit of hits) expect(hit.score).toBeLessThan(0.1);
  });
});
