/**
 * The calculator's remainder is exact for the doubles it is given: every
 * finite double is an exact binary fraction and so is the remainder of two
 * of them, so `mod` must not lose digits through x - y * floor(x / y).
 * Sign follows the divisor (floored modulo, as mathjs documents), and
 * `x mod 0` is x.
 */
import { describe, expect, it } from "vitest";
import { evaluateExpression } from "../../../actors/tools/builtins/calculate.js";

describe("mod is exact", () => {
  it.each([
    ["2^60 mod 10", "6"],
    ["2^60 % 10", "6"],
    ["mod(2^60, 10)", "6"],
    ["10^20 mod 3", "1"],
    ["10^17 mod 7", "5"],
    ["2^64 mod 1000", "616"],
    ["-(2^60) mod 10", "4"],
    ["-7 mod 3", "2"],
    ["7 mod -3", "-2"],
    ["7.5 mod 2", "1.5"],
    ["10 mod 3", "1"],
    ["5 mod 0", "5"],
    ["0 mod 7", "0"],
  ])("%s = %s", (expression, result) => {
    expect(evaluateExpression(expression).result).toBe(result);
  });

  it("10^308 mod 10^-308 is a finite remainder in [0, 10^-308), not -Infinity", () => {
    const { value } = evaluateExpression("10^308 mod 10^-308");
    expect(value).not.toBeNull();
    expect(value!).toBeGreaterThanOrEqual(0);
    expect(value!).toBeLessThan(1e-308);
  });
});
