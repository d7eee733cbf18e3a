/**
 * Speakable text through the real pipeline: the synthesiser is given the
 * spoken form, tts_progress carries both forms, and llm_result keeps the
 * model's own text.
 */
import { afterEach, describe, expect, it } from "vitest";
import { client, createFixture, type Fixture } from "./bridge-fixture.js";

let fx: Fixture;
afterEach(async () => {
  await fx?.close();
});

describe("speakable text", () => {
  it("synthesises '12 times 7' for '12 * 7' and keeps the written text everywhere else", async () => {
    fx = createFixture({ llm: { answer: "12 * 7 is 84. It costs $3.50." } });
    fx.bridge.dispatch({ type: "text_input", data: { text: "what is 12 * 7" } }, client);
    await fx.waitForState("idle");
    expect(fx.tts.calls.map((c) => c.text)).toEqual(["12 times 7 is 84.", "It costs 3 dollars 50 cents."]);
    const progress = fx.events.filter((e) => e.type === "tts_progress").map((e) => e.data as { text: string; spoken: string });
    expect(new Set(progress.map((p) => `${p.text} => ${p.spoken}`))).toEqual(
      new Set(["12 * 7 is 84. => 12 times 7 is 84.", "It costs $3.50. => It costs 3 dollars 50 cents."]),
    );
    const result = fx.events.find((e) => e.type === "llm_result")!;
    expect((result.data as { text: string }).text).toBe("12 * 7 is 84. It costs $3.50.");
  });
});
