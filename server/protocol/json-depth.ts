/**
 * A linear pre-scan of a JSON text's bracket nesting, so that a deeply
 * nested frame is refused without building its structure. No command is
 * more than a few levels deep.
 */

/** Deepest nesting of objects and arrays a command may have. */
export const MAX_JSON_DEPTH = 32;

/**
 * `deep` when nesting passes `maxDepth` in a text whose brackets balance,
 * `unbalanced` when they do not (the text cannot be JSON), else `ok`.
 * Brackets inside strings are ignored. Not a validator: `ok` text may still
 * fail JSON.parse.
 */
export function scanJsonDepth(text: string, maxDepth: number = MAX_JSON_DEPTH): "ok" | "deep" | "unbalanced" {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (--depth < 0) return "unbalanced";
    }
  }
  if (depth !== 0 || inString) return "unbalanced";
  return deepest > maxDepth ? "deep" : "ok";
}
