/**
 * Starting a player, recorder or recogniser process so that a failed start
 * is an EngineError, never a crash. Out of file descriptors (EMFILE/ENFILE)
 * Node's `spawn` returns a child without its stdio pipes and reports the
 * failure as an 'error' event one tick later: code that touches
 * `child.stdout` first throws, and the 'error' then goes unhandled and
 * ends the process. Every `spawn` of the engines goes through here.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { EngineError } from "./engine-error.js";

/** A child whose requested pipes exist. */
export type StartedProgram<S extends StdioPipes> = ChildProcess & {
  stdin: S[0] extends "pipe" ? NonNullable<ChildProcess["stdin"]> : ChildProcess["stdin"];
  stdout: S[1] extends "pipe" ? NonNullable<ChildProcess["stdout"]> : ChildProcess["stdout"];
  stderr: S[2] extends "pipe" ? NonNullable<ChildProcess["stderr"]> : ChildProcess["stderr"];
};

type StdioPipes = readonly ["pipe" | "ignore", "pipe" | "ignore", "pipe" | "ignore"];

/** What to say and which EngineError code to use when the program cannot start. */
export interface StartFailure {
  /** EngineError code, e.g. "audio_error" or "engine_error". */
  code: string;
  /** Who failed, e.g. "Audio player aplay": the message is `${what} could not start: ${reason}`. */
  what: string;
}

/**
 * Spawn `file` with `stdio` pipes. Resolves with the child once its pipes
 * exist; rejects with EngineError(`failure.code`) when the process could
 * not be created at all (no descriptors, no memory for a fork). Later
 * 'error' events (e.g. ENOENT) are the caller's, as with `spawn`.
 * @example const child = await startProgram(path, args, ["pipe", "ignore", "pipe"], { env }, { code: "audio_error", what: "Audio player aplay" });
 */
export async function startProgram<const S extends StdioPipes>(
  file: string,
  args: readonly string[],
  stdio: S,
  options: Omit<SpawnOptions, "stdio">,
  failure: StartFailure,
): Promise<StartedProgram<S>> {
  let child: ChildProcess;
  try {
    child = spawn(file, args, { ...options, stdio: [...stdio] });
  } catch (err) {
    throw new EngineError(failure.code, `${failure.what} could not start: ${(err as Error).message}`, { cause: err });
  }
  // On EMFILE even `child.stdio` is null: look at the three streams themselves.
  const pipes = [child.stdin, child.stdout, child.stderr];
  const missing = stdio.some((kind, fd) => kind === "pipe" && pipes[fd] == null);
  if (missing) {
    // Node has already queued the 'error' event (next tick); wait for it so it is handled and named.
    const error = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new EngineError(failure.code, `${failure.what} could not start: ${error.message}`, { cause: error });
  }
  return child as StartedProgram<S>;
}
