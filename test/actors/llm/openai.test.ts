/**
 * OpenAiChatEngine against a local server speaking the chat-completions SSE
 * stream: request shape, content deltas, tool-call deltas split across
 * chunks, UTF-8 split across chunks, every failure code, and the API key
 * kept out of errors and logs.
 */
import { describe, expect, it } from "vitest";
import { isAbortError } from "../../../actors/engine-error.js";
import { OpenAiChatEngine } from "../../../actors/llm/openai.js";
import type { ToolSpec } from "../../../actors/llm/types.js";
import { closedPort, flushed, useHttpServers, type HttpTestServer } from "../../helpers/http-server.js";
import { settle } from "../../helpers/iterables.js";
import { abortAfterFirst, failure, request } from "./engine-checks.js";
import { until } from "../../helpers/wait.js";

const KEY = "sk-test-0123456789abcdef";

const sse = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const DONE = "data: [DONE]\n\n";
const delta = (d: Record<string, unknown>, finish: string | null = null) =>
  sse({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1746100000,
    model: "qwen2.5",
    choices: [{ index: 0, delta: d, finish_reason: finish }],
  });

const tools: ToolSpec[] = [
  { name: "get_time", description: "Current time", parameters: { type: "object", properties: {} } },
  { name: "calculate", description: "Arithmetic", parameters: { type: "object", properties: { expression: { type: "string" } } } },
];

const serve = useHttpServers();
let server: HttpTestServer | undefined;

function sseHead(res: import("node:http").ServerResponse) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
}

describe("OpenAiChatEngine streaming", () => {
  it("sends model, key, tools and mapped history, and streams content deltas to [DONE]", async () => {
    server = await serve(async (_req, res) => {
      sseHead(res);
      await flushed(res, delta({ role: "assistant", content: "" }));
      await flushed(res, ": keep-alive comment\n\n");
      await flushed(res, delta({ content: "Hel" }));
      await flushed(res, delta({ content: "lo." }));
      res.end(delta({}, "stop") + DONE);
    });
    const engine = new OpenAiChatEngine({
      baseUrl: `${server.url}/v1/`,
      model: "qwen2.5",
      apiKey: KEY,
      systemPrompt: "Be brief.",
      temperature: 0.2,
      maxTokens: 256,
    });
    const { items, error } = await settle(
      engine.generate({
        messages: [
          { role: "user", content: "12*7?" },
          { role: "assistant", content: "", toolCalls: [{ id: "call_9", name: "calculate", arguments: { expression: "12*7" } }] },
          { role: "tool", toolCallId: "call_9", name: "calculate", content: "84" },
        ],
        tools,
        signal: new AbortController().signal,
      }),
    );
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { kind: "delta", text: "Hel" },
      { kind: "delta", text: "lo." },
      { kind: "done", finishReason: "stop" },
    ]);
    const [sent] = server.requests;
    expect(sent!.method).toBe("POST");
    expect(sent!.path).toBe("/v1/chat/completions");
    expect(sent!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent!.body).toEqual({
      model: "qwen2.5",
      stream: true,
      temperature: 0.2,
      max_tokens: 256,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "12*7?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_9", type: "function", function: { name: "calculate", arguments: '{"expression":"12*7"}' } }],
        },
        { role: "tool", tool_call_id: "call_9", content: "84" },
      ],
      tools: tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } })),
    });
  });

  it("sends no Authorization header without a key", async () => {
    server = await serve((_req, res) => {
      sseHead(res);
      res.end(delta({ content: "x" }, "stop") + DONE);
    });
    await settle(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }).generate(request()));
    expect(server.requests[0]!.headers.authorization).toBeUndefined();
  });

  it("reassembles two tool calls whose deltas are split and interleaved across chunks", async () => {
    server = await serve(async (_req, res) => {
      sseHead(res);
      await flushed(res, delta({ role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "calc", arguments: "" } }] }));
      await flushed(res, delta({ tool_calls: [{ index: 0, function: { name: "ulate", arguments: '{"expr' } }] }));
      await flushed(res, delta({ tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "get_time", arguments: "" } }] }));
      await flushed(res, delta({ tool_calls: [{ index: 0, function: { arguments: 'ession": "(3+4)' } }] }));
      await flushed(res, delta({ tool_calls: [{ index: 1, function: { arguments: '{"timezone":"Europe/Paris"}' } }] }));
      await flushed(res, delta({ tool_calls: [{ index: 0, function: { arguments: '/2"}' } }] }));
      res.end(delta({}, "tool_calls") + DONE);
    });
    const { items, error } = await settle(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }).generate({ ...request(), tools }));
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { kind: "tool_call", call: { id: "call_a", name: "calculate", arguments: { expression: "(3+4)/2" } } },
      { kind: "tool_call", call: { id: "call_b", name: "get_time", arguments: { timezone: "Europe/Paris" } } },
      { kind: "done", finishReason: "tool_calls" },
    ]);
  });

  it("gives a tool call with unparsable arguments as the raw string, and an empty one as {}", async () => {
    server = await serve((_req, res) => {
      sseHead(res);
      res.end(
        delta({ tool_calls: [{ index: 0, id: "c0", function: { name: "calculate", arguments: '{"expression": 12 *' } }] }) +
          delta({ tool_calls: [{ index: 1, id: "c1", function: { name: "get_time" } }] }) +
          delta({}, "tool_calls") +
          DONE,
      );
    });
    const { items } = await settle(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }).generate({ ...request(), tools }));
    expect(items).toEqual([
      { kind: "tool_call", call: { id: "c0", name: "calculate", arguments: '{"expression": 12 *' } },
      { kind: "tool_call", call: { id: "c1", name: "get_time", arguments: {} } },
      { kind: "done", finishReason: "tool_calls" },
    ]);
  });

  it("keeps a multi-byte character whole when its bytes arrive in two chunks", async () => {
    const bytes = Buffer.from(delta({ content: "Żółw 🐢" }) + delta({}, "stop") + DONE, "utf8");
    const cut1 = bytes.indexOf(Buffer.from("ó")) + 1;
    const cut2 = bytes.indexOf(Buffer.from("🐢")) + 3;
    server = await serve(async (_req, res) => {
      sseHead(res);
      await flushed(res, bytes.subarray(0, cut1));
      await flushed(res, bytes.subarray(cut1, cut2));
      res.end(bytes.subarray(cut2));
    });
    const { items, error } = await settle(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }).generate(request()));
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { kind: "delta", text: "Żółw 🐢" },
      { kind: "done", finishReason: "stop" },
    ]);
  });

  it("accepts a stream that ends after finish_reason without [DONE], and maps length", async () => {
    server = await serve((_req, res) => {
      sseHead(res);
      res.end(delta({ content: "cut short" }, "length"));
    });
    const { items, error } = await settle(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }).generate(request()));
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { kind: "delta", text: "cut short" },
      { kind: "done", finishReason: "length" },
    ]);
  });
});

