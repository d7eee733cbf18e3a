/** The tools stage: runner interface, actor logic and the fake runner. */
export type { Tool, ToolContext, ToolOutcome, ToolRunner } from "./types.js";
export { createToolsLogic, runToolCalls, type ToolsLogicOptions } from "./actor.js";
export { FAKE_TOOLS, FakeToolRunner, preview, type FakeTool, type FakeToolRun } from "./testing/fake-runner.js";
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
