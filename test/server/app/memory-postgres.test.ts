/**
 * `--memory-db postgres://...` through the server, on a real PostgreSQL and
 * real sockets:
 *
 * - two server processes (the CLI) on one database are two nodes sharing
 *   memory: a fact told through one is recalled through the other, for the
 *   same user only;
 * - PostgreSQL lost while a server runs: `/health` says so (503, `memory`
 *   unavailable and why) and `coda_dependency_up` drops to 0 without any
 *   turn being made, new turns are refused with `unavailable` naming
 *   memory, everything else is served; once PostgreSQL is back the store
 *   finds it by itself, turns run again and what was acknowledged before
 *   the outage is recalled;
 * - PostgreSQL unreachable at start-up: createCodaServer rejects with
 *   AppConfigError and the CLI says so and exits 2.
 */
import { describe, expect, it } from "vitest";
import { PostgresMemoryStore } from "../../../actors/memory/postgres.js";
import { AppConfigError, createCodaServer, type CodaServerOptions } from "../../../server/app/app.js";
import { silentLogger, type Logger } from "../../../server/app/logger.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { runCli } from "../../helpers/cli.js";
import { TestClient, type Received } from "../../helpers/client.js";
import { closedPort } from "../../helpers/http-server.js";
import { usePostgres } from "../../helpers/postgres.js";
import { until } from "../../helpers/wait.js";

const cleanups = useCleanup();
const postgres = usePostgres();

const SERVER_OPTIONS: CodaServerOptions = { host: "127.0.0.1", port: 0, ttsEngine: "none", sttEngine: "none", llmEngine: "builtin", vad: "off", logger: silentLogger };

async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  cleanups.push(() => c.close());
  await c.waitForType("replay");
  return c;
}

/** A node as `npm start` runs it: the CLI as a child process on a free port, memory in PostgreSQL at `db` (given as CODA_MEMORY_DB, as the docs advise). */
async function cliNode(db: string): Promise<{ c: TestClient; http: string; stderr: () => string }> {
  const r = runCli(["--port", "0", "--host", "127.0.0.1", "--tts-engine", "none", "--stt-engine", "none", "--vad", "off"], { CODA_MEMORY_DB: db });
  cleanups.push(async () => {
    if (r.child.exitCode === null) r.child.kill("SIGTERM");
    await r.exit;
  });
  const url = await r.url;
  return { c: await connect(url), http: url.replace("ws://", "http://"), stderr: r.stderr };
}

/** Type `text` and return the turn's events. */
async function say(c: TestClient, text: string): Promise<Received[]> {
  const from = c.messages.length;
  expect((await c.command("text_input", { text })).type).toBe("command_ack");
  await c.waitForType("latency_trace", { from, timeoutMs: 15_000 });
  return c.messages.slice(from);
}

const dataOf = (turn: Received[], type: string) => turn.find((m) => m.type === type)?.data as Record<string, unknown> | undefined;

