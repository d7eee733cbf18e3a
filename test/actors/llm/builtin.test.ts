/**
 * The built-in responder, driven the way the pipeline drives a model: ask,
 * run the tool it requests, feed back the tool message, ask again. Covers
 * greeting, honesty about itself, time/date, arithmetic, remember/recall,
 * tool failures, tools that are not offered, streaming and abort.
 */
import { describe, expect, it } from "vitest";
import { isAbortError } from "../../../actors/engine-error.js";
import { BuiltinResponder, toSecondPerson } from "../../../actors/llm/builtin.js";
import type { ChatMessage, LlmChunk, ToolCall, ToolSpec } from "../../../actors/llm/types.js";
import { toolMessageContent } from "../../../actors/contracts/index.js";
import { settle } from "../../helpers/iterables.js";

const spec = (name: string): ToolSpec => ({ name, description: name, parameters: { type: "object" } });
const ALL_TOOLS = ["get_time", "calculate", "remember", "recall", "system_info"].map(spec);

async function round(engine: BuiltinResponder, messages: ChatMessage[], tools = ALL_TOOLS): Promise<LlmChunk[]> {
  const { items, error } = await settle(engine.generate({ messages, tools, signal: new AbortController().signal }));
  expect(error).toBeUndefined();
  return items;
}

/** A spoken answer of one sentence (no sentence ends before the last character) of at most 30 words, with no set-up advice. */
function expectOneShortSentence(answer: string) {
  expect(answer).toMatch(/^[^.!?]+[.!?]$/);
  expect(answer.split(/\s+/).length).toBeLessThanOrEqual(30);
  expect(answer).not.toMatch(/Ollama|CODA_|OpenAI/);
}

const textOf = (chunks: LlmChunk[]) => chunks.map((c) => (c.kind === "delta" ? c.text : "")).join("");

/**
 * One user turn as the pipeline runs it: every requested tool is answered by
 * `toolAnswers[name](args)` and the model is asked again until it stops.
 */
async function turn(
  engine: BuiltinResponder,
  userText: string,
  toolAnswers: Record<string, (args: any) => string> = {},
  tools = ALL_TOOLS,
): Promise<{ calls: ToolCall[]; answer: string; rounds: number; last: LlmChunk[] }> {
  const messages: ChatMessage[] = [{ role: "user", content: userText }];
  const calls: ToolCall[] = [];
  for (let rounds = 1; rounds <= 3; rounds++) {
    const chunks = await round(engine, messages, tools);
    expect(chunks.filter((c) => c.kind === "done")).toHaveLength(1);
    expect(chunks.at(-1)!.kind).toBe("done");
    const requested = chunks.flatMap((c) => (c.kind === "tool_call" ? [c.call] : []));
    if (requested.length === 0) return { calls, answer: textOf(chunks), rounds, last: chunks };
    expect(chunks.at(-1)).toEqual({ kind: "done", finishReason: "tool_calls" });
    calls.push(...requested);
    messages.push({ role: "assistant", content: textOf(chunks), toolCalls: requested });
    for (const call of requested) {
      const answer = toolAnswers[call.name];
      if (!answer) throw new Error(`unexpected tool ${call.name}`);
      messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: answer(call.arguments) });
    }
  }
  throw new Error("the responder never stopped asking for tools");
}

