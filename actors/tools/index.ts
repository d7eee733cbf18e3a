/** The tools stage: runner interface, actor logic, registry and built-in tools (test fakes: ./testing/). */
export type { Tool, ToolContext, ToolOutcome, ToolRunner } from "./types.js";
export { createToolsLogic, runToolCalls, type ToolsLogicOptions } from "./actor.js";
export { claimToolError, runInToolScope, type ToolErrorClaim, type ToolScope } from "./call-scope.js";
export {
  DEFAULT_PREVIEW_CHARS,
  MAX_TOOL_CONTENT_CHARS,
  ToolRegistry,
  defineTool,
  previewOf,
  toolMessageContent,
  type ToolErrorCode,
  type ToolRegistryOptions,
} from "./registry.js";
export {
  BUILTIN_TOOL_NAMES,
  createBuiltinTools,
  createCalculateTool,
  createGetTimeTool,
  createRecallTool,
  createRememberTool,
  createSystemInfoTool,
  type BuiltinToolsOptions,
  type SystemInfo,
} from "./builtins/index.js";