async function getHealth(http: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${http}/health`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function memoryGauge(http: string): Promise<string | undefined> {
  return (await (await fetch(`${http}/metrics`)).text()).split("\n").find((l) => l.startsWith('coda_dependency_up{dependency="memory"'));
}

async function searchTexts(c: TestClient, query: string): Promise<string[]> {
  const from = c.messages.length;
  expect((await c.command("memory_search", { query })).type).toBe("command_ack");
  const items = c.messages.slice(from).find((m) => m.type === "memory_items")!.data as { items: { text: string }[] };
  return items.items.map((i) => i.text);
}

describe("two nodes on one PostgreSQL", () => {
  it("a fact told through one node is recalled through the other, for the same user only", async () => {
    const db = (await postgres().database()).replace("postgres://coda@", "postgres://coda:not-shown@");
    const [a, b] = await Promise.all([cliNode(db), cliNode(db)]);
    expect(a.stderr()).toContain(`Memory: PostgreSQL at ${db.replace("not-shown", "***")}`);
    expect(a.stderr()).not.toContain("not-shown");
    for (const node of [a, b]) expect(await getHealth(node.http)).toMatchObject({ status: 200, body: { status: "ok", memory: { engine: "postgres", status: "ok" } } });

    const told = await say(a.c, "remember that my sister lives in Lisbon");
    expect(dataOf(told, "tool_result")).toMatchObject({ name: "remember" });

    const turn = await say(b.c, "what do you remember about my sister?");
    expect(dataOf(turn, "llm_result")!.text).toBe("You told me that your sister lives in Lisbon.");
    expect(await searchTexts(b.c, "sister lisbon")).toContain("my sister lives in Lisbon");

    // Until connections name their user every turn is the user `default`'s; another user's recall on the same database finds nothing.
    const store = await PostgresMemoryStore.open({ url: db });
    cleanups.push(() => store.close());
    expect((await store.recall("where does my sister live?", { userId: "default" })).map((h) => h.item.text)).toContain("my sister lives in Lisbon");
    expect(await store.recall("where does my sister live?", { userId: "ana" })).toEqual([]);
    expect(await store.search("sister lisbon", { userId: "ana" })).toEqual([]);
  }, 60_000);
});

describe("PostgreSQL lost while the server runs", () => {
  it("/health and /metrics say so, new turns are refused, other requests served; back, turns run and nothing acknowledged is lost", async () => {
    const db = await postgres().database();
    const logged: string[] = [];
    const logger: Logger = { info: (m, f) => logged.push(`info ${m} ${JSON.stringify(f)}`), warn: (m, f) => logged.push(`warn ${m} ${JSON.stringify(f)}`), error: (m, f) => logged.push(`error ${m} ${JSON.stringify(f)}`) };
    const coda = await createCodaServer({ ...SERVER_OPTIONS, memoryDb: db, logger });
    cleanups.push(() => coda.stop());
    const http = coda.url.replace("ws://", "http://");
    const c = await connect(coda.url);
    const told = await say(c, "remember that my sister lives in Lisbon");
    expect(dataOf(told, "tool_result")).toMatchObject({ name: "remember" });
    expect(await memoryGauge(http)).toBe('coda_dependency_up{dependency="memory",engine="postgres"} 1');
    const eventsBefore = c.messages.filter((m) => m.seq !== undefined).length;

    await postgres().stop();
    try {
      // Noticed with no turn running: the store's probe (and its pool) find the server gone.
      await until(async () => (await getHealth(http)).status === 503, "/health to answer 503", 15_000);
      const { body } = await getHealth(http);
      expect(body).toMatchObject({ status: "degraded", state: "idle" });
      expect(body.memory).toEqual({ engine: "postgres", status: "unavailable", code: "unavailable", reason: expect.stringMatching(/The PostgreSQL memory database cannot be reached \(.+\)$/), since: expect.any(String) });
      expect(await memoryGauge(http)).toBe('coda_dependency_up{dependency="memory",engine="postgres"} 0');
      expect(logged.filter((l) => l.includes("memory"))).toEqual([expect.stringMatching(/^warn memory unavailable; new turns are refused until it is back \{"code":"unavailable","reason":".*cannot be reached.*","since":".+"\}$/)]);

      const refused = await c.command("text_input", { text: "where does my sister live?" });
      expect(refused.data).toMatchObject({ code: "unavailable", command: "text_input" });
      expect((refused.data as { message: string }).message).toMatch(
        /^Memory is unavailable \(unavailable\): .*The PostgreSQL memory database cannot be reached \(.+\)\. New turns are refused until it is back \(GET \/health shows it\); nothing kept before is lost$/,
      );
      // The rest is served: the server's own requests, and the viewer, which says why it cannot list.
      expect((await c.command("get_system_info")).type).toBe("command_ack");
      expect((await c.command("memory_list", {})).data).toMatchObject({ code: "unavailable", message: expect.stringMatching(/^Memory is unavailable \(unavailable\): Listing memories: /) });
      // The refused turn started nothing: no event was logged since.
      expect(c.messages.filter((m) => m.seq !== undefined)).toHaveLength(eventsBefore);
    } finally {
      await postgres().start();
    }

    // Back by itself: no call and no restart needed.
    await until(async () => (await getHealth(http)).status === 200, "/health to answer 200 again", 15_000);
    expect((await getHealth(http)).body).toMatchObject({ status: "ok", memory: { engine: "postgres", status: "ok" } });
    expect(await memoryGauge(http)).toBe('coda_dependency_up{dependency="memory",engine="postgres"} 1');
    expect(logged.filter((l) => l.includes("memory")).at(-1)).toBe("info memory available again; new turns are taken {}");
    const turn = await say(c, "what do you remember about my sister?");
    expect(turn.filter((m) => m.type === "memory_error")).toEqual([]);
    expect(dataOf(turn, "llm_result")!.text).toBe("You told me that your sister lives in Lisbon.");
  }, 60_000);
});

describe("PostgreSQL unreachable at start-up", () => {
  it("createCodaServer rejects with AppConfigError saying so", async () => {
    const url = `postgres://coda:pw@127.0.0.1:${await closedPort()}/coda`;
    const err = await createCodaServer({ ...SERVER_OPTIONS, memoryDb: url }).then(
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
