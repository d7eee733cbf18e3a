/**
 * The CLI as a user runs it: options, environment overrides, --help, bad
 * settings, and a graceful stop on SIGTERM/SIGINT (clients get 1001, exit 0).
 * Each case is its own process, so they run concurrently.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it as base } from "vitest";
import { TestClient } from "../../helpers/client.js";
import { CLI_TEST_ENV, ROOT, cliArgs, runCli, type RunningCli } from "../../helpers/cli.js";

/** `start` runs the CLI for one test; whatever it started and is still running is killed after that test. */
const it = base.extend<{ start: (args: string[], env?: NodeJS.ProcessEnv) => RunningCli }>({
  // eslint-disable-next-line no-empty-pattern -- vitest reads the fixtures a function uses from its first parameter
  start: async ({}, use) => {
    const running: RunningCli[] = [];
    await use((args, env) => {
      const r = runCli(args, env);
      running.push(r);
      return r;
    });
    for (const r of running) {
      if (r.child.exitCode === null) r.child.kill("SIGKILL");
      await r.exit;
    }
  },
});

/** Run the CLI to its end (as spawnSync would, without blocking the other tests): exit status and output. */
function runToEnd(args: string[], timeoutMs = 60_000): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliArgs(), ...args], { cwd: ROOT, env: { ...process.env, ...CLI_TEST_ENV } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe.concurrent("cli", () => {
  it("prints one line with ws://HOST:PORT; --port 0 picks a free port", async ({ start }) => {
    const r = start(["--port", "0", "--host", "127.0.0.1"]);
    const url = await r.url;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    expect(r.stdout().trim().split("\n")).toHaveLength(1);
    const c = await TestClient.connect(url);
    const status = await c.waitForType("connection_status");
    expect(status.data.status).toBe("connected");
    await c.close();
  });

  it("CODA_HOST / CODA_PORT / CODA_REPLAY_SIZE apply, and flags win over them", async ({ start }) => {
    const r = start(["--port", "0"], { CODA_HOST: "127.0.0.1", CODA_PORT: "1", CODA_REPLAY_SIZE: "7" });
    const url = await r.url;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const c = await TestClient.connect(url);
    expect((await c.waitForType("connection_status")).data.replay_size).toBe(7);
    await c.close();
  });

  it("--replay-size and a --config file; the flag beats the file", async ({ start }) => {
    const dir = mkdtempSync(join(tmpdir(), "coda-cli-"));
    const file = join(dir, "coda.json");
    writeFileSync(file, JSON.stringify({ replaySize: 5, host: "127.0.0.1" }));
    const r = start(["--config", file, "--port", "0", "--replay-size", "9"]);
    const c = await TestClient.connect(await r.url);
    expect((await c.waitForType("connection_status")).data.replay_size).toBe(9);
    await c.close();
  });

  it.each([
    [["--port", "abc"], /Invalid port \(from --port\): expected a number, got "abc"/],
    [["--port", "99999"], /Invalid port \(from --port\)/],
    [["--bogus"], /Unknown option '--bogus'.*--help/],
    [["--host", "0.0.0.0"], /requires a token/],
    [["--compat", "coda-pro"], /compat "coda-pro" is not a known client profile; known: none, coda-lite/],
    [["--tool", "/nonexistent/coda-tool.mjs"], /Tool module \/nonexistent\/coda-tool\.mjs not found/],
  ])("bad settings %j stop start-up with exit code 2 and a message naming the setting", async (args, message) => {
    const res = await runToEnd(args);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  it.each([
    ["hangs.mjs", "await new Promise(() => {});\nexport default 1;\n", "did not finish loading within 500 ms (a top-level await that never settles?); see the toolImportDeadlineMs setting"],
    ["getter.mjs", 'export default { get name() { throw new Error("getter says no"); } };\n', "reading its default export threw: getter says no"],
    ["proxy.mjs", 'export default new Proxy({}, { get() { throw new Error("trap says no"); } });\n', "reading its default export threw: trap says no"],
  ])("a tool module %s that cannot be used stops start-up with exit code 2, naming the file", async (name, content, what) => {
    const dir = mkdtempSync(join(tmpdir(), "coda-cli-"));
    const file = join(dir, name);
    writeFileSync(file, content);
    const res = await runToEnd(["--port", "0", "--tool", file, "--tool-import-deadline-ms", "500"]);
    expect(res.status).toBe(2);
    expect(res.stderr.trim().split("\n").at(-1)).toBe(`coda-core: Tool module ${file}${name === "hangs.mjs" ? " " : ": "}${what}`);
  });

  it("--help lists every option", async () => {
    const res = await runToEnd(["--help"]);
    expect(res.status).toBe(0);
    for (const flag of ["--host", "--port", "--replay-size", "--token", "--allowed-origin", "--config", "--help"]) expect(res.stdout).toContain(flag);
    expect(res.stdout).toContain("CODA_PORT");
  });

  it.for(["SIGTERM", "SIGINT"] as const)("%s closes clients with 1001 and exits 0", async (signal, { start }) => {
    const r = start(["--port", "0", "--host", "127.0.0.1"]);
    const clients = await Promise.all([TestClient.connect(await r.url), TestClient.connect(await r.url)]);
    await Promise.all(clients.map((c) => c.waitForType("replay")));
    r.child.kill(signal);
    await Promise.all(clients.map((c) => c.closed()));
    expect(clients.map((c) => [c.closeCode, c.closeReason])).toEqual([
      [1001, "Server shutting down"],
      [1001, "Server shutting down"],
    ]);
    expect(await r.exit).toEqual({ code: 0, signal: null });
  });

  it("--inspect starts the inspector relay on loopback and says where to look", async ({ start, expect }) => {
    const r = start(["--port", "0", "--host", "127.0.0.1", "--inspect"]);
    await r.url;
    await expect.poll(() => r.stderr()).toMatch(/Inspector: open http:\/\/127\.0\.0\.1:\d+\/ in a browser/);
    const page = /Inspector: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(r.stderr())![1]!;
    const res = await fetch(page);
    expect(res.status).toBe(200);
    r.child.kill("SIGTERM");
    expect(await r.exit).toEqual({ code: 0, signal: null });
  });

  it("a port in use is a clear error with exit code 1", async ({ start }) => {
    const first = start(["--port", "0", "--host", "127.0.0.1"]);
    const port = new URL(await first.url).port;
    const res = await runToEnd(["--port", port, "--host", "127.0.0.1"]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`port ${port} is in use`);
  });
});
