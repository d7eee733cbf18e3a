/**
 * The built-in responder: a deterministic, rule-based LlmEngine with no
 * weights, for when no model server is configured. It is honest about what
 * it is, and it exercises the whole pipeline: it greets, asks the real tools
 * for the time and for arithmetic, stores and recalls facts through the
 * memory tools, then answers in a sentence from the tool result on the next
 * round. It also calls a custom tool (one registered next to the
 * built-ins) that the user names: every distinctive word of its name, or
 * the first word of its description and another of its words, with the
 * numbers it heard as the tool's number parameters (`namedTool`), and
 * says the tool's answer. Answers stream word by word like a model's would.
 *
 * Tool results are read from the tool message content, in the one format
 * the turn machine writes (actors/contracts/tool-message.ts): the result, or
 * `{"error": {"code", "message", "issues"?}}` on failure. A tool whose own
 * result says it failed (`{"error": "..."}`, `{"ok": false, "message"}`) is
 * read as a failure too.
 */
import { spokenNumbersToDigits } from "./number-words.js";
import { setTimeout as sleep } from "node:timers/promises";
import { readToolMessage } from "../contracts/index.js";
import { abortError } from "../http.js";
import type { ChatMessage, GenerateRequest, LlmChunk, LlmEngine, ToolCall, ToolSpec } from "./types.js";

/** The tools the responder knows how to use (BUILTIN_TOOL_NAMES in actors/tools/builtins/). */
type BuiltinToolName = "get_time" | "calculate" | "remember" | "recall" | "system_info";
const BUILTIN_TOOLS: ReadonlySet<string> = new Set<BuiltinToolName>(["get_time", "calculate", "remember", "recall", "system_info"]);

/** Options of BuiltinResponder. */
export interface BuiltinResponderOptions {
  /** Pause between streamed words in ms (default 0: deltas are still separate, only not spaced out). */
  delayMs?: number;
  /** Clock used when the get_time tool is not offered (tests pin it). Default: `() => new Date()`. */
  now?: () => Date;
  /** Time zone for answers when neither the user nor the tool names one (default: the system's). */
  timeZone?: string;
}

/** What the responder decided to do with one user message. */
type Intent =
  | { kind: "say"; text: string }
  | { kind: "tool"; name: string; arguments: Record<string, unknown>; withoutTool: () => string };

const CAPABILITIES = "I can tell you the time and date, do arithmetic, and remember facts you tell me and recall them later.";
/**
 * Spoken answers are one sentence of at most 30 words (FALLBACK, IDENTITY):
 * a misheard question must not be answered with a minute of apology. How to
 * set up a real model is in the start-up output (actors/llm/select.ts) and
 * docs/engines-llm.md, not in what the assistant says.
 */
const IDENTITY = "I'm Coda's built-in responder, a few fixed rules and not a language model: I can tell the time, do sums, and remember what you tell me.";
const FALLBACK = "Sorry, I can't answer that: I'm the built-in responder, and I can only tell the time, do sums, and remember what you tell me.";

/**
 * Deterministic stand-in for a language model.
 *
 * @example
 * const llm = new BuiltinResponder();
 * // round 0: "what is 12 * 7" -> tool_call calculate {expression: "12 * 7"}
 * // round 1: (history now holds the tool message "84") -> "12 * 7 is 84."
 */
export class BuiltinResponder implements LlmEngine {
  readonly name = "builtin";
  readonly model = "builtin-responder";
  readonly #delayMs: number;
  readonly #now: () => Date;
  readonly #timeZone: string | undefined;

  /** @throws TypeError when `delayMs` is negative or `timeZone` is not an IANA zone. */
  constructor(options: BuiltinResponderOptions = {}) {
    const delayMs = options.delayMs ?? 0;
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new TypeError("Invalid builtin responder option delayMs: must be >= 0");
    if (options.timeZone !== undefined && !isTimeZone(options.timeZone)) {
      throw new TypeError(`Invalid builtin responder option timeZone: not an IANA time zone`);
    }
    this.#delayMs = delayMs;
    this.#now = options.now ?? (() => new Date());
    this.#timeZone = options.timeZone;
  }

