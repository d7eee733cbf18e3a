/**
 * Spoken numbers become digits so that a recognised question such as "what
 * is twelve times seven" reaches the calculator as "12 * 7".
 */
import { describe, expect, it } from "vitest";
import { spokenNumbersToDigits } from "../../../actors/llm/number-words.js";

describe("spokenNumbersToDigits", () => {
  it.each([
    ["what is twelve times seven", "what is 12 times 7"],
    ["twenty one plus eighty-four", "21 plus 84"],
    ["one hundred and twenty five divided by five", "125 divided by 5"],
    ["three thousand four hundred minus two million", "3400 minus 2000000"],
    ["what is zero times nineteen", "what is 0 times 19"],
    ["five and six", "5 and 6"],
    ["what is 12 * 7", "what is 12 * 7"],
    ["what is 5-3", "what is 5-3"],
    ["twenty twelve", "20 12"],
    ["remember that hundreds of people came", "remember that hundreds of people came"],
  ])("%s -> %s", (spoken, digits) => {
    expect(spokenNumbersToDigits(spoken)).toBe(digits);
  });
});
