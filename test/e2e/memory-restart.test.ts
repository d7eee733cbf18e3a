/**
 * Long-term memory through the real CLI process: a fact told over the
 * WebSocket survives a restart of the server process; a corrupt database
 * file gives memory_error (and /health says memory is unavailable), the
 * assistant still answers, and the file is left exactly as it was.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "../helpers/client.js";
import { runCli, type RunningCli } from "../helpers/cli.js";

const running: RunningCli[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null) r.child.kill("SIGKILL");
    await r.exit;
  }
});

async function serve(db: string) {
  const r = runCli(["--port", "0", "--host", "127.0.0.1", "--memory-db", db, "--tts-engine", "none"]);
  running.push(r);
  const c = await TestClient.connect(await r.url);
  clients.push(c);
  await c.waitForType("replay");
  return { r, c };
}

/** Type `text` and wait for the turn's latency_trace (its last event). */
async function say(c: TestClient, text: string) {
  const from = c.messages.length;
  expect((await c.command("text_input", { text })).type).toBe("command_ack");
  await c.waitForType("latency_trace", { from, timeoutMs: 15_000 });
  return c.messages.slice(from);
}

describe("memory across restarts", () => {
  it("a remembered fact is recalled by a new server process", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "coda-mem-")), "memory.db");
    const first = await serve(db);
    const stored = await say(first.c, "remember that my cat is called Miso");
    expect(stored.find((m) => m.type === "tool_result")?.data).toMatchObject({ name: "remember" });
    first.r.child.kill("SIGTERM");
    expect(await first.r.exit).toEqual({ code: 0, signal: null });

    const second = await serve(db);
    const turn = await say(second.c, "what do you remember about my cat?");
    const recall = turn.find((m) => m.type === "memory_recall")!;
    expect((recall.data as { hits: { preview: string }[] }).hits.map((h) => h.preview).join("\n")).toContain("Miso");
    const answer = turn.find((m) => m.type === "llm_result")!;
    expect((answer.data as { text: string }).text).toContain("Miso");
    // The memory viewer sees it too.
    const from = second.c.messages.length;
    await second.c.command("memory_search", { query: "cat" });
    const items = second.c.messages.slice(from).find((m) => m.type === "memory_items")!;
    expect((items.data as { items: { text: string }[] }).items.some((i) => i.text.includes("Miso"))).toBe(true);
  }, 60_000);

  it("a corrupt database gives memory_error and a degraded /health, the turn still answers, and the file is untouched", async () => {
    const db = join(mkdtempSync(join(tmpdir(), "coda-mem-")), "memory.db");
    const garbage = Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(4096, 0x5a)]);
    writeFileSync(db, garbage);
    const { r, c } = await serve(db);
    expect(r.stderr()).toMatch(/Memory: UNAVAILABLE \((corrupt|storage_error)\)/);
    // /health says memory is down (503) while turns still run without it.
    const health = await fetch(`${(await r.url).replace("ws://", "http://")}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "degraded", memory: { engine: "sqlite", status: "unavailable", code: expect.stringMatching(/^(corrupt|storage_error)$/) } });
    const turn = await say(c, "what is 6 times 7?");
    const errors = turn.filter((m) => m.type === "memory_error").map((m) => m.data as { operation: string; code: string });
    expect(errors.map((e) => e.operation)).toEqual(["recall", "store"]);
    expect((turn.find((m) => m.type === "llm_result")!.data as { text: string }).text).toContain("42");
    const viewer = await c.command("memory_list", {});
    expect(viewer.data).toMatchObject({ code: "unavailable", message: expect.stringMatching(/^Memory is unavailable \((corrupt|storage_error)\)/) });
    expect(readFileSync(db).equals(garbage)).toBe(true);
  }, 60_000);
});
