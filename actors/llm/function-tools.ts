/**
 * Tool descriptions in the function-calling shape that both Ollama's
 * /api/chat and OpenAI-compatible /chat/completions accept.
 */
import type { ToolSpec } from "./types.js";

/** `[{ type: "function", function: { name, description, parameters } }]` */
export function toFunctionTools(tools: ToolSpec[]): Record<string, unknown>[] {
  return tools.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}