describe("BuiltinResponder conversation", () => {
  const engine = new BuiltinResponder();

  it("names itself as the builtin engine", () => {
    expect(engine.name).toBe("builtin");
    expect(engine.model).toBe("builtin-responder");
  });

  it("greets, streaming the answer word by word", async () => {
    const { answer, rounds, last } = await turn(engine, "Hello!");
    expect(rounds).toBe(1);
    expect(answer).toBe(
      "Hello! I'm Coda's built-in responder. I can tell you the time and date, do arithmetic, and remember facts you tell me and recall them later.",
    );
    const deltas = last.filter((c) => c.kind === "delta");
    expect(deltas.length).toBe(answer.split(" ").length);
    expect(deltas.slice(0, 3)).toEqual([
      { kind: "delta", text: "Hello! " },
      { kind: "delta", text: "I'm " },
      { kind: "delta", text: "Coda's " },
    ]);
    expect(last.at(-1)).toEqual({ kind: "done", finishReason: "stop" });
  });

  it.each(["Who are you?", "are you an AI", "What model are you running?", "coda, what's your name?"])(
    "says honestly what it is, in one short sentence without set-up advice (%s)",
    async (question) => {
      const { answer, calls } = await turn(engine, question);
      expect(calls).toEqual([]);
      expect(answer).toBe("I'm Coda's built-in responder, a few fixed rules and not a language model: I can tell the time, do sums, and remember what you tell me.");
      expectOneShortSentence(answer);
    },
  );

  it("asks get_time with the IANA zone the user named and answers the time from the result", async () => {
    const { calls, answer, rounds } = await turn(engine, "What time is it in Europe/Paris?", {
      get_time: () => JSON.stringify({ iso: "2026-05-01T12:05:00.000Z", timezone: "Europe/Paris" }),
    });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "get_time", arguments: { timezone: "Europe/Paris" } }]);
    expect(rounds).toBe(2);
    expect(answer).toBe("It's 2:05 PM (Europe/Paris).");
  });

  it("asks get_time without arguments for the date and answers the date", async () => {
    const { calls, answer } = await turn(engine, "what's the date today", {
      get_time: () => JSON.stringify({ iso: "2026-05-01T23:30:00Z", timezone: "America/New_York" }),
    });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "get_time", arguments: {} }]);
    expect(answer).toBe("Today is Friday, May 1, 2026 (America/New York).");
  });

  it("answers time and date together when the tool gives a bare ISO string and the user named UTC", async () => {
    const { calls, answer } = await turn(engine, "Tell me the current time and date in UTC", {
      get_time: () => JSON.stringify("2026-05-01T08:00:00Z"),
    });
    expect(calls[0]!.arguments).toEqual({ timezone: "UTC" });
    expect(answer).toBe("It's 8:00 AM on Friday, May 1, 2026 (UTC).");
  });

  it.each([
    ["what is 12 * 7", "12 * 7", "84", "12 * 7 is 84."],
    ["Calculate (3+4)/2", "(3+4)/2", JSON.stringify({ expression: "(3+4)/2", result: 3.5 }), "(3+4)/2 is 3.5."],
    ["What's 2 plus 2 times 3?", "2 + 2 * 3", JSON.stringify({ result: 8 }), "2 + 2 * 3 is 8."],
    ["how much is 1,200 divided by 4", "1200 / 4", "300", "1200 / 4 is 300."],
    ["what is the square root of 144", "sqrt(144)", JSON.stringify({ result: "12" }), "sqrt(144) is 12."],
    ["what is 0.1 + 0.2", "0.1 + 0.2", "0.30000000000000004", "0.1 + 0.2 is 0.3."],
    // As speech recognition writes it: numbers spelled out.
    ["what is twelve times seven", "12 * 7", "84", "12 * 7 is 84."],
    ["one hundred and twenty divided by four", "120 / 4", "30", "120 / 4 is 30."],
  ])("asks calculate for %j and answers from the result", async (question, expression, result, expected) => {
    const { calls, answer } = await turn(engine, question, { calculate: () => result });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "calculate", arguments: { expression } }]);
    expect(answer).toBe(expected);
  });

  it("says why when the calculate tool fails", async () => {
    const { answer } = await turn(engine, "what is 5 / (2 - 2)", {
      calculate: () => JSON.stringify({ error: { code: "tool_failed", message: "Division by zero." } }),
    });
    expect(answer).toBe("Sorry, I couldn't calculate 5 / (2 - 2): Division by zero.");
  });

  it("reads the tool failures the turn machine writes (a deadline)", async () => {
    const { answer } = await turn(engine, "what time is it", {
      get_time: () =>
        toolMessageContent({ ok: false, callId: "c1", name: "get_time", code: "timeout", message: "The tool did not answer within 5000 ms", durationMs: 5000 }),
    });
    expect(answer).toBe("Sorry, I couldn't get the time: The tool did not answer within 5000 ms.");
  });

  it("remembers a fact through the remember tool and confirms it in the second person", async () => {
    const { calls, answer } = await turn(engine, "Remember that my favourite colour is blue.", {
      remember: (args) => JSON.stringify({ id: "m1", kind: "fact", text: args.text }),
    });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "remember", arguments: { text: "my favourite colour is blue" } }]);
    expect(answer).toBe("Okay, I'll remember that your favourite colour is blue.");
  });

  it("recalls through the recall tool, facts before conversation turns", async () => {
    const hits = [
      { item: { id: "t1", kind: "turn", text: "User: what colour? Assistant: no idea" }, score: 2 },
      { item: { id: "m1", kind: "fact", text: "my favourite colour is blue" }, score: 1.5 },
    ];
    const { calls, answer } = await turn(engine, "What is my favourite colour?", { recall: () => JSON.stringify(hits) });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "recall", arguments: { query: "my favourite colour", limit: 20 } }]);
    expect(answer).toBe("You told me that your favourite colour is blue.");
  });

  it("says so when recall finds nothing", async () => {
    const { calls, answer } = await turn(engine, "what do you remember about my sister", { recall: () => JSON.stringify({ hits: [] }) });
    expect(calls[0]!.arguments).toEqual({ query: "my sister", limit: 20 });
    expect(answer).toBe("I don't remember anything about your sister yet.");
  });

  it("tells back the user's side of earlier turns, never the assistant's, and not the user's questions", async () => {
    const memories = [
      { id: "t3", kind: "turn", text: "User: what do you remember about lisbon\nAssistant: You told me that you plan to visit Lisbon in June." },
      { id: "t2", kind: "turn", text: "User: I'm flying to Lisbon on the 3rd\nAssistant (interrupted): Lisbon is lovely in" },
      { id: "t1", kind: "turn", text: "User: Remember that I plan to visit Lisbon in June\nAssistant: Okay, I'll remember that you plan to visit Lisbon in June." },
      { id: "m1", kind: "fact", text: "I plan to visit Lisbon in June" },
    ];
    const { answer } = await turn(engine, "what do you remember about lisbon", { recall: () => JSON.stringify({ count: 4, memories }) });
    expect(answer).toBe("You told me that you plan to visit Lisbon in June, and that you're flying to Lisbon on the 3rd.");
  });

  it("when recall found only questions and answers, says so without claiming to remember nothing", async () => {
    const memories = [{ id: "t1", kind: "turn", text: "User: what do you remember about lisbon\nAssistant: I don't remember anything about lisbon yet." }];
    const { answer } = await turn(engine, "what do you remember about lisbon", { recall: () => JSON.stringify({ count: 1, memories }) });
    expect(answer).toBe("We've talked about lisbon before, but you haven't told me anything about it.");
  });

  it("reads a recall result cut short at the tool message's limit (no longer JSON), and keeps its answer short", async () => {
    const long = "I plan to visit Lisbon in June and then walk the whole coast down to the Algarve, stopping in every little fishing town";
    const memories = Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, kind: "fact", text: `${long} (${i})`, created_at: "2026-05-01T00:00:00.000Z", score: 1 }));
    const content = toolMessageContent({ ok: true, callId: "c", name: "recall", result: { count: 20, memories }, preview: "", durationMs: 1 }, 2000);
    expect(() => JSON.parse(content)).toThrow();
    const { answer } = await turn(engine, "what do you remember about lisbon", { recall: () => content });
    // Twenty memories, the last cut in half: what is said is one of them, cut at a word (they differ only past the cut).
    expect(answer).toBe("You told me that you plan to visit Lisbon in June and then walk the whole coast down to the Algarve, stopping in…");
  });

  it("recalls everything first-person for a bare 'what do you remember'", async () => {
    const { calls, answer } = await turn(engine, "What do you remember?", {
      recall: () => JSON.stringify([{ text: "I am vegetarian" }, { text: "my cat is called Miso." }]),
    });
    expect(calls[0]!.arguments).toEqual({ query: "me my I", limit: 20 });
    expect(answer).toBe("You told me that you are vegetarian, and that your cat is called Miso.");
  });

  it("remembers then recalls across turns with a real in-test memory", async () => {
    const facts: string[] = [];
    const answers = {
      remember: (args: { text: string }) => (facts.push(args.text), JSON.stringify({ id: `m${facts.length}`, text: args.text })),
      recall: (args: { query: string }) =>
        JSON.stringify(facts.filter((f) => args.query.split(" ").some((w) => w !== "my" && f.includes(w))).map((text) => ({ text }))),
    };
    await turn(engine, "remember that my sister's name is Ana", answers);
    const { answer } = await turn(engine, "what do you remember about my sister's name", answers);
    expect(answer).toBe("You told me that your sister's name is Ana.");
  });

  it("gets system information through the system_info tool", async () => {
    const { calls, answer } = await turn(engine, "system status", {
      system_info: () => JSON.stringify({ version: "0.1.0", engines: { stt: "none", llm: "builtin" }, clients: 2 }),
    });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "system_info", arguments: {} }]);
    expect(answer).toBe(
      "Here's the system information: Coda version 0.1.0; 2 clients connected; engines: stt none, llm builtin. I'm the built-in rule-based responder.",
    );
  });

  it("numbers its tool-call ids after the calls already in the conversation", async () => {
    const messages: ChatMessage[] = [
      { role: "user", content: "what is 1+1" },
      { role: "assistant", content: "", toolCalls: [{ id: "builtin_call_1", name: "calculate", arguments: { expression: "1+1" } }] },
      { role: "tool", toolCallId: "builtin_call_1", name: "calculate", content: "2" },
      { role: "assistant", content: "1+1 is 2." },
      { role: "user", content: "and what is 2+2" },
    ];
    const chunks = await round(engine, messages);
    expect(chunks).toEqual([
      { kind: "tool_call", call: { id: "builtin_call_2", name: "calculate", arguments: { expression: "2+2" } } },
      { kind: "done", finishReason: "tool_calls" },
    ]);
  });

  it.each(["Write me a poem about the sea", "one is the best of the lot", "I have 2 cats and 3 dogs", "on 2026-05-01 I went to Lisbon"])(
    "falls back honestly for anything else, in one sentence of at most 30 words (%j)",
    async (question) => {
      const { answer, calls } = await turn(engine, question);
      expect(calls).toEqual([]);
      expect(answer).toBe("Sorry, I can't answer that: I'm the built-in responder, and I can only tell the time, do sums, and remember what you tell me.");
      expectOneShortSentence(answer);
    },
  );

  // What speech recognition makes of a question: words added before, after and in between.
  it.each([
    ["one is twelve times seven", "12 * 7"],
    ["so uh twelve plus thirty then", "12 + 30"],
    ["the what's twenty divided by four please", "20 / 4"],
    ["is it the square root of one hundred and forty four", "sqrt(144)"],
    ["hmm 3 x 4 is what", "3 * 4"],
  ])("finds the sum anywhere in a misheard question (%j)", async (question, expression) => {
    const { calls } = await turn(engine, question, { calculate: () => "1" });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "calculate", arguments: { expression } }]);
  });

  it.each([
    ["one what time is it", {}],
    ["so uh the time now please", {}],
    ["and what's the date to day", {}],
    ["hey um tell me what time it is in Europe/Paris okay", { timezone: "Europe/Paris" }],
  ])("finds the time question anywhere in a misheard question (%j)", async (question, args) => {
    const { calls } = await turn(engine, question, { get_time: () => JSON.stringify({ iso: "2026-05-01T12:05:00.000Z" }) });
    expect(calls).toEqual([{ id: "builtin_call_1", name: "get_time", arguments: args }]);
  });

  it("gives the same answer to the same conversation", async () => {
    const a = await round(engine, [{ role: "user", content: "what is the meaning of life" }]);
    const b = await round(engine, [{ role: "user", content: "what is the meaning of life" }]);
    expect(a).toEqual(b);
  });
});

