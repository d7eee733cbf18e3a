/**
 * Run the real CLI as a child process for end-to-end tests: compiled, as
 * `npm start` runs it (the run's compiled copy of the sources, built once by
 * test/helpers/compiled-build.ts), or, in a run without that global setup,
 * server/app/cli.ts through tsx.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inject } from "vitest";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Node arguments that start the CLI (before its own options): the compiled cli.js, else the sources through tsx. */
export function cliArgs(): string[] {
  const compiled = inject("compiledRoot");
  return compiled ? [join(compiled, "dist", "server", "app", "cli.js")] : ["--import", "tsx", "server/app/cli.ts"];
}

/** Keep CLI tests off the user's ~/.coda and off any local model server unless a test says otherwise. */
export const CLI_TEST_ENV: NodeJS.ProcessEnv = { CODA_MEMORY_DB: "off", CODA_LLM_ENGINE: "builtin" };

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the ws:// URL from the start-up line. */
  url: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [...cliArgs(), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...CLI_TEST_ENV, ...env },
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /(ws:\/\/\S+:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`cli exited (${code}) before listening: ${err}`)));
  });
  url.catch(() => {});
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, url, exit };
}