describe("OpenAiChatEngine failures", () => {
  it("maps a 404 naming the model to model_not_found", async () => {
    server = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "The model `nosuch` does not exist.", type: "invalid_request_error", code: "model_not_found" } }));
    });
    const { error } = await failure(new OpenAiChatEngine({ baseUrl: `${server.url}/v1`, model: "nosuch" }));
    expect(error.code).toBe("model_not_found");
    expect(error.message).toBe(
      `The OpenAI-compatible server at ${server.url}/v1 has no model "nosuch" (The model \`nosuch\` does not exist.). ` +
        `Set CODA_LLM_MODEL to one listed by GET ${server.url}/v1/models.`,
    );
  });

  it("maps a 404 for a wrong path to http_error with a base-URL hint", async () => {
    server = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not Found");
    });
    const { error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }));
    expect(error.code).toBe("http_error");
    expect(error.message).toBe(
      `The OpenAI-compatible server at ${server.url} answered HTTP 404: Not Found. ` +
        "Check that CODA_OPENAI_BASE_URL is the API root that holds /chat/completions (usually ending in /v1).",
    );
  });

  it("maps a 500 to http_error with the status and a body excerpt", async () => {
    server = await serve((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "CUDA out of memory", type: "server_error" } }));
    });
    const { error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }));
    expect(error.code).toBe("http_error");
    expect(error.message).toBe(`The OpenAI-compatible server at ${server.url} answered HTTP 500: CUDA out of memory.`);
  });

  it("never puts the API key in an error message or a log line, even when the server echoes it", async () => {
    server = await serve((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}.` } }));
    });
    const logged: string[] = [];
    const logger = {
      info: (m: string, f?: object) => logged.push(m + JSON.stringify(f ?? {})),
      warn: (m: string, f?: object) => logged.push(m + JSON.stringify(f ?? {})),
      error: (m: string, f?: object) => logged.push(m + JSON.stringify(f ?? {})),
    };
    const { error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m", apiKey: KEY, logger }));
    expect(error.code).toBe("http_error");
    expect(error.message).toBe(
      `The OpenAI-compatible server at ${server.url} answered HTTP 401: Incorrect API key provided: [redacted]. ` +
        "Check the API key (CODA_OPENAI_API_KEY or OPENAI_API_KEY).",
    );
    expect(logged).toEqual(['openai-compatible request failed{"status":401}']);
    expect(JSON.stringify(error) + String(error.stack) + logged.join("")).not.toContain(KEY);
  });

  it("does not quote the key when it is rejected at construction", () => {
    expect(() => new OpenAiChatEngine({ model: "m", apiKey: 42 as unknown as string })).toThrow(
      new TypeError("Invalid OpenAI-compatible option apiKey: must be a non-empty string"),
    );
  });

  it("maps a data line that is not JSON to malformed_stream, after the deltas before it", async () => {
    server = await serve((_req, res) => {
      sseHead(res);
      res.end(delta({ content: "ok" }) + "data: {not json\n\n" + DONE);
    });
    const { items, error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }));
    expect(items).toEqual([{ kind: "delta", text: "ok" }]);
    expect(error.code).toBe("malformed_stream");
    expect(error.message).toContain("(event 2: {not json)");
  });

  it("maps an error event mid-stream to engine_error", async () => {
    server = await serve((_req, res) => {
      sseHead(res);
      res.end(delta({ content: "par" }) + sse({ error: { message: "context length exceeded", code: 400 } }));
    });
    const { items, error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }));
    expect(items).toEqual([{ kind: "delta", text: "par" }]);
    expect(error.code).toBe("engine_error");
    expect(error.message).toBe("The OpenAI-compatible server reported an error mid-answer: context length exceeded");
  });

  it("maps a connection reset mid-stream to stream_cut, keeping the deltas that arrived", async () => {
    server = await serve(async (req, res) => {
      sseHead(res);
      await flushed(res, delta({ content: "Half an " }));
      req.socket.destroy();
    });
    const { items, error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }));
    expect(items).toEqual([{ kind: "delta", text: "Half an " }]);
    expect(error.code).toBe("stream_cut");
    expect(error.message).toMatch(/^The connection to The OpenAI-compatible server at http:\/\/127\.0\.0\.1:\d+ was cut mid-answer/);
  });

  it("maps a stream that ends without finish_reason or [DONE] to stream_cut", async () => {
    server = await serve((_req, res) => {
      sseHead(res);
      res.end(delta({ content: "Half" }));
    });
    const { items, error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }));
    expect(items).toEqual([{ kind: "delta", text: "Half" }]);
    expect(error.code).toBe("stream_cut");
  });

  it("maps a server slower than the deadline to timeout and closes the connection", async () => {
    server = await serve(async (_req, res) => {
      sseHead(res);
      await flushed(res, delta({ content: "slow" }));
    });
    const { items, error } = await failure(new OpenAiChatEngine({ baseUrl: server.url, model: "m", deadlineMs: 150 }));
    expect(items).toEqual([{ kind: "delta", text: "slow" }]);
    expect(error.code).toBe("timeout");
    expect(error.message).toBe(
      `The OpenAI-compatible server at ${server.url} did not finish within 150 ms (the answer was still streaming); raise the deadline or use a smaller model.`,
    );
    await server.closed(0);
  });

  it("stops on abort with an AbortError, and the server sees the connection close", async () => {
    server = await serve(async (_req, res) => {
      sseHead(res);
      await flushed(res, delta({ content: "first" }));
    });
    const { seen, caught } = await abortAfterFirst(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }));
    expect(seen).toEqual([{ kind: "delta", text: "first" }]);
    expect(isAbortError(caught)).toBe(true);
    await server.closed(0);
  });

  it("aborts while waiting for the response head", async () => {
    server = await serve(() => {});
    const controller = new AbortController();
    const pending = settle(new OpenAiChatEngine({ baseUrl: server.url, model: "m" }).generate(request(controller.signal)));
    // Abort once the server has the request, so the abort hits the in-flight fetch.
    await until(() => server!.requests.length > 0, "the request");
    controller.abort();
    const { items, error } = await pending;
    expect(items).toEqual([]);
    expect(isAbortError(error)).toBe(true);
    await server.closed(0);
  });

  it("maps connection refused to unreachable with the URL and how to start a server", async () => {
    const port = await closedPort();
    const { error } = await failure(new OpenAiChatEngine({ baseUrl: `http://127.0.0.1:${port}/v1`, model: "m", apiKey: KEY }));
    expect(error.code).toBe("unreachable");
    expect(error.message).toBe(
      `The OpenAI-compatible server at http://127.0.0.1:${port}/v1/chat/completions is unreachable (ECONNREFUSED). ` +
        "Start the server (for example `llama-server -m model.gguf --port 8080`) or set CODA_OPENAI_BASE_URL to its /v1 address.",
    );
  });
});

describe("OpenAiChatEngine.listModels", () => {
  it("lists model ids from GET /models with the key", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "qwen2.5-7b", object: "model" }, { id: "llama-3.1-8b", object: "model" }] }));
    });
    const engine = new OpenAiChatEngine({ baseUrl: `${server.url}/v1`, model: "m", apiKey: KEY });
    expect(await engine.listModels({ signal: new AbortController().signal })).toEqual(["qwen2.5-7b", "llama-3.1-8b"]);
    expect(server.requests.map((r) => `${r.method} ${r.path} ${r.headers.authorization}`)).toEqual([`GET /v1/models Bearer ${KEY}`]);
  });
});