describe("BuiltinResponder and custom tools", () => {
  const engine = new BuiltinResponder();
  const custom = (name: string, description: string, properties: Record<string, unknown> = {}): ToolSpec => ({
    name,
    description,
    parameters: { type: "object", properties },
  });
  const rollDie = custom("roll_die", "Roll a die with the given number of sides", { sides: { type: "integer", minimum: 2, default: 6 } });
  const weather = custom("get_weather", "Get the current weather for a city", { city: { type: "string" } });
  const convert = custom("convert_temperature", "Convert a temperature between Celsius (C) and Fahrenheit (F).", {
    value: { type: "number" },
    from: { type: "string", enum: ["C", "F"] },
    to: { type: "string", enum: ["C", "F"] },
  });
  const tools = [...ALL_TOOLS, rollDie, weather, convert];

  it.each<[string, string, Record<string, unknown>]>([
    ["roll a die", "roll_die", {}],
    ["Please roll the dice, twenty sides", "roll_die", { sides: 20 }],
    ["what's the weather like", "get_weather", {}],
    ["convert 100 celsius to fahrenheit", "convert_temperature", { value: 100 }],
    ["convert the temperature minus forty from F to C", "convert_temperature", { value: -40, from: "F", to: "C" }],
  ])("calls the tool %j names, with the numbers and enum values it heard", async (question, name, args) => {
    const { calls, answer } = await turn(engine, question, { [name]: () => "4" }, tools);
    expect(calls).toEqual([{ id: "builtin_call_1", name, arguments: args }]);
    expect(answer).toBe(`The ${name.replace(/_/g, " ")} tool answered: 4.`);
  });

  it("says an object result field by field, and a failure as the tool's failure", async () => {
    const said = await turn(engine, "convert 100 celsius to fahrenheit", { convert_temperature: () => JSON.stringify({ value: 212, unit: "F" }) }, tools);
    expect(said.answer).toBe("The convert temperature tool answered: value 212, unit F.");
    const failed = await turn(
      engine,
      "convert 100 celsius to fahrenheit",
      { convert_temperature: () => JSON.stringify({ error: { code: "invalid_arguments", message: "Invalid arguments for convert_temperature", issues: [{ path: "from", message: "Required" }] } }) },
      tools,
    );
    expect(failed.answer).toBe("The convert temperature tool failed: Invalid arguments for convert_temperature: Required.");
  });

  it.each(["let's rock and roll", "I nearly died laughing", "write me a poem", "what is the temperature of the sun"])(
    "calls no tool when %j does not clearly name one",
    async (question) => {
      const { calls } = await turn(engine, question, {}, tools);
      expect(calls).toEqual([]);
    },
  );

  it("leaves the built-in rules first: a sum is still the calculator's", async () => {
    const adder = custom("add_numbers", "Add two numbers together", { a: { type: "number" }, b: { type: "number" } });
    const { calls } = await turn(engine, "add the numbers 2 plus 2", { calculate: () => "4" }, [...ALL_TOOLS, adder]);
    expect(calls.map((c) => c.name)).toEqual(["calculate"]);
  });
});

