/** The built-in tools and the factory that creates them with their dependencies. */
import type { MemoryStore } from "../../memory/types.js";
import type { Tool } from "../types.js";
import { createCalculateTool } from "./calculate.js";
import { createRecallTool, createRememberTool } from "./memory.js";
import { createSystemInfoTool, type SystemInfo } from "./system-info.js";
import { createGetTimeTool } from "./time.js";

export { CalculateInput, MAX_EXPRESSION_CHARS, checkExpression, createCalculateTool, evaluateExpression } from "./calculate.js";
export { RecallToolInput, RememberToolInput, createRecallTool, createRememberTool } from "./memory.js";
export { createSystemInfoTool, packageVersion, processSystemInfo, type SystemInfo } from "./system-info.js";
export { GetTimeInput, createGetTimeTool, isValidTimeZone, timeIn, type TimeResult } from "./time.js";

/** Names of the built-in tools (fixed: prompts and other modules refer to them). */
export const BUILTIN_TOOL_NAMES = ["get_time", "calculate", "remember", "recall", "system_info"] as const;

/** Dependencies of the built-in tools. */
export interface BuiltinToolsOptions {
  /** Long-term memory for `remember` and `recall`; without it those two tools are left out. */
  memory?: MemoryStore | null;
  /** Figures for `system_info`; this process's when omitted. */
  systemInfo?: () => SystemInfo | Promise<SystemInfo>;
  /** Default zone of `get_time`; the server's zone when omitted. */
  timezone?: string;
  /** Clock for `get_time`, for tests. */
  now?: () => Date;
}

/**
 * The built-in tools, ready for `new ToolRegistry({ tools })`: get_time,
 * calculate, remember and recall (when `memory` is given), system_info.
 */
export function createBuiltinTools(options: BuiltinToolsOptions = {}): Tool[] {
  const tools: Tool[] = [
    createGetTimeTool({ ...(options.timezone ? { timezone: options.timezone } : {}), ...(options.now ? { now: options.now } : {}) }),
    createCalculateTool(),
  ];
  if (options.memory) tools.push(createRememberTool(options.memory), createRecallTool(options.memory));
  tools.push(createSystemInfoTool(options.systemInfo));
  return tools;
}
