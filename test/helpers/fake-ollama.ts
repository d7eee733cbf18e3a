/**
 * A local model server speaking Ollama's wire format, for tests of the
 * composition root and the packed package: GET /api/tags lists one model;
 * POST /api/chat streams NDJSON (`{model, created_at, message, done}` lines,
 * then a `done: true` line with `done_reason` and the timing fields). It
 * behaves like a tool-calling model: when the request offers the tool it is
 * told to use and the conversation holds no result of it yet, it answers
 * with a `tool_calls` message; once a `role: "tool"` message is there it
 * answers in words built from that result. Every request body is recorded.
 */
import { startHttpServer } from "./http-server.js";

export interface FakeOllamaOptions {
  /** Model name listed by /api/tags. */
  model?: string;
  /** Tool the "model" calls when offered, and its arguments (an object, as Ollama sends them); a function picks it from the last user message (null: no call). */
  call?: ToolCallSpec | ((userText: string) => ToolCallSpec | null);
  /** The final answer, given the content of the tool message (or null when no tool ran). */
  answer?: (toolContent: string | null) => string;
  /** Never answer /api/chat (for deadline tests); the connection stays open until the server closes. */
  hang?: boolean;
}

export interface ToolCallSpec {
  name: string;
  arguments: Record<string, unknown>;
}

export interface ChatBody {
  model: string;
  messages: { role: string; content: string; tool_calls?: unknown[]; tool_name?: string }[];
  tools?: { type: string; function: { name: string; description: string; parameters: Record<string, unknown> } }[];
  stream?: boolean;
  [key: string]: unknown;
}

export interface FakeOllama {
  url: string;
  /** Bodies of POST /api/chat, in order. */
  chats: ChatBody[];
  close(): Promise<void>;
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const model = options.model ?? "coda-test:latest";
  const answer = options.answer ?? ((content) => (content === null ? "Hello there." : `The tool said ${content}.`));
  const chats: ChatBody[] = [];
  const line = (message: Record<string, unknown>, done: boolean, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ model, created_at: new Date().toISOString(), message: { role: "assistant", content: "", ...message }, done, ...extra }) + "\n";

  const server = await startHttpServer((req, res) => {
    if (req.method === "GET" && req.path === "/api/tags") {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ models: [{ name: model, model, modified_at: "2026-11-01T00:00:00Z", size: 1, digest: "0".repeat(64), details: { format: "gguf", family: "test" } }] }));
      return;
    }
    if (req.method !== "POST" || req.path !== "/api/chat") {
      res.writeHead(404, { "content-type": "text/plain" }).end("404 page not found");
      return;
    }
    const body = req.body as ChatBody;
    chats.push(body);
    if (options.hang) {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      return;
    }
    const lastUser = body.messages.map((m) => m.role).lastIndexOf("user");
    const toolMessage = body.messages.slice(lastUser + 1).find((m) => m.role === "tool");
    const call = typeof options.call === "function" ? options.call(body.messages[lastUser]?.content ?? "") : options.call;
    const offered = call && body.tools?.some((t) => t.function.name === call.name);
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    if (call && offered && !toolMessage) {
      res.write(line({ tool_calls: [{ function: { name: call.name, arguments: call.arguments } }] }, false));
    } else {
      for (const word of answer(toolMessage?.content ?? null).split(/(?<= )/)) res.write(line({ content: word }, false));
    }
    res.end(line({}, true, { done_reason: "stop", total_duration: 1000, load_duration: 10, prompt_eval_count: 10, eval_count: 5 }));
  });
  return { url: server.url, chats, close: () => server.close() };
}
