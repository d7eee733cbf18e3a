/**
 * `npm start` under a process manager: `kill -TERM <npm pid>` (what systemd,
 * supervisord, pm2 or a container runtime sends) stops the server, whose
 * port then refuses connections, and nothing is left running in npm's
 * process group. And Ctrl-C in a terminal (SIGINT to the foreground process
 * group) does what the README says: clients get 1001, the server exits 0,
 * and npm itself ends with 130, the status of a command stopped by SIGINT.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "../helpers/client.js";
import { CLI_TEST_ENV, ROOT } from "../helpers/cli.js";

let npm: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  // npm leads its own process group (detached), so whatever it started, orphaned or not, goes with it.
  if (npm?.pid !== undefined) {
    try {
      process.kill(-npm.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  npm = undefined;
});

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** Whether any process is left in the process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  it("stops the server when npm gets SIGTERM", async () => {
    npm = spawn("npm", ["start", "--silent", "--", "--port", "0", "--tts-engine", "none", "--stt-engine", "none"], {
      cwd: ROOT,
      env: { ...process.env, ...CLI_TEST_ENV },
      detached: true,
    });
    const exited = new Promise<void>((resolve) => npm!.once("exit", () => resolve()));
    let out = "";
    const port = await new Promise<number>((resolve, reject) => {
      npm!.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /ws:\/\/\S+:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      npm!.once("exit", (code) => reject(new Error(`npm start exited (${code}) before listening`)));
    });
    expect(await accepting(port)).toBe(true);
    process.kill(npm.pid!, "SIGTERM");
    await exited;
    await expect.poll(() => accepting(port), { timeout: 15_000, interval: 200 }).toBe(false);
    await expect.poll(() => groupAlive(npm!.pid!), { timeout: 15_000, interval: 200 }).toBe(false);
  }, 90_000);

  it("ends with status 130 on Ctrl-C (npm reports the signal) after the server closed its clients with 1001, as the README says", async () => {
    // npm start, and the server it runs, in one process group as in a terminal (the shell, like an interactive
    // one, survives the Ctrl-C to print the status); Ctrl-C sends SIGINT to the group.
    npm = spawn("/bin/sh", ["-c", 'trap : INT; npm start --silent -- "$@"; echo "npm start status $?"', "sh", "--port", "0", "--tts-engine", "none", "--stt-engine", "none"], {
      cwd: ROOT,
      env: { ...process.env, ...CLI_TEST_ENV },
      detached: true,
    });
    let out = "";
    npm.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => npm!.once("exit", () => resolve()));
    await expect.poll(() => /ws:\/\/\S+:\d+/.test(out), { timeout: 60_000, interval: 100 }).toBe(true);
    const client = await TestClient.connect(/(ws:\/\/\S+:\d+)/.exec(out)![1]!);
    await client.waitForType("replay");
    process.kill(-npm.pid!, "SIGINT");
    await client.closed();
    expect(client.closeCode).toBe(1001);
    await exited;
    expect(out).toMatch(/npm start status 130\n$/);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8").replace(/\s+/g, " ");
    expect(readme).toContain("`npm start` ends with status 130");
    expect(readme).not.toMatch(/Ctrl-C: clients get close code 1001 and the process exits 0/);
  }, 90_000);
});
