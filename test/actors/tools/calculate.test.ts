/** The calculate built-in: arithmetic through a locked-down mathjs, refusing code injection. */
import { describe, expect, it } from "vitest";
import { MAX_EXPRESSION_CHARS, checkExpression, createCalculateTool, evaluateExpression } from "../../../actors/tools/builtins/calculate.js";
import { ToolRegistry } from "../../../actors/tools/registry.js";

const registry = new ToolRegistry({ tools: [createCalculateTool()] });
const calc = (expression: unknown) => registry.run({ id: "c", name: "calculate", arguments: { expression } }, { signal: new AbortController().signal });

describe("arithmetic", () => {
  it.each([
    ["2 + 2", "4"],
    ["(12.5 * 4) / 3", "16.666666666667"],
    ["0.1 + 0.2", "0.3"],
    ["15% * 80", "12"],
    ["10 mod 3", "1"],
    ["2^10", "1024"],
    ["5!", "120"],
    ["sqrt(16) + abs(-3)", "7"],
    ["sin(pi / 6)", "0.5"],
    ["log(8, 2)", "3"],
    ["round(2.567, 2)", "2.57"],
    ["max(1, 5, 3)", "5"],
    ["2pi", "6.2831853071796"],
    ["sqrt(-4)", "2i"],
    ["1 / 0", "Infinity"],
  ])("%s = %s", async (expression, result) => {
    const outcome = await calc(expression);
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && (outcome.result as { result: string }).result).toBe(result);
  });

  it("returns the numeric value when it is a finite real number", () => {
    expect(evaluateExpression("6 * 7")).toEqual({ expression: "6 * 7", result: "42", value: 42 });
    expect(evaluateExpression("sqrt(-1)").value).toBeNull();
    expect(evaluateExpression("2^2000").value).toBeNull();
  });
});

describe("code injection", () => {
  it.each([
    ["import({x: 1}, {override: true})", 'The function "import" is not allowed'],
    ['createUnit("foo")', 'The function "createUnit" is not allowed'],
    ["f(x) = x^2", "Defining a function is not allowed"],
    ["a = 5", "Assignment is not allowed"],
    ["sqrt.constructor", "Property or index access is not allowed"],
    ["sqrt[\"constructor\"](\"return process\")(1)", "not allowed"],
    ["cos.constructor('return process')(1)", "not allowed"],
    ['eval("1+1")', 'The function "eval" is not allowed'],
    ['evaluate("1+1")', 'The function "evaluate" is not allowed'],
    ['parse("1+1")', 'The function "parse" is not allowed'],
    ["simplify(x)", 'The function "simplify" is not allowed'],
    ['"abc"', "Only numbers are allowed as values"],
    ["process", 'Unknown name "process"'],
    ["x + 1", 'Unknown name "x"'],
    ["5 cm to inch", 'The operator "to" is not allowed'],
    ["[1, 2, 3]", "A matrix or list is not allowed"],
    ["{a: 1}", "An object is not allowed"],
    ["1:1000000000", "A range is not allowed"],
    ["a = 1; a + 1", "not allowed"],
    ["true ? 1 : 2", "A conditional is not allowed"],
    ["1 +", "Cannot parse the expression"],
  ])("refuses %s", async (expression, reason) => {
    const outcome = await calc(expression);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.code).toBe("invalid_arguments");
    expect(outcome.issues).toHaveLength(1);
    expect(outcome.issues![0]!.path).toBe("expression");
    expect(outcome.issues![0]!.message).toContain(reason);
  });

  it(`refuses input longer than ${MAX_EXPRESSION_CHARS} characters and overly complex expressions`, async () => {
    const long = await calc("1+".repeat(300) + "1");
    expect(long).toMatchObject({ ok: false, code: "invalid_arguments", issues: [{ path: "expression", message: `Too big: expected string to have <=${MAX_EXPRESSION_CHARS} characters` }] });
    expect(checkExpression("1+".repeat(200) + "1")).toBe("The expression is too complex (more than 300 parts)");
    expect(await calc(42)).toMatchObject({ ok: false, code: "invalid_arguments" });
  });

  it("never evaluates a refused expression even when called directly", () => {
    expect(() => evaluateExpression('import({}, {})')).toThrow('The function "import" is not allowed');
  });
});

it("refuses a megabyte of input without parsing it", () => {
  expect(checkExpression("1+".repeat(500_000) + "1")).toBe(`The expression is too long (more than ${MAX_EXPRESSION_CHARS} characters)`);
});
