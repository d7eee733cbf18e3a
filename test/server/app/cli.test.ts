/**
 * The CLI as a user runs it: options, environment overrides, --help, bad
 * settings, and a graceful stop on SIGTERM/SIGINT (clients get 1001, exit 0).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "../../helpers/client.js";
import { CLI_TEST_ENV, ROOT, runCli, type RunningCli } from "../../helpers/cli.js";

const running: RunningCli[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null) r.child.kill("SIGKILL");
    await r.exit;
  }
});
function start(args: string[], env?: NodeJS.ProcessEnv) {
  const r = runCli(args, env);
  running.push(r);
  return r;
}

describe("cli", () => {
  it("prints one line with ws://HOST:PORT; --port 0 picks a free port", async () => {
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

  it("CODA_HOST / CODA_PORT / CODA_REPLAY_SIZE apply, and flags win over them", async () => {
    const r = start(["--port", "0"], { CODA_HOST: "127.0.0.1", CODA_PORT: "1", CODA_REPLAY_SIZE: "7" });
    const url = await r.url;
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const c = await TestClient.connect(url);
    expect((await c.waitForType("connection_status")).data.replay_size).toBe(7);
    await c.close();
  });

  it("--replay-size and a --config file; the flag beats the file", async () => {
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
  ])("bad settings %j stop start-up with exit code 2 and a message naming the setting", (args, message) => {
    const res = spawnSync(process.execPath, ["--import", "tsx", "server/app/cli.ts", ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...CLI_TEST_ENV } });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  it.each([
    ["hangs.mjs", "await new Promise(() => {});\nexport default 1;\n", "did not finish loading within 500 ms (a top-level await that never settles?); see the toolImportDeadlineMs setting"],
    ["getter.mjs", 'export default { get name() { throw new Error("getter says no"); } };\n', "reading its default export threw: getter says no"],
    ["proxy.mjs", 'export default new Proxy({}, { get() { throw new Error("trap says no"); } });\n', "reading its default export threw: trap says no"],
  ])("a tool module %s that cannot be used stops start-up with exit code 2, naming the file", (name, content, what) => {
    const dir = mkdtempSync(join(tmpdir(), "coda-cli-"));
    const file = join(dir, name);
    writeFileSync(file, content);
    const res = spawnSync(process.execPath, ["--import", "tsx", "server/app/cli.ts", "--port", "0", "--tool", file, "--tool-import-deadline-ms", "500"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ...CLI_TEST_ENV },
      timeout: 60_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr.trim().split("\n").at(-1)).toBe(`coda-core: Tool module ${file}${name === "hangs.mjs" ? " " : ": "}${what}`);
  });

  it("--help lists every option", () => {
    const res = spawnSync(process.execPath, ["--import", "tsx", "server/app/cli.ts", "--help"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...CLI_TEST_ENV } });
    expect(res.status).toBe(0);
    for (const flag of ["--host", "--port", "--replay-size", "--token", "--allowed-origin", "--config", "--help"]) expect(res.stdout).toContain(flag);
    expect(res.stdout).toContain("CODA_PORT");
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s closes clients with 1001 and exits 0", async (signal) => {
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

  it("--inspect starts the inspector relay on loopback and says where to look", async () => {
    const r = start(["--port", "0", "--host", "127.0.0.1", "--inspect"]);
    await r.url;
    await expect.poll(() => r.stderr()).toMatch(/Inspector: open http:\/\/127\.0\.0\.1:\d+\/ in a browser/);
    const page = /Inspector: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(r.stderr())![1]!;
    const res = await fetch(page);
    expect(res.status).toBe(200);
    r.child.kill("SIGTERM");
    expect(await r.exit).toEqual({ code: 0, signal: null });
  });

  it("a port in use is a clear error with exit code 1", async () => {
    const first = start(["--port", "0", "--host", "127.0.0.1"]);
    const port = new URL(await first.url).port;
    const res = spawnSync(process.execPath, ["--import", "tsx", "server/app/cli.ts", "--port", port, "--host", "127.0.0.1"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...CLI_TEST_ENV } });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`port ${port} is in use`);
  });
});
