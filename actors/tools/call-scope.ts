/**
 * The async scope of tool code: each tool call's handler, and each tool
 * module while it loads, runs inside a scope (node:async_hooks
 * AsyncLocalStorage) that its timers, promises, emitters and abort listeners
 * inherit. An error that escapes such code (a rejected promise nobody
 * awaits, a throw inside a timer) reaches the process's `unhandledRejection`
 * / `uncaughtException` listeners, and Node runs those listeners in the
 * async context of the failed callback or promise; so a listener can ask
 * `claimToolError(error)` whose error it is: a call still running fails with
 * it (its `tool_error`), anything else is reported as late. The process
 * policy that uses this lives in server/app/process-errors.ts.
 *
 * Not traceable: errors thrown from `queueMicrotask` callbacks (Node does
 * not carry the async context into them) and from work a tool hands to
 * code that was set up outside any tool scope.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** Where tool code runs: one tool call, or one tool module being imported. */
export type ToolScope =
  | { kind: "call"; tool: string; callId: string; /** Fail the call with this error; false when it had already finished. */ fail(error: unknown): boolean }
  | { kind: "module"; path: string };

/** Whose an escaped error is, and whether it still failed a running call. */
export type ToolErrorClaim =
  | { kind: "call"; tool: string; callId: string; /** The call had already finished: its outcome stands and the error is only logged. */ late: boolean }
  | { kind: "module"; path: string };

const scopes = new AsyncLocalStorage<ToolScope>();

/** Run `fn` (and everything asynchronous it starts) inside `scope`. */
export function runInToolScope<T>(scope: ToolScope, fn: () => T): T {
  return scopes.run(scope, fn);
}

/**
 * The tool scope of the code running now, and if it is a call still
 * running, fail that call with `error`. Null when the error was not raised
 * by tool code. Call it from a process `unhandledRejection` or
 * `uncaughtException` listener.
 * @example process.on("unhandledRejection", (reason) => { const claim = claimToolError(reason); ... });
 */
export function claimToolError(error: unknown): ToolErrorClaim | null {
  const scope = scopes.getStore();
  if (!scope) return null;
  if (scope.kind === "module") return { kind: "module", path: scope.path };
  return { kind: "call", tool: scope.tool, callId: scope.callId, late: !scope.fail(error) };
}
