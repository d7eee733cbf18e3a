/**
 * The example of docs/tools.md: a custom tool registered next to the
 * built-ins. test/actors/tools/docs-example.test.ts runs it and checks that
 * docs/tools.md shows this file verbatim.
 */
import { z } from "zod";
import { ToolRegistry, createBuiltinTools, defineTool } from "../../actors/tools/index.js";

// 1. Describe the input with zod. The descriptions end up in the JSON Schema the model sees.
const ConvertInput = z.object({
  value: z.number().describe("The temperature to convert"),
  from: z.enum(["C", "F", "K"]).describe("Unit of `value`: C, F or K"),
  to: z.enum(["C", "F", "K"]).describe("Unit to convert to"),
});

// 2. Define the tool: a name the model calls it by, a description, the schema, a handler.
//    The handler receives validated input; what it returns goes back to the model.
export const convertTemperature = defineTool({
  name: "convert_temperature",
  description: "Convert a temperature between Celsius (C), Fahrenheit (F) and Kelvin (K).",
  input: ConvertInput,
  timeoutMs: 1000, // optional: the registry's default deadline (10 s) otherwise
  handler: ({ value, from, to }, { signal }) => {
    signal.throwIfAborted(); // pass `signal` on to anything slow (fetch, child processes, ...)
    const kelvin = from === "K" ? value : from === "C" ? value + 273.15 : ((value - 32) * 5) / 9 + 273.15;
    if (kelvin < 0) throw new Error("That is below absolute zero");
    const result = to === "K" ? kelvin : to === "C" ? kelvin - 273.15 : ((kelvin - 273.15) * 9) / 5 + 32;
    return { value: Math.round(result * 100) / 100, unit: to };
  },
});

// 3. Register it next to the built-ins. The registry is a ToolRunner: hand it to the
//    tools stage (createToolsLogic({ runner: tools })). Here we call it as a model would.
export async function runExample(signal: AbortSignal) {
  const tools = new ToolRegistry({ tools: createBuiltinTools() }).register(convertTemperature);
  const spec = tools.specs().find((s) => s.name === "convert_temperature");
  const outcomes = await tools.runAll(
    [
      { id: "call_1", name: "convert_temperature", arguments: { value: 100, from: "C", to: "F" } },
      { id: "call_2", name: "convert_temperature", arguments: { value: "hot", from: "C", to: "F" } },
      { id: "call_3", name: "convert_temperature", arguments: { value: -500, from: "C", to: "K" } },
    ],
    { signal },
  );
  return { spec, outcomes };
}
