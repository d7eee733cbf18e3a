/**
 * The one format in which a tool call's outcome reaches the model: the
 * content of the `tool` chat message. A result is the result itself
 * (strings as they are, anything else as JSON); a failure is
 * `{"error": {"code", "message", "issues"?}}`, so the model can correct its
 * arguments and retry. Either is capped at MAX_TOOL_CONTENT_CHARS. The turn
 * machine writes it, engines that read tool messages (the built-in
 * responder) read it back with `readToolMessage`.
 */
import type { ToolOutcome } from "./messages.js";

/** Longest tool message content given back to the model (characters). */
export const MAX_TOOL_CONTENT_CHARS = 16_000;

/**
 * The content of the `tool` chat message for `outcome`.
 * @example
 * toolMessageContent({ ok: false, callId: "c1", name: "calc", code: "timeout", message: "Too slow", durationMs: 5 });
 * // '{"error":{"code":"timeout","message":"Too slow"}}'
 */
export function toolMessageContent(outcome: ToolOutcome, maxChars: number = MAX_TOOL_CONTENT_CHARS): string {
  if (!outcome.ok) {
    const error = { code: outcome.code, message: outcome.message, ...(outcome.issues ? { issues: outcome.issues } : {}) };
    return shortenText(JSON.stringify({ error }), maxChars);
  }
  const { result } = outcome;
  let text: string;
  if (typeof result === "string") text = result;
  else {
    try {
      text = JSON.stringify(result) ?? "null";
    } catch {
      text = String(result);
    }
  }
  return shortenText(text, maxChars);
}

/** A tool message read back: the result (parsed JSON, or the text when it is not JSON), or the failure. */
export type ToolMessage =
  | { ok: true; result: unknown }
  | { ok: false; code: string; message: string; issues?: { path: string; message: string }[] };

/** Read the content `toolMessageContent` wrote. */
export function readToolMessage(content: string): ToolMessage {
  let value: unknown;
  try {
    value = JSON.parse(content) as unknown;
  } catch {
    return { ok: true, result: content };
  }
  const error = value && typeof value === "object" && !Array.isArray(value) ? (value as { error?: unknown }).error : undefined;
  if (error && typeof error === "object") {
    const e = error as { code?: unknown; message?: unknown; issues?: unknown };
    if (typeof e.code === "string" && typeof e.message === "string") {
      const issues = Array.isArray(e.issues) ? e.issues.filter((i): i is { path: string; message: string } => typeof i?.path === "string" && typeof i?.message === "string") : [];
      return { ok: false, code: e.code, message: e.message, ...(issues.length ? { issues } : {}) };
    }
  }
  return { ok: true, result: value };
}

/** `text` cut to `maxChars` characters (the last one an ellipsis), never inside a surrogate pair. */
export function shortenText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = text.slice(0, maxChars - 1);
  // Do not leave half of a surrogate pair at the end.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
