/**
 * Engine output validated at the stage actors' edge (actors/engine-output.ts):
 * each stage turns a wrong shape into its error with code `malformed_output`
 * and a message that names the problem but not the value, and sends nothing
 * after it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { describeIssues, MemoryHitsSchema, parseEngineOutput } from "../../actors/engine-output.js";
import { createLlmLogic } from "../../actors/llm/actor.js";
import type { LlmEngine } from "../../actors/llm/types.js";
import { createRecallLogic, createStoreLogic } from "../../actors/memory/actor.js";
import { InMemoryStore } from "../../actors/memory/testing/in-memory.js";
import type { MemoryStore } from "../../actors/memory/types.js";
import { createSttLogic } from "../../actors/stt/actor.js";
import type { SttEngine } from "../../actors/stt/types.js";
import { createToolsLogic } from "../../actors/tools/actor.js";
import type { ToolRunner } from "../../actors/tools/types.js";
import { host, type Hosted } from "./host.js";
import { sleep } from "../helpers/wait.js";

let h: Hosted | undefined;
afterEach(() => {
  h?.close();
  h = undefined;
});

const llmInput = { turnId: "t1", round: 0, messages: [{ role: "user" as const, content: "hi" }] };
const llmYielding = (...chunks: unknown[]): LlmEngine => ({
  name: "bad",
  model: "bad-1",
  async *generate() {
    for (const c of chunks) yield c as never;
  },
  close: async () => {},
});

describe("llm actor: malformed chunks", () => {
  it.each([
    ["a tool call that is null", { kind: "tool_call", call: null }, "The model's stream chunk is malformed: call: Invalid input: expected object, received null"],
    ["a tool call with a numeric id and a null name", { kind: "tool_call", call: { id: 7, name: null, arguments: "{" } }, "The model's stream chunk is malformed: call.id: Invalid input: expected string, received number; call.name: Invalid input: expected string, received null"],
    ["a chunk that is null", null, "The model's stream chunk is malformed: (value): Invalid input: expected object, received null"],
    ["a delta without text", { kind: "delta" }, "The model's stream chunk is malformed: text: Invalid input: expected string, received undefined"],
  ])("%s ends the round with llm.error malformed_output", async (_name, chunk, message) => {
    h = host(createLlmLogic({ engine: llmYielding({ kind: "delta", text: "Hi. " }, chunk, { kind: "done", finishReason: "stop" }) }), llmInput);
    await h.waitFor((e) => e.type === "llm.error");
    await sleep(10);
    expect(h.received.map((e) => e.type)).toEqual(["llm.delta", "llm.sentence", "llm.error"]);
    expect(h.received.at(-1)).toEqual({ type: "llm.error", code: "malformed_output", message });
  });

  it("an unknown finish reason and two tool calls with one id are malformed_output", async () => {
    h = host(createLlmLogic({ engine: llmYielding({ kind: "done", finishReason: "banana" }) }), llmInput);
    expect(await h.waitFor((e) => e.type === "llm.error")).toMatchObject({ code: "malformed_output" });
    h.close();
    const call = { id: "c1", name: "get_time", arguments: {} };
    h = host(createLlmLogic({ engine: llmYielding({ kind: "tool_call", call }, { kind: "tool_call", call }, { kind: "done", finishReason: "tool_calls" }) }), llmInput);
    expect(await h.waitFor((e) => e.type === "llm.error")).toEqual({
      type: "llm.error",
      code: "malformed_output",
      message: "The model's stream chunk is malformed: two tool calls share one id",
    });
    expect(h.received.map((e) => e.type)).toEqual(["llm.error"]);
  });
});

describe("stt actor: malformed updates", () => {
  it.each([
    ["a final with numeric text", { kind: "final", text: 42, confidence: null }],
    ["an update of an unknown kind", { kind: "nonsense" }],
    ["null", null],
    ["a string", "final"],
  ])("%s is stt.error malformed_output", async (_name, update) => {
    const engine: SttEngine = {
      name: "bad",
      async *transcribe() {
        yield { kind: "partial", text: "wh" };
        yield update as never;
        yield { kind: "final", text: "never reached", confidence: 1 };
      },
      close: async () => {},
    };
    h = host(createSttLogic({ engine }), { turnId: "t1" });
    const err = await h.waitFor((e) => e.type === "stt.error");
    await sleep(10);
    expect(err).toMatchObject({ code: "malformed_output", message: expect.stringMatching(/^The recogniser's update is malformed: /) });
    expect(h.received.map((e) => e.type)).toEqual(["stt.partial", "stt.error"]);
  });

  it("a confidence outside 0..1 or of the wrong type is reported as null, not as an error", async () => {
    const engine: SttEngine = {
      name: "odd",
      async *transcribe() {
        yield { kind: "final", text: "hello", confidence: "high" } as never;
      },
      close: async () => {},
    };
    h = host(createSttLogic({ engine }), { turnId: "t1" });
    expect(await h.waitFor((e) => e.type.startsWith("stt."))).toEqual({ type: "stt.final", text: "hello", confidence: null });
  });
});

describe("memory actors: malformed results", () => {
  const storeWith = (recall: unknown, stored: unknown): MemoryStore =>
    Object.assign(new InMemoryStore(), { recall: async () => recall, storeTurn: async () => stored }) as unknown as MemoryStore;

  it.each([
    ["null", null],
    ["a hit whose item is null", [{ item: null, score: 1 }]],
    ["a hit with a numeric id and text and a NaN score", [{ item: { id: 1, kind: "fact", text: 2, importance: 0, createdAt: "", turnId: null }, score: Number.NaN }]],
    ["a list holding null", [null]],
  ])("recall resolving %s rejects with malformed_output", async (_name, recall) => {
    h = host(createRecallLogic({ store: storeWith(recall, null) }), { query: "x", limit: 3 });
    const err = await h.waitFor((e) => e.type.startsWith("xstate.error.actor"));
    expect(err.error).toMatchObject({ name: "EngineError", code: "malformed_output", message: expect.stringMatching(/^The memory store's recall is malformed: /) });
  });

  it.each([
    ["null", null],
    ["{id: 5}", { id: 5 }],
    ['"stored"', "stored"],
    ["{}", {}],
  ])("storeTurn resolving %s rejects with malformed_output", async (_name, stored) => {
    h = host(createStoreLogic({ store: storeWith([], stored) }), { turnId: "t1", user: "hi", assistant: "hello" });
    const err = await h.waitFor((e) => e.type.startsWith("xstate.error.actor"));
    expect(err.error).toMatchObject({ code: "malformed_output", message: expect.stringMatching(/^The memory store's stored item is malformed: /) });
  });
});

describe("tools actor: malformed outcomes", () => {
  const call = { id: "c1", name: "get_time", arguments: {} };
  it.each([
    ["null", null, "(value): Invalid input"],
    ["a failure without code and message", { ok: false, callId: "c1", name: "get_time", durationMs: 1 }, "code: Invalid input: expected string, received undefined"],
    ["an outcome for another call", { ok: true, callId: "c9", name: "get_time", result: 1, preview: "1", durationMs: 1 }, "callId: not the id of the call it answers"],
    ["a string", "done", "(value): Invalid input"],
  ])("an outcome that is %s becomes a failed outcome malformed_output for the call", async (_name, outcome, problem) => {
    const runner: ToolRunner = { specs: () => [], run: async () => outcome as never };
    h = host(createToolsLogic({ runner }), { turnId: "t1", calls: [call] });
    await h.waitFor((e) => e.type === "tools.done");
    expect(h.received.map((e) => e.type)).toEqual(["tools.outcome", "tools.done"]);
    const o = h.received[0]!.outcome;
    expect(o).toMatchObject({ ok: false, callId: "c1", name: "get_time", code: "malformed_output" });
    expect(o.message).toContain(`The tool runner's outcome is malformed: ${problem}`);
    expect(o.durationMs).toBeGreaterThanOrEqual(0);
  });
});

describe("parseEngineOutput", () => {
  it("never puts the value in the message (it may be user speech or memory text)", () => {
    const secret = "my bank PIN is 4321";
    expect(() => parseEngineOutput(MemoryHitsSchema, [{ item: { id: "m1", kind: "fact", text: secret, importance: 1, createdAt: "x", turnId: null }, score: secret }], "recall")).toThrowError(
      expect.objectContaining({ code: "malformed_output", message: expect.not.stringContaining("4321") }),
    );
  });

  it("lists at most three issues", () => {
    const r = MemoryHitsSchema.safeParse([null, null, null, null, null]);
    expect(r.success).toBe(false);
    expect(describeIssues(r.error!)).toBe("0: Invalid input: expected object, received null; 1: Invalid input: expected object, received null; 2: Invalid input: expected object, received null; and 2 more");
  });
});
