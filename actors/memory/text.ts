/**
 * Memory text at the store's edge, the same for every engine: what is kept
 * is what is listed back. Text is made well-formed (each lone UTF-16
 * surrogate becomes one U+FFFD; SQLite would otherwise keep it as the
 * invalid UTF-8 bytes ED A0 80 and list it back as three U+FFFD, PostgreSQL's
 * client would replace it silently) and put in Unicode NFC (a precomposed
 * "é" and "e" + U+0301 are kept alike). NUL, which PostgreSQL cannot keep
 * in text, becomes U+FFFD in every store. Cutting long text never splits a
 * surrogate pair. See docs/memory.md, "Text".
 */

/** Lone surrogates and NUL replaced by U+FFFD, then NFC. */
export function memoryText(text: string): string {
  // String.prototype.toWellFormed is in Node 20 (V8 11.3); the project's TypeScript lib (ES2023) does not declare it yet.
  return (text as string & { toWellFormed(): string }).toWellFormed().replaceAll("\u0000", "\ufffd").normalize("NFC");
}

/**
 * `text` when it has at most `maxChars` UTF-16 units, else its start and
 * "…" in `maxChars` units, cut before a surrogate pair rather than through it.
 * @example cutText("abcdef", 4) // "abc…"
 */
export function cutText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