describe("BuiltinResponder without tools", () => {
  const noon = new Date("2026-05-01T12:00:00Z");
  const engine = new BuiltinResponder({ now: () => noon, timeZone: "UTC" });

  it("answers the time from its own clock when get_time is not offered", async () => {
    const { calls, answer } = await turn(engine, "what time is it", {}, []);
    expect(calls).toEqual([]);
    expect(answer).toBe("It's 12:00 PM (UTC).");
  });

  it("says arithmetic and memory are unavailable instead of calling tools that are not offered", async () => {
    expect((await turn(engine, "what is 12 * 7", {}, [spec("get_time")])).answer).toBe(
      "I can't do arithmetic right now: the calculate tool is not enabled.",
    );
    expect((await turn(engine, "remember that I like tea", {}, [])).answer).toBe(
      "I can't remember things right now: the memory tools are not enabled.",
    );
    expect((await turn(engine, "what is my name", {}, [])).answer).toBe(
      "I can't recall anything right now: the memory tools are not enabled.",
    );
  });
});

describe("BuiltinResponder cancellation and options", () => {
  it("stops streaming when aborted, with nothing after the abort", async () => {
    const engine = new BuiltinResponder();
    const controller = new AbortController();
    const seen: LlmChunk[] = [];
    let caught: unknown;
    try {
      for await (const c of engine.generate({ messages: [{ role: "user", content: "hello" }], tools: [], signal: controller.signal })) {
        seen.push(c);
        if (seen.length === 2) controller.abort();
      }
    } catch (err) {
      caught = err;
    }
    expect(isAbortError(caught)).toBe(true);
    expect(seen).toEqual([
      { kind: "delta", text: "Hello! " },
      { kind: "delta", text: "I'm " },
    ]);
  });

  it("aborts during a word delay", async () => {
    const engine = new BuiltinResponder({ delayMs: 10_000 });
    const controller = new AbortController();
    const pending = settle(engine.generate({ messages: [{ role: "user", content: "hello" }], tools: [], signal: controller.signal }));
    setTimeout(() => controller.abort(), 20);
    const { items, error } = await pending;
    expect(items).toEqual([]);
    expect(isAbortError(error)).toBe(true);
  });

  it("rejects invalid options with a TypeError", () => {
    expect(() => new BuiltinResponder({ delayMs: -1 })).toThrow(new TypeError("Invalid builtin responder option delayMs: must be >= 0"));
    expect(() => new BuiltinResponder({ timeZone: "Mars/Olympus" })).toThrow(TypeError);
  });

  it("turns first-person facts into second person", () => {
    expect(toSecondPerson("I am allergic to nuts and my cat is mine")).toBe("you are allergic to nuts and your cat is yours");
    expect(toSecondPerson("the meeting is at 7 am")).toBe("the meeting is at 7 am");
  });
});
