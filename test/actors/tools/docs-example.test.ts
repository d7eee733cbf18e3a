/** The custom-tool example of docs/tools.md runs, and the doc shows the example file verbatim. */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { runExample } from "../../../docs/examples/custom-tool.js";

it("registers and runs the custom tool from docs/examples/custom-tool.ts", async () => {
  const { spec, outcomes } = await runExample(new AbortController().signal);
  expect(spec).toEqual({
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
  });
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
