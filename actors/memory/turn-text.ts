/**
 * The text a stored turn is kept (and recalled, and shown) as, shared by
 * every memory engine so that recall reads the same whatever the store. An
 * interrupted turn says so in the text itself: the next turn's recall puts
 * memory text into the model's prompt, so the model sees that the answer
 * was cut where the listener stopped hearing it, not that it ended there.
 */

/** Label of the answer part of an interrupted turn. */
export const INTERRUPTED_LABEL = "Assistant (interrupted)";

/**
 * `"User: <user>\nAssistant: <answer>"`, or with `Assistant (interrupted):`
 * when the turn was cut short and `answer` is only what was heard.
 * @example
 * turnMemoryText("Tell me a joke", "Why did the chicken—", true);
 * // "User: Tell me a joke\nAssistant (interrupted): Why did the chicken—"
 */
export function turnMemoryText(user: string, answer: string, interrupted: boolean): string {
  return `User: ${user}\n${interrupted ? INTERRUPTED_LABEL : "Assistant"}: ${answer}`;
}
