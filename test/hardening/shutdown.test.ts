/**
 * Shutdown (issue 7, item 7), against the real CLI with its real pipeline
 * (built-in responder, eSpeak NG in its worker, SQLite memory): SIGTERM in
 * the middle of a turn closes every client with 1001, the memory file is
 * left whole (each turn stored entirely or not at all, integrity check ok,
 * WAL checkpointed), the process exits 0 within the documented bound, and a
 * new process serves on the same port and file at once. The token given on
 * the command line appears nowhere in the verbose log.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pragmaValue } from "../../actors/memory/sqlite-driver.js";
import { TestClient } from "../helpers/client.js";
import { runCli, type RunningCli } from "../helpers/cli.js";
import { openReadOnly } from "../helpers/sqlite.js";

/** Documented in docs/reliability.md: SIGTERM to exit, with clients and an active turn. */
const EXIT_BOUND_MS = 5000;
const TOKEN = "shutdown-suite-token-5d8e1f";

const running: RunningCli[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    await r.exit;
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function start(port: string, db: string) {
  const r = runCli(["--port", port, "--host", "127.0.0.1", "--llm-engine", "builtin", "--tts-engine", "espeak", "--memory-db", db, "--token", TOKEN, "--verbose"]);
  running.push(r);
  return r;
}
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

describe("shutdown", () => {
  it("SIGTERM mid-turn: 1001 to every client, memory whole, exit 0 in time, and a restart serves at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coda-shutdown-"));
    dirs.push(dir);
    const db = join(dir, "memory.db");
    const first = start("0", db);
    const url = await first.url;
    const port = new URL(url).port;
    const clients = await Promise.all([0, 1, 2].map(() => TestClient.connect(url, auth)));
    await Promise.all(clients.map((c) => c.waitForType("replay")));
    const [a] = clients as [TestClient, TestClient, TestClient];

    // One complete turn, stored in memory.
    expect((await a.command("text_input", { text: "remember that my favourite colour is green" }, "t-1")).type).toBe("command_ack");
    await a.waitFor((m) => m.type === "memory_store", { timeoutMs: 15_000 });
    await a.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from: a.messages.findIndex((m) => m.type === "memory_store") });

    // A second turn, cut by SIGTERM while it speaks.
    const from = a.messages.length;
    expect((await a.command("text_input", { text: "what time is it" }, "t-2")).type).toBe("command_ack");
    await a.waitFor((m) => m.type === "tts_progress" || m.type === "tts_start", { from, timeoutMs: 15_000 });
    const t0 = performance.now();
    first.child.kill("SIGTERM");
    await Promise.all(clients.map((c) => c.closed()));
    const exit = await first.exit;
    const exitMs = performance.now() - t0;
    expect(clients.map((c) => [c.closeCode, c.closeReason])).toEqual(Array.from({ length: 3 }, () => [1001, "Server shutting down"]));
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
    // Clients are closed before the pipeline stops (server.stop's order), so the turn's
    // interruption is not sent to anyone; the clients saw it speaking, never finishing.
    expect(a.messages.slice(from).some((m) => m.type === "latency_trace")).toBe(false);

    // The memory file: whole, checkpointed, each turn entirely or not at all.
    expect(existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0).toBe(0);
    const sql = openReadOnly(db);
    try {
      expect(pragmaValue(sql, "integrity_check")).toBe("ok");
      const rows = sql.prepare("SELECT kind, text, user_text, answer, turn_id FROM memories ORDER BY seq").all() as { kind: string; text: string; user_text: string | null; answer: string | null; turn_id: string | null }[];
      expect(rows.length).toBeGreaterThanOrEqual(1);
      for (const r of rows) {
        expect(r.text.length).toBeGreaterThan(0);
        if (r.kind === "turn") {
          expect(r.user_text).toBeTruthy();
          expect(r.answer).toBeTruthy();
        }
      }
      expect(rows.some((r) => /green/.test(r.text))).toBe(true);
      const ftsRows = (sql.prepare("SELECT count(*) AS n FROM memories_fts").get() as { n: number }).n;
      expect(ftsRows).toBe(rows.length);
    } finally {
      sql.close();
    }

    // Restart on the same port and file: serves at once, and remembers.
    const second = start(port, db);
    expect(await second.url).toBe(url);
    const c2 = await TestClient.connect(url, auth);
    await c2.waitForType("replay");
    c2.send({ type: "memory_search", data: { query: "green" }, id: "s" });
    const found = await c2.waitForType("memory_items", { timeoutMs: 10_000 });
    expect(JSON.stringify(found.data)).toContain("green");
    second.child.kill("SIGTERM");
    await c2.closed();
    expect(c2.closeCode).toBe(1001);
    expect(await second.exit).toEqual({ code: 0, signal: null });

    // The verbose log recorded connections and the stop, never the token.
    const log = first.stderr() + second.stderr();
    expect(log).toMatch(/client connected/);
    expect(log).not.toContain(TOKEN);
    console.info(`shutdown: SIGTERM to exit ${Math.round(exitMs)} ms with 3 clients and a turn speaking`);
  }, 60_000);
});
