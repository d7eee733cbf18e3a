/**
 * `npm start` under a process manager: `kill -TERM <npm pid>` (what systemd,
 * supervisord, pm2 or a container runtime sends) stops the server, whose
 * port then refuses connections, and nothing is left running in npm's
 * process group.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
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
});
