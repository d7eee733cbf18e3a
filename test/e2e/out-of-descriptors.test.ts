/**
 * The outside probe's crash, end to end: the real CLI runs under
 * `ulimit -n 256` with PocketSphinx as recogniser, WebSocket clients use up
 * its descriptors, and one of them sends stt_start. The recogniser cannot
 * start (EMFILE): that client gets stt_error and the server keeps serving,
 * so once some clients leave a new one connects. Skipped, saying so, when
 * PocketSphinx is not installed.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PocketSphinxStt } from "../../actors/stt/pocketsphinx.js";
import { TestClient } from "../helpers/client.js";
import { CLI_TEST_ENV, ROOT, cliArgs } from "../helpers/cli.js";
import { useCleanup } from "../helpers/cleanup.js";

const installed = PocketSphinxStt.isAvailable();
if (!installed) console.warn("SKIPPED out-of-descriptors end-to-end test: PocketSphinx is not installed (apt-get install pocketsphinx pocketsphinx-en-us)");

const cleanup = useCleanup();

function startCliWithFewDescriptors(): Promise<{ url: string; exited: () => boolean; stderr: () => string }> {
  const child = spawn(
    "/bin/sh",
    ["-c", 'ulimit -n 256 && exec "$0" "$@"', process.execPath, ...cliArgs(), "--port", "0", "--max-clients", "1000", "--stt-engine", "pocketsphinx", "--tts-engine", "none"],
    { cwd: ROOT, env: { ...process.env, ...CLI_TEST_ENV } },
  );
  let exited = false;
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  child.once("exit", () => (exited = true));
  cleanup.push(() => {
    if (!exited) child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /(ws:\/\/\S+:\d+)/.exec(out);
      if (m) resolve({ url: m[1]!, exited: () => exited, stderr: () => err });
    });
    child.once("exit", (code) => reject(new Error(`cli exited (${code}) before listening: ${err}`)));
  });
}

describe.skipIf(!installed)("stt_start with no file descriptors left", () => {
  it("answers stt_error, and the server stays up", async () => {
    const cli = await startCliWithFewDescriptors();
    const clients: TestClient[] = [];
    cleanup.push(() => Promise.all(clients.map((c) => c.ws.terminate())).then(() => {}));
    // Connect until the server can take no more (bounded: the limit is 256 descriptors).
    for (let i = 0; i < 300; i++) {
      try {
        const c = await TestClient.connect(cli.url);
        clients.push(c);
        await c.waitForType("replay", { timeoutMs: 2000 });
      } catch {
        break;
      }
    }
    expect(clients.length).toBeGreaterThan(10);
    expect(clients.length).toBeLessThan(256);
    const first = clients[0]!;
    first.send({ type: "stt_start", data: { mode: "push_to_talk" } });
    const error = await first.waitForType("stt_error", { timeoutMs: 10_000 });
    expect(error.data).toMatchObject({ code: "engine_error", message: expect.stringMatching(/^PocketSphinx could not start: .*EMFILE/) });
    // Still serving: free some descriptors, then a new client gets in and is answered.
    for (const c of clients.splice(1, 20)) c.ws.terminate();
    const late = await TestClient.connect(cli.url);
    clients.push(late);
    await late.waitForType("replay");
    late.send({ type: "get_system_info", data: {} });
    await late.waitForType("system_info");
    expect(cli.exited()).toBe(false);
    expect(cli.stderr()).not.toMatch(/EMFILE\n\s+at /);
  }, 60_000);
});
