/**
 * The client's one error class. A refused command rejects with the server's
 * stable `code` (invalid_data, busy, invalid_state, ...); failures the client
 * detects itself have codes of their own, listed in CLIENT_ERROR_CODES.
 */
import type { Issue } from "../protocol/common.js";

/** Codes the client produces without asking the server. */
export const CLIENT_ERROR_CODES = [
  /** The command was attempted while no connection was open. */
  "not_connected",
  /** The connection closed before the server answered. */
  "disconnected",
  /** No answer within the command timeout. */
  "timeout",
  /** The caller's AbortSignal fired first (the server may still have run the command). */
  "aborted",
  /** The data failed the command's schema; nothing was sent. */
  "invalid_data",
  /** The client was closed with close(). */
  "closed",
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/**
 * A command that failed: refused by the server (`command_error`) or never
 * answered. `code` is stable; `issues` lists validation problems when there are any.
 */
export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(
    /** Stable snake_case code: the server's command_error code or a ClientErrorCode. */
    readonly code: string,
    message: string,
    /** The command type. */
    readonly command: string,
    /** The correlation id the command was sent with (null when it was never sent). */
    readonly id: string | null,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}
