/**
 * The speakable-text table: what a model writes on the left, what the
 * synthesiser is given on the right. One row per case the issue names
 * (operators between numbers, decimals, negatives, currency, units, times
 * and dates, URLs, e-mail) plus the text that must pass through untouched.
 */
import { describe, expect, it } from "vitest";
import { toSpeakable } from "../../../actors/tts/speakable.js";

const TABLE: [written: string, spoken: string][] = [
  // operators between numbers
  ["12 * 7 is 84.", "12 times 7 is 84."],
  ["12 × 7 = 84", "12 times 7 equals 84"],
  ["3 x 4 = 12", "3 times 4 equals 12"],
  ["84 / 7 = 12", "84 divided by 7 equals 12"],
  ["2 ^ 10 is 1024.", "2 to the power of 10 is 1024."],
  ["2^10", "2 to the power of 10"],
  ["1 + 2 + 3 = 6", "1 plus 2 plus 3 equals 6"],
  ["10 - 3 = 7", "10 minus 3 equals 7"],
  ["10-3", "10 minus 3"],
  ["(2 + 3) * 4", "(2 plus 3) times 4"],
  ["5 * -3 = -15", "5 times minus 3 equals minus 15"],
  // percent
  ["50% of 84 is 42.", "50 percent of 84 is 42."],
  ["a 2.5 % rise", "a 2 point 5 percent rise"],
  // decimals and thousands
  ["Pi is about 3.14.", "Pi is about 3 point 1 4."],
  ["1,000 people", "1000 people"],
  ["version 1.2.3", "version 1.2.3"],
  // negative numbers
  ["It is -5 degrees.", "It is minus 5 degrees."],
  ["-12 is less than 0", "minus 12 is less than 0"],
  // currency
  ["It costs $3.50.", "It costs 3 dollars 50 cents."],
  ["$1 each", "1 dollar each"],
  ["€20 or £1", "20 euros or 1 pound"],
  ["$1,200", "1200 dollars"],
  ["$2.5 million", "2 point 5 million dollars"],
  ["¥500", "500 yen"],
  // units
  ["It is 25°C outside.", "It is 25 degrees Celsius outside."],
  ["-3°F", "minus 3 degrees Fahrenheit"],
  ["5 km away", "5 kilometres away"],
  ["1 km", "1 kilometre"],
  ["3.5kg of flour", "3 point 5 kilograms of flour"],
  ["100 km/h", "100 kilometres per hour"],
  ["wait 10s", "wait 10 seconds"],
  ["16 GB of memory", "16 gigabytes of memory"],
  ["5 in a row", "5 in a row"],
  // times and dates
  ["It is 3:45.", "It is 3 45."],
  ["at 12:00", "at 12 o'clock"],
  ["at 7:05 pm", "at 7 oh 5 P M"],
  ["at 9:30 AM", "at 9 30 A M"],
  ["on 2026-11-30", "on November 30, 2026"],
  ["on 11/30/2026", "on November 30, 2026"],
  // URLs and e-mail
  ["See https://example.com/docs.", "See example dot com slash docs."],
  ["Go to www.coda-core.dev", "Go to www dot coda dash core dot dev"],
  ["Mail jo.smith@example.org today", "Mail jo dot smith at example dot org today"],
  // rewrites that need no digit (the shortcut for plain sentences must not skip them)
  ["(a + b) * (c + d)", "(a + b) times (c + d)"],
  ["two  spaces\tand\t\ttabs", "two spaces\tand tabs"],
  ["Ask at help@coda.dev", "Ask at help at coda dot dev"],
  ["see WWW.Coda.dev", "see www dot Coda dot dev"],
  // untouched
  ["Hello there, how are you?", "Hello there, how are you?"],
  ["a - b, x * y, e.g. this, Mr. Smith at °C", "a - b, x * y, e.g. this, Mr. Smith at °C"],
  ["Chapter 4 has 12 pages.", "Chapter 4 has 12 pages."],
  ["A well-known co-op.", "A well-known co-op."],
  ["", ""],
];

describe("toSpeakable", () => {
  it.each(TABLE)("%j is spoken as %j", (written, spoken) => {
    expect(toSpeakable(written)).toBe(spoken);
  });

  it("is idempotent on its own output", () => {
    for (const [, spoken] of TABLE) expect(toSpeakable(spoken)).toBe(spoken);
  });
});
