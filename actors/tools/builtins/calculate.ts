/**
 * The `calculate` built-in: arithmetic through mathjs, never `eval` or
 * `Function`. Two locks: the expression is parsed and its syntax tree is
 * checked against an allow-list (numbers, a few constants, arithmetic
 * operators, named maths functions) before anything runs; and it is
 * evaluated by a mathjs instance built from only those functions
 * (calculate-math.ts: evaluate, createUnit, simplify, ... do not exist on
 * it), whose `import` and `config` are replaced by functions that throw.
 * mathjs is loaded on the first calculation, not when this module is.
 * Refusals are zod issues, so the model gets `invalid_arguments` with the
 * reason and can retry.
 */
import type { MathJsInstance, MathNode } from "mathjs";
import { z } from "zod";
import { defineTool } from "../registry.js";
import { loadCalculatorMath } from "./calculate-math.js";

/** Longest expression accepted (characters). */
export const MAX_EXPRESSION_CHARS = 500;
/** Most syntax-tree nodes accepted; bounds evaluation work. */
const MAX_NODES = 300;

/**
 * Exact floored remainder of two numbers. JavaScript's `%` (C's fmod) is
 * exact for doubles; mathjs's x - y * floor(x / y) is not (2^60 mod 10
 * gave 0). The sign follows the divisor and x mod 0 is x, as in mathjs.
 */
