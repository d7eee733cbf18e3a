/**
 * Out of file descriptors, starting a player, a recorder or PocketSphinx
 * fails with the stage's error (audio_error / engine_error naming EMFILE)
 * instead of crashing the process: Node hands back a child without pipes
 * on EMFILE and reports the failure as an 'error' event one tick later.
 * Runs test/actors/emfile-probe.ts under `ulimit -n` in a child process.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

function runProbe(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", 'ulimit -n 256 && exec "$0" "$@"', process.execPath, "--import", "tsx", "test/actors/emfile-probe.ts"], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("spawning with no file descriptors left", () => {
  it("fails each program start with its stage's error code, and the process survives", async () => {
    const { code, stdout, stderr } = await runProbe();
    expect(stderr).not.toMatch(/Unhandled|EMFILE.*\n\s+at /);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { held: number; results: Record<string, { code: string; message: string }> };
    expect(report.held).toBeGreaterThan(0);
    expect(report.results.player).toEqual({ code: "audio_error", message: expect.stringMatching(/^Audio player aplay could not start: .*EMFILE/) });
    expect(report.results.recorder).toEqual({ code: "audio_error", message: expect.stringMatching(/^Recorder arecord could not start: .*EMFILE/) });
    expect(report.results.pocketsphinx).toEqual({ code: "engine_error", message: expect.stringMatching(/^PocketSphinx could not start: .*EMFILE/) });
  }, 30_000);
});
