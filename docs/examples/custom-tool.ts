/**
 * A custom tool (docs/tools.md shows this file). Give it to createCodaServer
 * from code (docs/examples/custom-tool-server.ts), or to `npm start` as a
 * module file: its default export is the tool. The packed-package test
 * (test/e2e/package.test.ts) runs it with a local model that calls it.
 */
import { defineTool } from "coda-core";
import { z } from "zod";

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

// 3. The default export is what `npm start -- --tool <this file>` (or the `tools` setting) loads:
//    one tool, or an array of tools.
export default convertTemperature;
