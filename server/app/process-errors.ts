/**
 * What the process does with an error nobody caught (docs/operations.md,
 * "Errors nobody caught"); `npm start` installs it, and a program that embeds
 * createCodaServer may too.
 *
 * - Raised by tool code (a tool call's handler or a tool module, traced by
 *   their async scope: actors/tools/call-scope.ts), a rejected promise left
 *   unawaited or a throw in a timer is that tool's failure: a call still
 *   running ends with it (`tool_error` code `tool_failed`); after the call
 *   it is only logged. The server keeps serving: the error unwound only the
 *   tool's own callback, no server code was on its stack.
 * - Any other unhandled rejection is logged (error) and the server keeps
 *   serving: the promise's code has already returned and left its state as
 *   it was; ending every client's connection for a result nobody awaited
 *   would be the larger harm.
 * - Any other uncaught exception stops the server: it unwound server code
 *   at an unknown point, so the state it left is unknown. It is logged
 *   (error), then `onFatal` runs (the CLI stops gracefully, within a
 *   deadline, and exits 1, so clients get a close frame, stores are
 *   flushed, and a supervisor restarts it).
 *
 * Log lines carry the error's name, message and stack, never tool
 * arguments or results.
 */
import { claimToolError } from "../../actors/tools/call-scope.js";
import type { LogFields, Logger } from "../../actors/logger.js";

export interface ProcessErrorPolicyOptions {
  logger: Logger;
  /** An uncaught exception no tool owns: the process is in an unknown state and should stop (called for each one; make it idempotent). */
  onFatal(error: unknown): void;
}

/** The fields that describe an error in a log line. */
function errorFields(error: unknown): LogFields {
  try {
    if (error instanceof Error) return { error: error.name, message: error.message, stack: error.stack };
    return { error: typeof error, message: String(error) };
  } catch {
    return { error: "a value that cannot be shown" };
  }
}

/**
 * Install the policy as `unhandledRejection` and `uncaughtException`
 * listeners of `process`; returns a function that removes them.
 * @example const uninstall = installProcessErrorPolicy({ logger, onFatal: () => void coda.stop().finally(() => process.exit(1)) });
 */
export function installProcessErrorPolicy(options: ProcessErrorPolicyOptions): () => void {
  const { logger, onFatal } = options;
  /** Log an error raised by tool code; false when no tool owns it. */
  const toolOwned = (error: unknown): boolean => {
    const claim = claimToolError(error);
    if (!claim) return false;
    if (claim.kind === "module") logger.warn("tool module raised an error outside any call; serving on", { module: claim.path, ...errorFields(error) });
    else if (claim.late) logger.warn("tool raised an error after its call ended; serving on", { tool: claim.tool, callId: claim.callId, ...errorFields(error) });
    else logger.warn("tool call failed by an error its handler did not await", { tool: claim.tool, callId: claim.callId, ...errorFields(error) });
    return true;
  };
  const processOnUnhandledRejection = (reason: unknown) => {
    if (toolOwned(reason)) return;
    logger.error("unhandled promise rejection; serving on", errorFields(reason));
  };
  const processOnUncaughtException = (error: unknown) => {
    if (toolOwned(error)) return;
    logger.error("uncaught exception; stopping", errorFields(error));
    onFatal(error);
  };
  process.on("unhandledRejection", processOnUnhandledRejection);
  process.on("uncaughtException", processOnUncaughtException);
  return () => {
    process.off("unhandledRejection", processOnUnhandledRejection);
    process.off("uncaughtException", processOnUncaughtException);
  };
}
