/**
 * The protocol's error class and the one function that turns any error into
 * a `command_error` payload. Nothing else builds error payloads.
 */
import type { z } from "zod";
import type { Issue } from "./common.js";
import type { EventData } from "./events.js";

/** Stable codes a command can be refused with. Documented in docs/protocol.md. */
export const COMMAND_ERROR_CODES = [
  "invalid_json",
  "unknown_type",
  "invalid_data",
  "too_large",
  "unexpected_binary",
  "rate_limited",
  "busy",
  "invalid_state",
  "overtaken",
  "unavailable",
  "not_found",
  "internal_error",
] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

/** An error that the protocol can report, with a stable `code`. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: CommandErrorCode | "invalid_event",
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
  }
}

/** Flatten zod issues into the wire's `{path, message}` list. */
export function issuesFromZod(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
}

/** One line a person can read: "data.mode: Invalid option ...; data.x: ...". */
export function describeIssues(issues: Issue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}

/** Map any thrown value to the `command_error` data sent to the client. */
export function toCommandError(
  err: unknown,
  command: { id?: string | number | null; type?: string | null } = {},
): EventData<"command_error"> {
  const base = { id: command.id ?? null, command: command.type ?? null };
  if (err instanceof ProtocolError && err.code !== "invalid_event") {
    return { ...base, code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) };
  }
  // Anything else is our bug, not the client's: say so without leaking internals.
  return { ...base, code: "internal_error", message: "The server failed to handle this command; see the server log." };
}
