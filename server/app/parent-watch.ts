/**
 * Noticing that the process that started us has gone. `npm start` runs the
 * server as npm -> sh -> node; a process manager that stops npm with
 * SIGTERM kills npm and the shell, and the server would live on as an
 * orphan holding the port. The CLI watches its parent while npm started it
 * and stops gracefully when it is gone (the parent pid changes when a
 * process is re-parented to init or a subreaper).
 */

/**
 * Call `onGone` once when the parent process exits. Checks every
 * `intervalMs` (default 1000) on an unref'd timer; returns a function
 * that stops watching.
 * @example const unwatch = watchParent(() => stop("parent exited"));
 */
export function watchParent(onGone: () => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
