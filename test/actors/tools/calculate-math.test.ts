/**
 * The calculator's mathjs instance is built from the functions the
 * calculator allows and what they need, nothing else: the functions it
 * used to block (evaluate, createUnit, simplify, derivative, ...) are not
 * there at all, and `import`/`config` throw. The calculator's own behaviour
 * is tested in calculate.test.ts and calculate-mod.test.ts, unchanged.
 */
import { describe, expect, it } from "vitest";
import { loadCalculatorMath } from "../../../actors/tools/builtins/calculate-math.js";
import { evaluateExpression } from "../../../actors/tools/builtins/calculate.js";

describe("the calculator's mathjs", () => {
  it("holds the allowed functions and lacks the rest of mathjs", () => {
    expect(evaluateExpression("sqrt(16) + max(1, 2)").result).toBe("6");
    const math = loadCalculatorMath([]) as unknown as Record<string, unknown>;
    for (const name of ["parse", "sqrt", "sin", "median", "gcd", "factorial", "add", "typeOf", "format"]) expect(typeof math[name], name).toBe("function");
    for (const name of ["evaluate", "compile", "createUnit", "simplify", "derivative", "rationalize", "chain", "help", "parser", "resolve", "unit", "random", "pickRandom", "solve", "lusolve"]) {
      expect(math[name], name).toBeUndefined();
    }
    expect(() => (math.import as (x: object) => void)({})).toThrow("import is disabled in the calculator");
    expect(() => (math.config as (x: object) => void)({})).toThrow("config is disabled in the calculator");
  });
});
