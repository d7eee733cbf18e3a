/**
 * A --memory-db whose folder cannot exist is refused at start-up with the
 * reason, and the server starts without memory (it said so before only for
 * some paths: under /proc Node's recursive mkdir looped at 100% CPU and the
 * process ignored SIGINT and SIGTERM).
 */
import { afterEach, describe, expect, it } from "vitest";
import { runCli, type RunningCli } from "../helpers/cli.js";

let cli: RunningCli | undefined;
afterEach(async () => {
  if (cli && cli.child.exitCode === null && cli.child.signalCode === null) {
    cli.child.kill("SIGKILL");
    await cli.exit;
  }
  cli = undefined;
});

describe("--memory-db in a folder that cannot be made", () => {
  it.each([
    ["/proc/nope/x.db", "Cannot create the folder /proc/nope for the memory database: /proc does not accept new folders (ENOENT)"],
    ["/etc/hostname/x.db", "Cannot use /etc/hostname/x.db as the memory database: /etc/hostname is not a folder"],
  ])("%s: starts without memory and says why", async (path, reason) => {
    cli = runCli(["--port", "0", "--tts-engine", "none", "--stt-engine", "none"], { CODA_MEMORY_DB: path });
    await cli.url;
    await expect.poll(() => cli!.stderr(), { timeout: 10_000 }).toContain("Memory: UNAVAILABLE");
    expect(cli.stderr()).toContain(`Memory: UNAVAILABLE (storage_error): ${reason} - turns continue without memory`);
    cli.child.kill("SIGTERM");
    expect(await cli.exit).toEqual({ code: 0, signal: null });
  }, 60_000);
});
