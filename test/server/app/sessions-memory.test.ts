/**
 * Long-term memory belongs to a user, through the whole server (built-in
 * responder, real tools, SQLite and the in-process store) and real sockets:
 * a fact ana told is recalled in any of ana's sessions and never for bob,
 * in another session or in the same one; memory_list, memory_search and
 * memory_forget act on the connection's user only (bob cannot see or
 * forget ana's memories, and forgetting one of them says not_found).
 */
import { describe, expect, it } from "vitest";
import { createCodaServer } from "../../../server/index.js";
import { silentLogger } from "../../../server/app/logger.js";
import type { EventData } from "../../../server/protocol/index.js";
import { TestClient } from "../../helpers/client.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const cleanups = useCleanup();
const tmp = useTempDir("coda-users-");

async function start(store: "off" | "sqlite") {
  const memoryDb = store === "off" ? "off" : `${tmp()}/memory.db`;
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb, llmEngine: "builtin", ttsEngine: "none", sttEngine: "none", vad: "off", logger: silentLogger });
  cleanups.push(() => coda.stop());
  /** A client of `session` acting as `user`. */
  async function join(session: string, user: string) {
    const client = await TestClient.connect(`${coda.url}/?session=${session}&user=${user}`);
    cleanups.push(() => client.close());
    await client.waitForType("replay");
    return {
      client,
      /** One typed question and its answer, once its turn is stored. */
      async ask(text: string): Promise<string> {
        const from = client.messages.length;
        client.send({ type: "text_input", data: { text } });
        const started = await client.waitFor((m) => m.type === "memory_recall", { from, timeoutMs: 10_000 });
        const turn = (started.data as { turn_id: string }).turn_id;
        const result = await client.waitFor((m) => m.type === "llm_result" && m.data.turn_id === turn, { from, timeoutMs: 10_000 });
        await client.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === turn, { from, timeoutMs: 10_000 });
        return (result.data as { text: string }).text;
      },
      /** The memory_items a memory command answers with. */
      async items(type: "memory_list" | "memory_search", data: Record<string, unknown> = {}) {
        const from = client.messages.length;
        const ack = await client.command(type, data);
        expect(ack.type).toBe("command_ack");
        return (client.messages.slice(from).find((m) => m.type === "memory_items")!.data as EventData<"memory_items">).items;
      },
    };
  }
  return { coda, join };
}

describe.each(["off", "sqlite"] as const)("memory is the user's (memoryDb %s)", (store) => {
  it("ana's fact is recalled in any of ana's sessions, never for bob, in his session or in hers", { timeout: 60_000 }, async () => {
    const { join } = await start(store);
    const ana = await join("kitchen", "ana");
    expect(await ana.ask("Remember that my sister lives in Lisbon")).toBe("Okay, I'll remember that your sister lives in Lisbon.");

    const bob = await join("garage", "bob");
    expect(await bob.ask("what do you remember about lisbon")).toBe("I don't remember anything about lisbon yet.");
    const bobInKitchen = await join("kitchen", "bob");
    expect(await bobInKitchen.ask("what do you remember about my sister")).toMatch(/^I don't remember anything about/);

    const anaElsewhere = await join("car", "ana");
    expect(await anaElsewhere.ask("what do you remember about lisbon")).toMatch(/^You told me that your sister lives in Lisbon\b/);
    // Default-user clients (no ?user=) are a user of their own too.
    const nobody = await join("car", "default");
    expect(await nobody.ask("what do you remember about lisbon")).toBe("I don't remember anything about lisbon yet.");
  });

  it("memory_list, memory_search and memory_forget see the connection's user only", { timeout: 60_000 }, async () => {
    const { join } = await start(store);
    const ana = await join("kitchen", "ana");
    await ana.ask("Remember that my sister lives in Lisbon");
    const bob = await join("kitchen", "bob");
    await bob.ask("Remember that my bike is blue");

    const anaItems = await ana.items("memory_list");
    expect(anaItems.map((i) => i.text).join("\n")).toMatch(/sister lives in Lisbon/);
    expect(anaItems.map((i) => i.text).join("\n")).not.toMatch(/bike/);
    const bobItems = await bob.items("memory_list");
    expect(bobItems.map((i) => i.text).join("\n")).toMatch(/bike is blue/);
    expect(bobItems.map((i) => i.text).join("\n")).not.toMatch(/Lisbon/);
    expect(await bob.items("memory_search", { query: "lisbon" })).toEqual([]);
    expect((await ana.items("memory_search", { query: "lisbon" })).length).toBeGreaterThan(0);

    // bob cannot forget ana's memory: to him it does not exist.
    const fact = anaItems.find((i) => i.kind === "fact")!;
    const refused = await bob.client.command("memory_forget", { id: fact.id });
    expect(refused.data).toMatchObject({ code: "not_found", message: `There is no memory with id "${fact.id}"` });
    expect((await ana.items("memory_list")).map((i) => i.id)).toContain(fact.id);
    expect((await ana.client.command("memory_forget", { id: fact.id })).type).toBe("command_ack");
    expect((await ana.items("memory_list")).map((i) => i.id)).not.toContain(fact.id);
    expect((await bob.items("memory_list")).length).toBe(bobItems.length);
  });
});