  async *generate(request: GenerateRequest): AsyncGenerator<LlmChunk> {
    const { signal } = request;
    if (signal.aborted) throw abortError(signal);
    const offered = new Set(request.tools.map((t) => t.name));
    const results = pendingToolResults(request.messages);
    let text: string;
    if (results) {
      const asked = lastUserText(request.messages);
      text = results.map((r) => this.#answerFromTool(r.call, r.content, asked)).join(" ");
    } else {
      // One intent per part of the question ("What time is it, and what did I tell you about my plans?").
      const intents = this.#understandParts(lastUserText(request.messages), request.tools);
      const calls = intents.filter((i): i is Extract<Intent, { kind: "tool" }> => i.kind === "tool" && offered.has(i.name));
      if (calls.length > 0) {
        let n = countToolCalls(request.messages);
        for (const intent of calls) yield { kind: "tool_call", call: { id: `builtin_call_${++n}`, name: intent.name, arguments: intent.arguments } };
        yield { kind: "done", finishReason: "tool_calls" };
        return;
      }
      text = intents.map((intent) => (intent.kind === "tool" ? intent.withoutTool() : intent.text)).join(" ");
    }
    for (const word of text.match(/\S+\s*/g) ?? []) {
      // A turn between words keeps the event loop free and lets an abort land mid-answer.
      if (this.#delayMs > 0) {
        try {
          await sleep(this.#delayMs, undefined, { signal });
        } catch {
          throw abortError(signal);
        }
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (signal.aborted) throw abortError(signal);
      yield { kind: "delta", text: word };
    }
    yield { kind: "done", finishReason: "stop" };
  }

  async close(): Promise<void> {
    // Holds nothing.
  }

  /**
   * The intents of a question with several parts, each answered: parts are
   * split at commas, semicolons and question marks, and at "and" before a
   * new question. Used only when at least two parts each need a tool (so a
   * "remember that I like apples, pears and plums" stays one fact);
   * otherwise the whole text is one intent.
   */
  #understandParts(raw: string, tools: ToolSpec[]): Intent[] {
    const whole = this.#understand(raw, tools);
    if (whole.kind === "tool" && whole.name === "remember") return [whole];
    const parts = raw
      .split(/\s*[,;?]+\s*|\s+and\s+(?=(?:what|what's|who|when|where|which|how|remember|tell|do|did|is|are|can|could)\b)/i)
      .map((p) => p.trim())
      .filter((p) => /[\p{L}\p{N}]/u.test(p));
    if (parts.length < 2) return [whole];
    const seen = new Set<string>();
    const intents = parts
      .map((p) => this.#understand(p, tools))
      .filter((i) => {
        const key = i.kind === "tool" ? JSON.stringify([i.name, i.arguments]) : null;
        if (key === null || seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    return intents.length >= 2 ? intents : [whole];
  }

  #understand(raw: string, tools: ToolSpec[]): Intent {
    const text = raw
      .trim()
      .replace(/^(?:(?:hey|ok|okay|hi|hello)[\s,]+)?coda[\s,:!.]*/i, "")
      .replace(/[\s?!.]+$/, "")
      .replace(/^(?:(?:and|so|then|also|ok|okay|now|well|please)[\s,]+)+/i, "")
      .trim();
    const lower = text.toLowerCase().replace(/’/g, "'");

    if (lower === "") return { kind: "say", text: "Hello! I'm Coda's built-in responder. " + CAPABILITIES };

    const remember = /^(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?remember\s+(?:that\s+)?(.+)$/i.exec(text);
    if (remember && !/^(?:what|anything|everything)\b/i.test(remember[1]!)) {
      const fact = remember[1]!.trim();
      return {
        kind: "tool",
        name: "remember",
        arguments: { text: fact },
        withoutTool: () => "I can't remember things right now: the memory tools are not enabled.",
      };
    }

    const recall = recallQuery(lower, text);
    if (recall !== undefined) {
      return {
        kind: "tool",
        name: "recall",
        // As many as the tool gives: earlier turns that mention the topic can outrank the fact itself.
        arguments: { query: recall, limit: RECALL_LIMIT },
        withoutTool: () => "I can't recall anything right now: the memory tools are not enabled.",
      };
    }

    if (
      /\b(?:who|what)\s+are\s+you\b|\byour\s+name\b|\bare\s+you\s+(?:an?\s+)?(?:ai|bot|robot|human|person|real|language\s+model|llm|chat\s*gpt|model)\b|\b(?:which|what)\s+(?:language\s+)?(?:model|engine|llm)\b/.test(
        lower,
      )
    ) {
      return { kind: "say", text: IDENTITY };
    }

    const expression = arithmetic(lower);
    if (expression !== undefined) {
      return {
        kind: "tool",
        name: "calculate",
        arguments: { expression },
        withoutTool: () => "I can't do arithmetic right now: the calculate tool is not enabled.",
      };
    }

    const time = timeQuestion(lower, text);
    if (time) {
      const zone = time.timeZone;
      return {
        kind: "tool",
        name: "get_time",
        arguments: zone ? { timezone: zone } : {},
        withoutTool: () => describeTime(this.#now(), zone ?? this.#timeZone, time.wants),
      };
    }

    if (/\bsystem\s+(?:info|information|status)\b|\bwhat\s+engines?\b|\bwhich\s+engines?\b|\bstatus\s+report\b/.test(lower)) {
      return {
        kind: "tool",
        name: "system_info",
        arguments: {},
        withoutTool: () => "I can't look at the system right now: the system_info tool is not enabled.",
      };
    }

    if (/\bhelp\b|\bwhat\s+can\s+you\s+do\b|\bwhat\s+do\s+you\s+do\b/.test(lower)) {
      return { kind: "say", text: `${CAPABILITIES} Try "what time is it", "what is 12 times 7", or "remember that my favourite colour is blue".` };
    }
    if (/\b(?:thanks|thank\s+you|cheers)\b/.test(lower)) return { kind: "say", text: "You're welcome." };
    if (/^(?:bye|goodbye|good\s*night|see\s+you)\b/.test(lower)) return { kind: "say", text: "Goodbye!" };
    if (/^(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening))\b/.test(lower)) {
      const greeting = /^good\s+(morning|afternoon|evening)/.exec(lower);
      return {
        kind: "say",
        text: `${greeting ? `Good ${greeting[1]}!` : "Hello!"} I'm Coda's built-in responder. ${CAPABILITIES}`,
      };
    }
    if (/\bhow\s+are\s+you\b/.test(lower)) return { kind: "say", text: "I'm running fine, thank you. " + CAPABILITIES };
    const custom = namedTool(lower, tools.filter((t) => !BUILTIN_TOOLS.has(t.name)));
    if (custom) return { kind: "tool", name: custom.name, arguments: custom.arguments, withoutTool: () => FALLBACK };
    return { kind: "say", text: FALLBACK };
  }

  #answerFromTool(call: ToolCall, content: string, asked: string): string {
    const args = (call.arguments && typeof call.arguments === "object" ? call.arguments : {}) as Record<string, unknown>;
    const read = readToolMessage(content);
    const value = read.ok ? read.result : undefined;
    const failure = read.ok ? failureMessage(read.result) : failureOf(read.message, read.issues);
    switch (call.name) {
      case "get_time": {
        if (failure) return `Sorry, I couldn't get the time: ${sentence(failure)}`;
        const { date, timeZone } = timeFromResult(value);
        const zone = timeZone ?? (typeof args.timezone === "string" ? args.timezone : undefined) ?? this.#timeZone;
        if (!date) return `The clock says: ${sentence(plain(value))}`;
        // Answer what was asked: the time, the date, or both.
        const wants = timeQuestion(asked.toLowerCase().replace(/’/g, "'"), asked)?.wants ?? "both";
        return describeTime(date, zone, wants);
      }
      case "calculate": {
        const expression = typeof args.expression === "string" ? args.expression : "That";
        if (failure) return `Sorry, I couldn't calculate ${expression}: ${sentence(failure)}`;
        return `${expression} is ${formatResult(value)}.`;
      }
      case "remember": {
        const fact = typeof args.text === "string" ? args.text : "that";
        if (failure) return `Sorry, I couldn't store that: ${sentence(failure)}`;
        return `Okay, I'll remember that ${sentence(toSecondPerson(fact))}`;
      }
      case "recall": {
        const query = typeof args.query === "string" ? args.query : "";
        if (failure) return `Sorry, I couldn't search my memory: ${sentence(failure)}`;
        const { told, found } = userFacts(value);
        const topic = query && query !== RECALL_EVERYTHING ? toSecondPerson(query) : "";
        if (found === 0) return `I don't remember anything${topic ? ` about ${topic}` : ""} yet.`;
        // Recall found earlier turns, but in them the user only asked (or the assistant only answered): nothing to tell back.
        if (told.length === 0) return `We've talked about ${topic || "you"} before, but you haven't told me anything about ${topic ? "it" : "yourself"}.`;
        const list = told.map((f) => toSecondPerson(f)).join(", and that ");
        return `You told me that ${list}${list.endsWith("…") ? "" : "."}`;
      }
      case "system_info": {
        if (failure) return `Sorry, I couldn't read the system information: ${sentence(failure)}`;
        return `Here's the system information: ${sentence(summarise(value))} I'm the built-in rule-based responder.`;
      }
      default: {
        // Said aloud: "roll_die" as "roll die".
        const tool = call.name.replace(/[_-]+/g, " ");
        return failure ? `The ${tool} tool failed: ${sentence(failure)}` : `The ${tool} tool answered: ${sentence(spokenResult(value))}`;
      }
    }
  }
}

// --- reading the conversation ----------------------------------------------

function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role === "user") return m.content;
  }
  return "";
}

function countToolCalls(messages: ChatMessage[]): number {
  let n = 0;
  for (const m of messages) if (m.role === "assistant") n += m.toolCalls?.length ?? 0;
  return n;
}

/**
 * When the conversation ends with tool results for the last assistant tool
 * calls (the pipeline's next round), those calls paired with their results.
 */
function pendingToolResults(messages: ChatMessage[]): { call: ToolCall; content: string }[] | undefined {
  const last = messages.at(-1);
  if (!last || last.role !== "tool") return undefined;
  let i = messages.length - 1;
  const tools: Extract<ChatMessage, { role: "tool" }>[] = [];
  while (i >= 0 && messages[i]!.role === "tool") tools.unshift(messages[i--] as Extract<ChatMessage, { role: "tool" }>);
  const assistant = i >= 0 ? messages[i] : undefined;
  const calls = assistant?.role === "assistant" ? (assistant.toolCalls ?? []) : [];
  return tools.map((t) => ({
    call: calls.find((c) => c.id === t.toolCallId) ?? { id: t.toolCallId, name: t.name, arguments: {} },
    content: t.content,
  }));
}

// --- understanding the user ----------------------------------------------------

/** The query for "what do you remember" with no topic: every first-person fact. */
const RECALL_EVERYTHING = "me my I";

function recallQuery(lower: string, text: string): string | undefined {
  const about = /^(?:what|which|anything)\s+(?:else\s+)?(?:do|did)\s+you\s+(?:remember|know|recall)\s+about\s+(.+)$/i.exec(text);
  if (about) return cleanTopic(about[1]!);
  const told = /^(?:what|anything)\s+(?:else\s+)?(?:did\s+i|have\s+i|i've)\s+(?:tell|told|say|said|mention|mentioned)\s+(?:to\s+)?(?:you\s+)?(?:about|regarding|on)\s+(.+)$/i.exec(text);
  if (told) return cleanTopic(told[1]!);
  const remind = /^remind\s+me\s+(?:about|of)\s+(.+)$/i.exec(text);
  if (remind) return cleanTopic(remind[1]!);
  const doYou = /^do\s+you\s+(?:remember|recall|know)\s+(?:about\s+|what\s+)?(.+)$/i.exec(text);
  if (doYou && !/^(?:the\s+)?(?:time|date)\b/i.test(doYou[1]!)) return cleanTopic(doYou[1]!);
  if (/^what\s+(?:do|did)\s+you\s+(?:remember|know|recall)(?:\s+about\s+me)?$/.test(lower)) return RECALL_EVERYTHING;
  const mine = /^(?:what|who|when|where|which)(?:'s|\s+is|\s+are|\s+was|\s+were)\s+(my\s+.+)$/i.exec(text);
  if (mine) return cleanTopic(mine[1]!);
  return undefined;
}

function cleanTopic(topic: string): string {
  // "my dog called" / "my dog named" (from "what is my dog called?"): the topic is the dog.
  const t = topic
    .trim()
    .replace(/^(?:that|the fact that)\s+/i, "")
    .replace(/\s+(?:called|named|again)$/i, "")
    .trim();
  return /^(?:me|myself)$/i.test(t) ? RECALL_EVERYTHING : t;
}

const FUNCTIONS = ["sqrt", "cbrt", "abs", "sin", "cos", "tan", "log", "log10", "exp", "round", "floor", "ceil", "pi"];

/**
 * The arithmetic in a question, wherever it is: speech recognition adds and
 * changes words ("one is twelve times seven"), so the longest stretch of
 * numbers and operators with a binary operation (or a function call) in it
 * is the sum; undefined when there is none.
 */
function arithmetic(lower: string): string | undefined {
  // Spoken questions (speech recognition) spell numbers out: "twelve times seven".
  const text = spokenNumbersToDigits(lower)
    // A date is not a subtraction.
    .replace(/\b\d{4}-\d{1,2}-\d{1,2}\b/g, " date ")
    .replace(/[×✕]/g, "*")
    .replace(/÷/g, "/")
    .replace(/[−–]/g, "-")
    .replace(/(\d),(\d{3})\b/g, "$1$2")
    .replace(/\bsquare\s+root\s+of\s+(\d+(?:\.\d+)?|\([^)]*\))/g, "sqrt($1)")
    .replace(/\bmultiplied\s+by\b/g, "*")
    .replace(/\bdivided\s+by\b/g, "/")
    .replace(/\bto\s+the\s+power\s+of\b/g, "^")
    .replace(/\bplus\b/g, "+")
    .replace(/\bminus\b/g, "-")
    .replace(/\btimes\b/g, "*")
    .replace(/\bover\b/g, "/")
    .replace(/\bmod(?:ulo)?\b/g, "mod")
    .replace(/\bsquared\b/g, "^2")
    .replace(/\bcubed\b/g, "^3")
    .replace(/(\d)\s*x\s*(\d)/g, "$1 * $2");
  // The whole question, when it is nothing but a sum ("calculate (2 +" too: the calculator says what is wrong with it).
  const prefixed = /^(?:what(?:'s|\s+is|\s+are|\s+does)|calculate|compute|evaluate|solve|work\s+out|how\s+much\s+is|tell\s+me)\s+(.+)$/.exec(text.trim());
  const whole = (prefixed ? prefixed[1]! : text)
    .trim()
    .replace(/^the\s+/, "")
    .replace(/\s+(?:equal|make|come\s+to)s?$/, "")
    .replace(/[=?!.\s]+$/, "")
    .replace(/\s+/g, " ");
  const stripped = whole.replace(new RegExp(`\\b(?:${FUNCTIONS.join("|")}|mod)\\b`, "g"), " ");
  if (/\d/.test(whole) && /^[\d\s+\-*/^%().]+$/.test(stripped) && /[+\-*/^%]|\bmod\b|[a-z]\s*\(/.test(whole)) return whole;
  let best: string | undefined;
  for (const match of text.matchAll(ARITHMETIC_RUN)) {
    const expr = trimExpression(match[0]);
    if (!BINARY_OR_CALL.test(expr) || !balanced(expr)) continue;
    if (best === undefined || expr.length > best.length) best = expr;
  }
  return best;
}

const ARITHMETIC_TOKEN = `(?:\\d+(?:\\.\\d+)?|\\b(?:${FUNCTIONS.join("|")}|mod)\\b|[-+*/^%()])`;
/** A maximal stretch of numbers, operators, brackets and function names. */
const ARITHMETIC_RUN = new RegExp(`${ARITHMETIC_TOKEN}(?:\\s*${ARITHMETIC_TOKEN})*`, "g");
/** Two operands joined by an operator, or a function applied to something. */
const BINARY_OR_CALL = /[\d)]\s*(?:[-+*/^%]|\bmod\b)\s*[-+]?\s*[\d(a-z]|\b[a-z]\w*\s*\(\s*[-+]?\s*[\d(]/;

/** Without operators dangling at either end ("is 12 * 7 ." -> "12 * 7"). */
function trimExpression(run: string): string {
  return run
    .replace(/^[\s*/^%)]+/, "")
    .replace(/[\s+\-*/^%(]+$/, "")
    .replace(/\s+/g, " ")
    .trim();
}

function balanced(expr: string): boolean {
  let depth = 0;
  for (const c of expr) {
    depth += c === "(" ? 1 : c === ")" ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** Words a tool name starts with that say nothing about what it does ("get_weather" is named by "weather"). */
const GENERIC_NAME_WORDS = new Set(["get", "set", "fetch", "find", "lookup", "look", "query", "check", "do", "run", "call", "use", "make", "show", "tool"]);
/** Words of a description that do not name anything. */
const STOP_WORDS = new Set(["the", "and", "for", "with", "from", "into", "that", "this", "given", "any", "its", "one", "two", "some", "between", "about", "per", "than", "then", "each", "are", "was", "will", "can", "you", "your"]);

/** Lower-case words, plurals folded ("sides" -> "side", "dice" -> "die"). */
function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).map((w) => (w === "dice" ? "die" : w.length > 3 && /[^s]s$/.test(w) ? w.slice(0, -1) : w));
}

/**
 * The custom tool `lower` clearly names, with the arguments it heard: every
 * distinctive word of the tool's name ("roll_die": roll and die; "get_weather":
 * weather), or the first word of its description and at least one more of
 * its words ("Convert a temperature between Celsius and Fahrenheit":
 * "convert 100 celsius to fahrenheit"). The best match wins (ties: the
 * first tool). Arguments: the numbers heard, in order, fill the schema's
 * number and integer properties in order; words that are values of an
 * enum property fill those in order of appearance; nothing else is guessed,
 * so the tool's defaults (or its validation error) apply.
 */
export function namedTool(lower: string, tools: readonly ToolSpec[]): { name: string; arguments: Record<string, unknown> } | undefined {
  const heard = spokenNumbersToDigits(lower);
  const words = new Set(wordsOf(heard));
  let best: { spec: ToolSpec; score: number } | undefined;
  for (const spec of tools) {
    const nameWords = wordsOf(spec.name.replace(/([a-z])([A-Z])/g, "$1 $2")).filter((w) => !GENERIC_NAME_WORDS.has(w));
    const byName = nameWords.length > 0 && nameWords.every((w) => words.has(w)) ? 2 * nameWords.length : 0;
    const described = wordsOf(spec.description).filter((w) => w.length > 2 && !STOP_WORDS.has(w) && !/^\d+$/.test(w));
    const matched = new Set(described.filter((w) => words.has(w))).size;
    const byDescription = described.length > 0 && words.has(described[0]!) && matched >= 2 ? matched : 0;
    const score = Math.max(byName, byDescription);
    if (score > 0 && (best === undefined || score > best.score)) best = { spec, score };
  }
  return best && { name: best.spec.name, arguments: argumentsHeard(heard, best.spec.parameters) };
}

/** Numbers and enum values heard, put into the properties of a JSON Schema object. */
function argumentsHeard(heard: string, schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties && typeof schema.properties === "object" ? (schema.properties as Record<string, Record<string, unknown>>) : {};
  const numbers = (heard.replace(/\b(?:minus|negative)\s+(?=\d)/g, "-").match(/-?\d+(?:\.\d+)?/g) ?? []).map(Number);
  const tokens = heard.match(/[\p{L}\p{N}_]+/gu) ?? [];
  const args: Record<string, unknown> = {};
  const usedTokens = new Set<number>();
  for (const [key, property] of Object.entries(properties)) {
    if (!property || typeof property !== "object") continue;
    if (Array.isArray(property.enum)) {
      const at = tokens.findIndex((t, i) => !usedTokens.has(i) && (property.enum as unknown[]).some((v) => typeof v === "string" && v.toLowerCase() === t.toLowerCase()));
      if (at < 0) continue;
      usedTokens.add(at);
      args[key] = (property.enum as string[]).find((v) => v.toLowerCase() === tokens[at]!.toLowerCase());
    } else if (property.type === "number" || property.type === "integer") {
      const index = numbers.findIndex((n) => property.type === "number" || Number.isInteger(n));
      if (index < 0) continue;
      args[key] = numbers.splice(index, 1)[0];
    }
  }
  return args;
}

type Wants = "time" | "date" | "both";

function timeQuestion(lower: string, text: string): { wants: Wants; timeZone: string | undefined } | undefined {
  const asksTime = /\bwhat\s+time\b|\b(?:the|current)\s+time\b|^time\b|\btime\s+is\s+it\b|\btime\s+(?:now|in)\b|\bclock\b/.test(lower);
  const asksDate =
    /\bdate\b|\bwhat\s+(?:day|month|year)\b|\b(?:today's|current)\s+day\b|^today\b|\bwhich\s+day\b|\bwhat'?s\s+today\b|\bwhat\s+is\s+today\b/.test(
      lower,
    );
  if (!asksTime && !asksDate) return undefined;
  return { wants: asksTime && asksDate ? "both" : asksDate ? "date" : "time", timeZone: namedTimeZone(text) };
}

/** An IANA zone the user named ("Europe/Paris", "America/Argentina/Buenos_Aires", "UTC"). */
function namedTimeZone(text: string): string | undefined {
  for (const m of text.matchAll(/\b([A-Za-z]+(?:\/[A-Za-z0-9_+-]+){1,2})\b/g)) {
    if (isTimeZone(m[1]!)) return canonicalZone(m[1]!);
  }
  if (/\b(?:UTC|GMT)\b/i.test(text)) return "UTC";
  return undefined;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone;
}

// --- answering from tool results ---------------------------------------------------

/** A failure a tool reported in its own result: `{"error": "..."}` or `{"ok": false, "message"}`. */
function failureMessage(value: unknown): string | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (v.ok === false) return typeof v.message === "string" ? v.message : "the tool failed";
  if (typeof v.error === "string" && v.error) return v.error;
  return undefined;
}

/** A failed call's message, with the first validation issue when the message does not say it already. */
function failureOf(message: string, issues: { message: string }[] | undefined): string {
  const issue = issues?.[0]?.message;
  return issue && !message.includes(issue) ? `${clauseOf(message)}: ${issue}` : message;
}

function clauseOf(text: string): string {
  return text.trim().replace(/[.\s]+$/, "");
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** The instant and zone in a get_time result, whatever its exact field names. */
function timeFromResult(value: unknown): { date: Date | undefined; timeZone: string | undefined } {
  if (typeof value === "string" && ISO.test(value)) return { date: new Date(value), timeZone: undefined };
  if (typeof value === "number") return { date: new Date(value), timeZone: undefined };
  if (!value || typeof value !== "object") return { date: undefined, timeZone: undefined };
  const v = value as Record<string, unknown>;
  let date: Date | undefined;
  for (const key of ["iso", "utc", "now", "datetime", "dateTime", "timestamp", "time"]) {
    const field = v[key];
    if (typeof field === "string" && ISO.test(field)) {
      date = new Date(field);
      break;
    }
    if (typeof field === "number" && key !== "time") {
      date = new Date(field);
      break;
    }
  }
  if (!date) {
    for (const field of Object.values(v)) {
      if (typeof field === "string" && ISO.test(field)) {
        date = new Date(field);
        break;
      }
    }
  }
  let timeZone: string | undefined;
  for (const key of ["timezone", "timeZone", "tz", "zone"]) {
    const field = v[key];
    if (typeof field === "string" && isTimeZone(field)) {
      timeZone = field;
      break;
    }
  }
  return { date: date && !Number.isNaN(date.getTime()) ? date : undefined, timeZone };
}

/** "It's 2:05 PM on Friday, May 1, 2026 (Europe/Paris)." and the time-only / date-only variants. */
export function describeTime(date: Date, timeZone: string | undefined, wants: Wants): string {
  const zone = timeZone && isTimeZone(timeZone) ? timeZone : undefined;
  const time = new Intl.DateTimeFormat("en-US", { hour: "numeric", minute: "2-digit", timeZone: zone }).format(date);
  const day = new Intl.DateTimeFormat("en-US", {
    weekday: "long",
    month: "long",
    day: "numeric",
    year: "numeric",
    timeZone: zone,
  }).format(date);
  const where = zone ? ` (${zone.replace(/_/g, " ")})` : "";
  if (wants === "time") return `It's ${time}${where}.`;
  if (wants === "date") return `Today is ${day}${where}.`;
  return `It's ${time} on ${day}${where}.`;
}

function formatResult(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const v = value as Record<string, unknown>;
    for (const key of ["result", "value", "answer", "text"]) {
      const field = v[key];
      if (typeof field === "number") return formatNumber(field);
      if (typeof field === "string") return field;
    }
  }
  return plain(value);
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  // 0.1 + 0.2 should be said as 0.3, not 0.30000000000000004.
  return String(Number(n.toPrecision(12)));
}

/** Memories asked of the recall tool (its most). */
const RECALL_LIMIT = 20;
/** At most this many things the user said are told back, each cut to QUOTE_CHARS: a recall answer stays a sentence. */
const MAX_QUOTES = 3;
const QUOTE_CHARS = 100;

/**
 * What the user told: the facts in a recall result, then the user's side of
 * the conversation turns in it, never the assistant's side (quoting earlier
 * answers, which quote earlier answers, made every answer longer than the
 * last). A turn's user side counts when it states something about the user
 * or asked to remember something, not when it was a question. At most
 * MAX_QUOTES, duplicates dropped. `found` is how many memories recall
 * returned, also when none of them is something to tell back, and also
 * when the tool message was cut short (MAX_TOOL_CONTENT_CHARS) and is no
 * longer JSON.
 */
function userFacts(value: unknown): { told: string[]; found: number } {
  const items = typeof value === "string" ? salvagedMemories(value) : memoryItems(value);
  const facts = items.filter((i) => i.kind !== "turn").map((i) => i.text);
  const said = items.filter((i) => i.kind === "turn").flatMap((i) => userStatement(i.text) ?? []);
  const told: string[] = [];
  const seen = new Set<string>();
  for (const text of [...facts, ...said]) {
    const quote = clip(text.trim().replace(/[.!\s]+$/, ""), QUOTE_CHARS);
    const key = quote.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
    if (key === "" || seen.has(key)) continue;
    seen.add(key);
    told.push(quote);
    if (told.length === MAX_QUOTES) break;
  }
  return { told, found: items.length };
}

interface RecalledItem {
  kind: string;
  text: string;
}

/** The memories in a recall result, whatever its exact shape (`{memories: [...]}`, `{hits: [{item}]}`, an array of texts). */
function memoryItems(value: unknown): RecalledItem[] {
  const items: RecalledItem[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 4 || items.length >= 20) return;
    if (typeof node === "string") {
      if (depth > 0) items.push({ kind: "fact", text: node });
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    if (!node || typeof node !== "object") return;
    const o = node as Record<string, unknown>;
    if (typeof o.text === "string") {
      items.push({ kind: typeof o.kind === "string" ? o.kind : "fact", text: o.text });
      return;
    }
    if (o.item && typeof o.item === "object") return visit(o.item, depth + 1);
    for (const key of ["hits", "memories", "items", "results", "facts"]) if (Array.isArray(o[key])) return visit(o[key], depth + 1);
  };
  visit(value, 0);
  return items;
}

/** The whole memories left in a recall result cut short: each flat `{...}` object that still parses. */
function salvagedMemories(content: string): RecalledItem[] {
  if (!/^\s*[[{]/.test(content)) return [];
  const items: RecalledItem[] = [];
  for (const match of content.matchAll(/\{[^{}]*\}/g)) {
    try {
      items.push(...memoryItems([JSON.parse(match[0]) as unknown]));
    } catch {
      // The object the cut went through.
    }
  }
  return items;
}

/**
 * The user's side of a stored turn (actors/memory/turn-text.ts:
 * "User: ...\nAssistant: ..." or "Assistant (interrupted): ..."), as a
 * statement to tell back, or undefined when it was a question or not about
 * the user ("what do you remember about lisbon", "roll a die").
 */
function userStatement(turn: string): string | undefined {
  const user = /^User: ([\s\S]*?)\n(?:Assistant(?: \(interrupted\))?): /.exec(turn)?.[1]?.trim();
  if (!user) return undefined;
  const asked = /^(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:remember|note)\s+(?:that\s+)?(.+)$/i.exec(user);
  if (asked) return asked[1];
  if (/\?\s*$/.test(user) || /^(?:what|who|when|where|why|how|which|do|does|did|can|could|would|will|is|are|was|were|should|tell|remind|say|give)\b/i.test(user)) return undefined;
  return /\b(?:i|i'm|i've|i'll|i'd|me|my|mine|myself)\b/i.test(user.replace(/’/g, "'")) ? user : undefined;
}

/** `text` cut at a word boundary to at most `max` characters, with "…" when cut. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[,;:\s]+$/, "")}…`;
}

function summarise(value: unknown): string {
  if (!value || typeof value !== "object") return plain(value);
  const v = value as Record<string, unknown>;
  const parts: string[] = [];
  // The system_info tool's known fields, said the way a person would.
  if (typeof v.version === "string") parts.push(`Coda version ${v.version}`);
  if (typeof v.uptime === "number") parts.push(`up for ${duration(v.uptime)}`);
  if (typeof v.memory === "number") parts.push(`using ${Math.round(v.memory / 1_048_576)} MB of memory`);
  if (typeof v.clients === "number") parts.push(`${v.clients} client${v.clients === 1 ? "" : "s"} connected`);
  if (v.engines && typeof v.engines === "object" && !Array.isArray(v.engines)) {
    const engines = Object.entries(v.engines as Record<string, unknown>)
      .filter(([, name]) => typeof name === "string")
      .map(([stage, name]) => `${stage} ${String(name)}`);
    if (engines.length > 0) parts.push(`engines: ${engines.join(", ")}`);
  }
  if (parts.length > 0) return parts.join("; ");
  for (const [key, field] of Object.entries(v)) {
    if (parts.length >= 6) break;
    if (typeof field === "string" || typeof field === "number" || typeof field === "boolean") parts.push(`${key.replace(/_/g, " ")} ${field}`);
  }
  return parts.length > 0 ? parts.join("; ") : "nothing to report";
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} seconds`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} minutes`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} hours`;
  return `${Math.round(seconds / 86_400)} days`;
}

function plain(value: unknown): string {
  if (typeof value === "string") return value;
  const text = JSON.stringify(value) ?? "nothing";
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** A custom tool's result as a person would say it: a number or text as it is, an object's plain fields as "value 212, unit F". */
function spokenResult(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (Array.isArray(value) && value.length > 0 && value.length <= 10 && value.every((v) => typeof v !== "object" || v === null)) return value.map(String).join(", ");
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const parts = Object.entries(value)
      .filter(([, field]) => typeof field === "string" || typeof field === "number" || typeof field === "boolean")
      .slice(0, 6)
      .map(([key, field]) => `${key.replace(/_/g, " ")} ${typeof field === "number" ? formatNumber(field) : String(field)}`);
    if (parts.length > 0) return parts.join(", ");
  }
  return plain(value);
}

/** Ensure exactly one closing full stop. */
function sentence(text: string): string {
  const t = text.trim().replace(/[.\s]+$/, "");
  return /[!?]$/.test(t) ? t : `${t}.`;
}

const SECOND_PERSON: Record<string, string> = {
  i: "you",
  "i'm": "you're",
  "i've": "you've",
  "i'll": "you'll",
  "i'd": "you'd",
  me: "you",
  my: "your",
  mine: "yours",
  myself: "yourself",
  am: "are",
};

/** "my sister is Ana" -> "your sister is Ana": what the user said, told back to them. */
export function toSecondPerson(text: string): string {
  if (text === RECALL_EVERYTHING) return "you";
  return text.replace(/\b(?:i'm|i've|i'll|i'd|i|me|my|mine|myself|am)\b/gi, (word, offset: number, whole: string) => {
    const lower = word.toLowerCase().replace(/’/g, "'");
    // "am" only changes after "I" ("I am" -> "you are"), not in "7 am".
    if (lower === "am" && !/\bi\s+$/i.test(whole.slice(0, offset))) return word;
    return SECOND_PERSON[lower] ?? word;
  });
}
