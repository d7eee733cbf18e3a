/** The tools stage: runner interface, actor logic and the fake runner. */
export type { Tool, ToolContext, ToolOutcome, ToolRunner } from "./types.js";
export { createToolsLogic, runToolCalls, type ToolsLogicOptions } from "./actor.js";
export { FAKE_TOOLS, FakeToolRunner, preview, type FakeTool, type FakeToolRun } from "./testing/fake-runner.js";
