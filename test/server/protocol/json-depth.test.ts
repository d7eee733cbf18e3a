/** The nesting pre-scan that refuses deep JSON before parsing it. */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, scanJsonDepth } from "../../../server/protocol/json-depth.js";
import { decodeCommand } from "../../../server/protocol/index.js";

describe("scanJsonDepth", () => {
  it.each([
    ['{"type":"stt_stop","data":{}}', "ok"],
    ["[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH), "ok"],
    ["[".repeat(MAX_JSON_DEPTH + 1) + "]".repeat(MAX_JSON_DEPTH + 1), "deep"],
    ['{"text":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', "ok"],
    ['{"text":"a \\" [[[[ still a string"}', "ok"],
    ["[[[", "unbalanced"],
    ["]", "unbalanced"],
    ['{"a":"unterminated}', "unbalanced"],
  ] as const)("%s -> %s", (text, expected) => {
    expect(scanJsonDepth(text)).toBe(expected);
  });
});

describe("decodeCommand with pathological input", () => {
  it("refuses nesting past the limit as invalid_data, unbalanced text as invalid_json", () => {
    const deep = `{"type":"stt_stop","data":${'{"a":'.repeat(40)}1${"}".repeat(40)}}`;
    expect(() => decodeCommand(deep)).toThrow(expect.objectContaining({ code: "invalid_data", message: `A command may nest objects and arrays at most ${MAX_JSON_DEPTH} levels deep` }));
    expect(() => decodeCommand("[".repeat(30_000))).toThrow(expect.objectContaining({ code: "invalid_json" }));
  });

  it("refuses data: null instead of treating it as {}", () => {
    expect(() => decodeCommand('{"type":"stt_stop","data":null}')).toThrow(expect.objectContaining({ code: "invalid_data" }));
    expect(decodeCommand('{"type":"stt_stop"}')).toEqual({ type: "stt_stop", data: {} });
  });
});
