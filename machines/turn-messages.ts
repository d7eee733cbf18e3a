/**
 * What a turn leaves in the conversation: the model request of its current
 * round, its messages for the session's history (a cut answer as heard),
 * and whether anything of its answer was heard at all (what decides that a
 * cut answer is remembered). Pure functions of the turn's context; the turn
 * machine (machines/turn.ts), the session (machines/voice.ts) and the memory
 * of a cut turn (machines/cut-memory.ts) share them.
 */
import type { ChatMessage } from "../actors/contracts/index.js";
import type { TurnContext } from "./turn-types.js";

/** True when `heard` (a heard text from the playout clock) holds at least one heard word, not just the cut mark "—". */
export function heardSomething(heard: string): boolean {
  return /[\p{L}\p{N}]/u.test(heard);
}

/** The model request of the current round: system prompt with recalled memories, history, this turn so far. */
export function buildMessages(c: TurnContext): ChatMessage[] {
  let system = c.settings.systemPrompt;
  if (c.recalled.length) system += `\n\nThings you remember that may help:\n${c.recalled.map((m) => `- ${m.text}`).join("\n")}`;
  return [{ role: "system", content: system }, ...c.history, ...c.messages];
}

/**
 * The turn's messages for the history. A cut turn, or one whose listeners
 * all left or stopped before the end, keeps what was heard of its answer
 * when the playout clock said (whole sentences, then the cut sentence's
 * heard words marked "—"), else (cut) its unfinished round's text; either
 * way marked `cut`, so the next model call sees the truncated answer, not
 * the unspoken rest.
 */
export function turnMessages(c: TurnContext, cut: boolean): ChatMessage[] {
  const messages = [...c.messages];
  if (c.heard !== null) {
    const answerAt = messages.findLastIndex((m) => m.role === "assistant" && !m.toolCalls?.length);
    if (answerAt > messages.findLastIndex((m) => m.role === "user")) messages.splice(answerAt, 1);
    messages.push({ role: "assistant", content: c.heard, cut: true });
    return messages;
  }
  if (cut && c.roundText && c.llm !== "done") messages.push({ role: "assistant", content: c.roundText, cut: true });
  return messages;
}
