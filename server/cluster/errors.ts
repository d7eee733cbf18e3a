/**
 * The cluster's one error class. `code` is stable: `redis_unavailable`
 * (Redis cannot be reached: at start-up the CLI exits with `exitCode` 2),
 * `not_owner` (a write fenced by a session's lease was refused because
 * another node, or none, holds the lease), `conflict` (an event's seq is
 * already in the session's stream with other bytes: another node wrote it),
 * `too_large` (a value past its documented bound). Errors a client sees on
 * the wire (a forwarded command's `unavailable`, `busy`) are ProtocolErrors,
 * mapped by the protocol's one function.
 */

/** Stable codes of ClusterError. */
export type ClusterErrorCode = "redis_unavailable" | "not_owner" | "conflict" | "too_large";

export class ClusterError extends Error {
  override readonly name = "ClusterError";
  /** The process exit code a CLI should use when this ends start-up: 2 for `redis_unavailable`, else 1. */
  readonly exitCode: number;

  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.exitCode = code === "redis_unavailable" ? 2 : 1;
  }
}

/** node-redis's classes for an error Redis replied with (the command reached the server and was refused). */
const REPLY_ERROR_CLASSES = new Set(["ErrorReply", "SimpleError", "BlobError", "MultiErrorReply"]);

/** Refusals that mean "not now" rather than "never": the server is loading its data, busy with a script, or a replica. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|CLUSTERDOWN)\b/;

/**
 * True when `err` means Redis could not be reached or is not serving yet
 * (socket errors, an offline client, a timeout, LOADING after a restart):
 * worth retrying once the connection is back. False for Redis refusing the
 * command itself (a script's own error, a wrong type), which a retry would
 * only repeat.
 */
export function isUnavailableError(err: unknown): boolean {
  if (err instanceof ClusterError) return err.code === "redis_unavailable";
  // Our own bugs and bad arguments are not outages.
  if (!(err instanceof Error) || err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return false;
  if (REPLY_ERROR_CLASSES.has(err.constructor.name)) return TRANSIENT_REPLY.test(err.message);
  return true;
}