function exactMod(x: unknown, y: unknown): number {
  if (typeof x !== "number" || typeof y !== "number") throw new TypeError("mod takes two real numbers");
  if (y === 0) return x;
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

const refuse = (what: string) => () => {
  throw new Error(`${what} is disabled in the calculator`);
};

/** What the calculator uses of mathjs, captured before the lock below. */
interface Calculator {
  parse: MathJsInstance["parse"];
  format: MathJsInstance["format"];
  typeOf: MathJsInstance["typeOf"];
}
let calculator: Calculator | undefined;

/** The calculator's mathjs, built on first use from the allowed functions only. */
function math(): Calculator {
  if (calculator) return calculator;
  const instance = loadCalculatorMath([...OPERATORS, ...FUNCTIONS, ...SYMBOLS, "parse", "format", "typeOf"]);
  // Captured before the lock below.
  calculator = { parse: instance.parse, format: instance.format, typeOf: instance.typeOf };
  instance.import({ mod: exactMod }, { override: true });
  instance.import({ import: refuse("import"), config: refuse("config") }, { override: true });
  return calculator;
}

/** Operators allowed (mathjs OperatorNode `fn` names). `%` after a number is percent (divide by 100). */
const OPERATORS = new Set(["add", "subtract", "multiply", "divide", "pow", "unaryMinus", "unaryPlus", "mod", "factorial"]);
/** Named functions allowed. */
const FUNCTIONS = new Set([
  "abs", "sqrt", "cbrt", "exp", "log", "log10", "log2", "pow", "nthRoot", "hypot",
  "round", "floor", "ceil", "fix", "sign", "min", "max", "mean", "median", "mod", "gcd", "lcm", "factorial",
  "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "sec", "csc", "cot",
]);
/** Constants allowed. */
const SYMBOLS = new Set(["pi", "PI", "e", "E", "tau", "phi", "i"]);

/**
 * Why `expression` is not allowed, or null when it is plain arithmetic.
 * Exported for tests; `calculate` applies it through its zod schema.
 */
export function checkExpression(expression: string): string | null {
  if (expression.length > MAX_EXPRESSION_CHARS) return `The expression is too long (more than ${MAX_EXPRESSION_CHARS} characters)`;
  let root: MathNode;
  try {
    root = math().parse(expression);
  } catch (err) {
    return `Cannot parse the expression: ${(err as Error).message}`;
  }
  let nodes = 0;
  const visit = (node: MathNode): string | null => {
    if (++nodes > MAX_NODES) return `The expression is too complex (more than ${MAX_NODES} parts)`;
    const n = node as MathNode & { fn?: unknown; name?: string; value?: unknown; op?: string; args?: MathNode[]; content?: MathNode };
    switch (node.type) {
      case "ConstantNode":
        return typeof n.value === "number" ? null : "Only numbers are allowed as values";
      case "SymbolNode":
        return SYMBOLS.has(n.name!) ? null : `Unknown name "${n.name}": only the constants ${[...SYMBOLS].join(", ")} are allowed (no variables or units)`;
      case "ParenthesisNode":
        return visit(n.content!);
      case "OperatorNode": {
        if (!OPERATORS.has(n.fn as string)) return `The operator "${n.op}" is not allowed; use + - * / ^ % mod !`;
        return visitAll(n.args!);
      }
      case "FunctionNode": {
        const fn = n.fn as MathNode & { name?: string };
        // Only a plain function name: no calls on expressions, accessors or results.
        if (fn.type !== "SymbolNode" || !FUNCTIONS.has(fn.name!)) {
          return `The function ${fn.type === "SymbolNode" ? `"${fn.name}"` : "call"} is not allowed; allowed: ${[...FUNCTIONS].join(", ")}`;
        }
        return visitAll(n.args!);
      }
      default:
        // AssignmentNode, FunctionAssignmentNode, AccessorNode, IndexNode,
        // ObjectNode, ArrayNode, BlockNode, RangeNode, ConditionalNode, ...
        return `${describeNode(node.type)} is not allowed; only arithmetic is`;
    }
  };
  const visitAll = (args: MathNode[]): string | null => {
    for (const a of args) {
      const problem = visit(a);
      if (problem) return problem;
    }
    return null;
  };
  return visit(root);
}

function describeNode(type: string): string {
  const names: Record<string, string> = {
    AssignmentNode: "Assignment",
    FunctionAssignmentNode: "Defining a function",
    AccessorNode: "Property or index access",
    IndexNode: "Indexing",
    ObjectNode: "An object",
    ArrayNode: "A matrix or list",
    BlockNode: "Several statements",
    RangeNode: "A range",
    ConditionalNode: "A conditional",
    RelationalNode: "A comparison",
  };
  return names[type] ?? `A ${type}`;
}

/** Input of `calculate`. */
export const CalculateInput = z.object({
  expression: z
    .string()
    .trim()
    .min(1)
    .max(MAX_EXPRESSION_CHARS)
    .describe("An arithmetic expression, e.g. (12.5 * 4) / 3, sqrt(2)^2, 15% * 80, sin(pi / 6)")
    .superRefine((expression, ctx) => {
      // zod runs refinements after a failed max(); never parse an over-long input.
      if (expression.length > MAX_EXPRESSION_CHARS) return;
      const problem = checkExpression(expression);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
});

/** Evaluate a checked expression; the result as text with up to 14 significant digits. */
export function evaluateExpression(expression: string): { expression: string; result: string; value: number | null } {
  const problem = checkExpression(expression);
  if (problem) throw new Error(problem);
  const { parse, typeOf, format } = math();
  const value: unknown = parse(expression).compile().evaluate({});
  const type = typeOf(value);
  if (type !== "number" && type !== "Complex") throw new Error(`The expression gave a ${type}, not a number`);
  return { expression, result: format(value as number, { precision: 14 }), value: typeof value === "number" && Number.isFinite(value) ? value : null };
}

/** The `calculate` tool. */
export function createCalculateTool() {
  return defineTool({
    name: "calculate",
    description: "Evaluate an arithmetic expression exactly (use this instead of doing maths in your head). Supports + - * / ^ % mod !, parentheses, pi, e and functions like sqrt, log, sin, round, min, max.",
    input: CalculateInput,
    timeoutMs: 2000,
    handler: ({ expression }) => evaluateExpression(expression),
  });
}
