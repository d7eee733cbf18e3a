/**
 * Language models for tests built from the scripted one: `hangingOn`, a
 * model that keeps thinking about some questions (their requests hang until
 * their turn is cut) and answers the others.
 */
import { ScriptedLlmEngine, type ScriptedAnswer } from "../../actors/llm/testing/scripted.js";
import type { LlmEngine } from "../../actors/llm/types.js";

/**
 * A model whose requests hang until aborted when the user's last message matches `question`, and answer `answer` otherwise.
 * @example const llm = hangingOn(/story/, "84."); ... expect(llm.hung.requests[0]!.signal.aborted).toBe(true);
 */
export function hangingOn(question: RegExp, answer: ScriptedAnswer): LlmEngine & { hung: ScriptedLlmEngine; answered: ScriptedLlmEngine } {
  const hung = new ScriptedLlmEngine({ hang: true });
  const answered = new ScriptedLlmEngine({ answer });
  return {
    name: "scripted",
    model: "scripted-1",
    hung,
    answered,
    generate(request) {
      const asked = request.messages.findLast((m) => m.role === "user")?.content ?? "";
      return (question.test(asked) ? hung : answered).generate(request);
    },
    close: async () => {},
  };
}
