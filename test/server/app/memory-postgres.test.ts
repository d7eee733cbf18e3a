/**
 * `--memory-db postgres://...` through the server: memory is kept in
 * PostgreSQL and shared by every server (node) on the same database; a
 * server that cannot reach PostgreSQL at start-up says so and exits 2
 * (AppConfigError from createCodaServer); losing PostgreSQL later turns
 * each turn's recall and store into memory_error `unavailable` while the
 * turn still answers, and memory works again, with what was kept before,
 * once PostgreSQL is back. A real PostgreSQL and real sockets.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { AppConfigError, createCodaServer, type CodaServer, type CodaServerOptions } from "../../../server/app/app.js";
import { silentLogger } from "../../../server/app/logger.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { runCli } from "../../helpers/cli.js";
import { TestClient, type Received } from "../../helpers/client.js";
import { closedPort } from "../../helpers/http-server.js";
import { usePostgres } from "../../helpers/postgres.js";
import { until } from "../../helpers/wait.js";

const cleanups = useCleanup();
const postgres = usePostgres();

async function node(options: CodaServerOptions): Promise<{ coda: CodaServer; c: TestClient }> {
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, ttsEngine: "none", sttEngine: "none", llmEngine: "builtin", logger: silentLogger, ...options });
  cleanups.push(() => coda.stop());
  const c = await TestClient.connect(coda.url);
  cleanups.push(() => c.close());
  await c.waitForType("replay");
  return { coda, c };
}

/** Type `text` and return the turn's events. */
async function say(c: TestClient, text: string): Promise<Received[]> {
  const from = c.messages.length;
  expect((await c.command("text_input", { text })).type).toBe("command_ack");
  await c.waitForType("latency_trace", { from, timeoutMs: 15_000 });
  return c.messages.slice(from);
}

const dataOf = (turn: Received[], type: string) => turn.find((m) => m.type === type)?.data as Record<string, unknown> | undefined;

describe("memory on PostgreSQL", () => {
  it("keeps a fact told through one node and recalls it through another; the start-up line hides the password", async () => {
    const url = (await postgres().database()).replace("postgres://coda@", "postgres://coda:not-shown@");
    const first = await node({ memoryDb: url });
    expect(first.coda.descriptions).toContain(`Memory: PostgreSQL at ${url.replace("not-shown", "***")}`);
    expect(first.coda.engines.memory.name).toBe("postgres");
    const stored = await say(first.c, "remember that my cat is called Miso");
    expect(dataOf(stored, "tool_result")).toMatchObject({ name: "remember" });

    const second = await node({ memoryDb: url });
    const turn = await say(second.c, "what do you remember about my cat?");
    expect((dataOf(turn, "memory_recall")!.hits as { preview: string }[]).map((h) => h.preview).join("\n")).toContain("Miso");
    expect(dataOf(turn, "llm_result")!.text).toContain("Miso");
    // The viewer on the first node sees the second node's turn.
    const from = first.c.messages.length;
    await first.c.command("memory_search", { query: "remember cat" });
    const items = first.c.messages.slice(from).find((m) => m.type === "memory_items")!.data as { items: { text: string }[] };
    expect(items.items.map((i) => i.text)).toContain("User: what do you remember about my cat?\nAssistant: You told me that your cat is called Miso.");
  });

  it("reports memory_error `unavailable` while PostgreSQL is gone, answers anyway, and recovers with what was kept", async () => {
    const url = await postgres().database();
    const llm = new ScriptedLlmEngine({ answer: "Okay." });
    const { coda, c } = await node({ memoryDb: url, engines: { llm } });
    await say(c, "my sister lives in Lisbon");

    await postgres().stop();
    try {
      const turn = await say(c, "where does my sister live?");
      const errors = turn.filter((m) => m.type === "memory_error").map((m) => m.data as { operation: string; code: string; message: string });
      expect(errors.map((e) => [e.operation, e.code])).toEqual([
        ["recall", "unavailable"],
        ["store", "unavailable"],
      ]);
      expect(errors[0]!.message).toMatch(/^Recalling memories: The PostgreSQL memory database cannot be reached/);
      expect(dataOf(turn, "llm_result")!.text).toBe("Okay.");
      expect(coda.engines.memory.health?.()).toMatchObject({ ok: false, code: "unavailable" });
      const viewer = await c.command("memory_list", {});
      expect(viewer.data).toMatchObject({ code: "unavailable", message: expect.stringMatching(/^Memory is unavailable \(unavailable\): Listing memories: /) });
    } finally {
      await postgres().start();
    }

    await until(() => coda.engines.memory.health?.().ok === true, "memory to be healthy again", 15_000);
    const turn = await say(c, "where does my sister live?");
    expect(turn.filter((m) => m.type === "memory_error")).toEqual([]);
    expect((dataOf(turn, "memory_recall")!.hits as { preview: string }[]).map((h) => h.preview)).toContain("User: my sister lives in Lisbon\nAssistant: Okay.");
  });
});

describe("PostgreSQL unreachable at start-up", () => {
  it("createCodaServer rejects with AppConfigError saying so", async () => {
    const url = `postgres://coda:pw@127.0.0.1:${await closedPort()}/coda`;
    const err = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: url, ttsEngine: "none", sttEngine: "none", llmEngine: "builtin", logger: silentLogger }).then(
      async (coda) => {
        await coda.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppConfigError);
    expect((err as Error).message).toMatch(/^Opening the memory database at postgres:\/\/coda:\*\*\*@127\.0\.0\.1:\d+\/coda: The PostgreSQL memory database cannot be reached \(.+\); check --memory-db \(CODA_MEMORY_DB\)/);
  });

  it("the CLI prints the reason and exits 2", async () => {
    const r = runCli(["--port", "0", "--host", "127.0.0.1", "--memory-db", `postgresql://coda@127.0.0.1:${await closedPort()}/coda`]);
    expect(await r.exit).toEqual({ code: 2, signal: null });
    expect(r.stderr()).toMatch(/^coda-core: Opening the memory database at postgresql:\/\/coda@127\.0\.0\.1:\d+\/coda: The PostgreSQL memory database cannot be reached/m);
    expect(r.stdout()).toBe("");
  }, 60_000);
});
