/**
 * One teardown for a test file: what a test opens (servers, sockets,
 * fixtures, child processes) it pushes a closer for, and an afterEach runs
 * them all, newest first, so a failed test leaves nothing running.
 */
import { afterEach } from "vitest";

/** Closes one thing a test opened; may be async. */
export type Closer = () => unknown;

/**
 * Register an afterEach that runs every closer pushed onto the returned
 * list, newest first, and empties it.
 * @example const cleanup = useCleanup(); const server = await start(); cleanup.push(() => server.close());
 */
export function useCleanup(): Closer[] {
  const closers: Closer[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  return closers;
}
