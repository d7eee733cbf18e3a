/**
 * Helpers for benchmarks that run servers and clients in child processes:
 * read a child's stdout line by line, and wait for it to exit.
 */
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";

/** Lines of a child's stdout, awaited one by one (its stderr is passed through). */
export function lines(child: ChildProcessWithoutNullStreams): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout }).on("line", (l) => (waiting.length ? waiting.shift()!(l) : queue.push(l)));
  child.stderr.on("data", (d: Buffer) => process.stderr.write(d));
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r)));
}

/** Resolves once the child has exited. */
export const exited = (c: ChildProcessWithoutNullStreams) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once("exit", () => r())));
