/**
 * The custom tool of docs/tools.md (docs/examples/custom-tool.ts) as a model
 * would call it through the registry, and the doc shows the example file
 * verbatim. test/e2e/package.test.ts runs it from the packed package.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { ToolRegistry } from "../../../actors/tools/registry.js";
import convertFromModule, { convertTemperature } from "../../../docs/examples/custom-tool.js";

it("registers and runs the custom tool from docs/examples/custom-tool.ts", async () => {
  expect(convertFromModule).toBe(convertTemperature);
  const tools = new ToolRegistry().register(convertTemperature);
  expect(tools.specs()).toEqual([
    {
      name: "convert_temperature",
      description: "Convert a temperature between Celsius (C), Fahrenheit (F) and Kelvin (K).",
      parameters: {
        type: "object",
        properties: {
          value: { type: "number", description: "The temperature to convert" },
          from: { type: "string", enum: ["C", "F", "K"], description: "Unit of `value`: C, F or K" },
          to: { type: "string", enum: ["C", "F", "K"], description: "Unit to convert to" },
        },
        required: ["value", "from", "to"],
      },
    },
  ]);
  const outcomes = await tools.runAll(
    [
      { id: "call_1", name: "convert_temperature", arguments: { value: 100, from: "C", to: "F" } },
      { id: "call_2", name: "convert_temperature", arguments: { value: "hot", from: "C", to: "F" } },
      { id: "call_3", name: "convert_temperature", arguments: { value: -500, from: "C", to: "K" } },
    ],
    { signal: new AbortController().signal },
  );
  expect(outcomes).toEqual([
    { ok: true, callId: "call_1", name: "convert_temperature", result: { value: 212, unit: "F" }, preview: '{"value":212,"unit":"F"}', durationMs: expect.any(Number) },
    {
      ok: false,
      callId: "call_2",
      name: "convert_temperature",
      code: "invalid_arguments",
      message: "Invalid arguments for convert_temperature: value: Invalid input: expected number, received string",
      issues: [{ path: "value", message: "Invalid input: expected number, received string" }],
      durationMs: expect.any(Number),
    },
    {
      ok: false,
      callId: "call_3",
      name: "convert_temperature",
      code: "tool_failed",
      message: "convert_temperature failed: That is below absolute zero",
      durationMs: expect.any(Number),
    },
  ]);
});

it("docs/tools.md shows the example file exactly", () => {
  const example = readFileSync(new URL("../../../docs/examples/custom-tool.ts", import.meta.url), "utf8");
  const doc = readFileSync(new URL("../../../docs/tools.md", import.meta.url), "utf8");
  const block = /<!-- example: docs\/examples\/custom-tool\.ts -->\n```ts\n([\s\S]*?)```/.exec(doc);
  expect(block, "docs/tools.md must contain the marked example block").not.toBeNull();
  expect(block![1]).toBe(example);
});
