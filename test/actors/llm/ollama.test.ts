/**
 * OllamaEngine against a local server speaking Ollama's /api/chat NDJSON
 * stream and /api/tags: request shape, streaming, tool calls, UTF-8 split
 * across chunks, and every failure code.
 */
import { describe, expect, it } from "vitest";
import { isAbortError } from "../../../actors/engine-error.js";
import { listOllamaModels, OllamaEngine } from "../../../actors/llm/ollama.js";
import type { ToolSpec } from "../../../actors/llm/types.js";
import { closedPort, flushed, useHttpServers, type HttpTestServer } from "../../helpers/http-server.js";
import { settle } from "../../helpers/iterables.js";
import { abortAfterFirst, failure, request } from "./engine-checks.js";

const line = (o: unknown) => `${JSON.stringify(o)}\n`;
const chunk = (content: string) =>
  line({ model: "llama3.2", created_at: "2026-05-01T12:00:00Z", message: { role: "assistant", content }, done: false });
const doneLine = (reason = "stop") =>
  line({ model: "llama3.2", created_at: "2026-05-01T12:00:01Z", message: { role: "assistant", content: "" }, done: true, done_reason: reason, total_duration: 1 });

const timeTool: ToolSpec = {
  name: "get_time",
  description: "Current time",
  parameters: { type: "object", properties: { timezone: { type: "string" } } },
};

const serve = useHttpServers();
let server: HttpTestServer | undefined;

describe("OllamaEngine streaming", () => {
  it("sends model, options, system prompt, tools and mapped history, and streams deltas to done", async () => {
    server = await serve(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      await flushed(res, chunk("Hel"));
      await flushed(res, chunk("lo."));
      res.end(doneLine());
    });
    const engine = new OllamaEngine({
      baseUrl: `${server.url}/`,
      model: "llama3.2",
      systemPrompt: "Be brief.",
      temperature: 0.3,
      numCtx: 8192,
      keepAlive: "10m",
    });
    const { items, error } = await settle(
      engine.generate({
        messages: [
          { role: "user", content: "time?" },
          { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "get_time", arguments: { timezone: "UTC" } }] },
          { role: "tool", toolCallId: "c1", name: "get_time", content: '{"iso":"2026-05-01T12:00:00Z"}' },
        ],
        tools: [timeTool],
        signal: new AbortController().signal,
      }),
    );
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { kind: "delta", text: "Hel" },
      { kind: "delta", text: "lo." },
      { kind: "done", finishReason: "stop" },
    ]);
    expect(server.requests).toHaveLength(1);
    const [sent] = server.requests;
    expect(sent!.method).toBe("POST");
    expect(sent!.path).toBe("/api/chat");
    expect(sent!.body).toEqual({
      model: "llama3.2",
      stream: true,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "time?" },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "get_time", arguments: { timezone: "UTC" } } }] },
        { role: "tool", content: '{"iso":"2026-05-01T12:00:00Z"}', tool_name: "get_time" },
      ],
      tools: [{ type: "function", function: { name: "get_time", description: "Current time", parameters: timeTool.parameters } }],
      options: { temperature: 0.3, num_ctx: 8192 },
      keep_alive: "10m",
    });
  });

  it("keeps a multi-byte character whole when its bytes arrive in two chunks", async () => {
    const bytes = Buffer.from(chunk("Grüße 🙂") + doneLine(), "utf8");
    const umlaut = bytes.indexOf(Buffer.from("ü")) + 1; // between the two bytes of ü
    const emoji = bytes.indexOf(Buffer.from("🙂")) + 2; // inside the four bytes of 🙂
    server = await serve(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      await flushed(res, bytes.subarray(0, umlaut));
      await flushed(res, bytes.subarray(umlaut, emoji));
      res.end(bytes.subarray(emoji));
    });
    const engine = new OllamaEngine({ baseUrl: server.url, model: "llama3.2" });
    const { items, error } = await settle(engine.generate(request()));
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { kind: "delta", text: "Grüße 🙂" },
      { kind: "done", finishReason: "stop" },
    ]);
  });

  it("yields native tool calls with parsed arguments and finishes with tool_calls", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write(
        line({
          model: "llama3.2",
          message: {
            role: "assistant",
            content: "",
            tool_calls: [
              { function: { name: "get_time", arguments: { timezone: "Europe/Paris" } } },
              { function: { name: "calculate", arguments: { expression: "12 * 7" } } },
            ],
          },
          done: false,
        }),
      );
      res.end(doneLine());
    });
    const engine = new OllamaEngine({ baseUrl: server.url, model: "llama3.2" });
    const { items, error } = await settle(engine.generate({ ...request(), tools: [timeTool] }));
    expect(error).toBeUndefined();
    expect(items).toEqual([
      { kind: "tool_call", call: { id: "ollama_call_1", name: "get_time", arguments: { timezone: "Europe/Paris" } } },
      { kind: "tool_call", call: { id: "ollama_call_2", name: "calculate", arguments: { expression: "12 * 7" } } },
      { kind: "done", finishReason: "tool_calls" },
    ]);
  });

  it("reports done_reason length as finishReason length", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200);
      res.end(chunk("Long") + doneLine("length"));
    });
    const engine = new OllamaEngine({ baseUrl: server.url, model: "llama3.2" });
    const { items } = await settle(engine.generate(request()));
    expect(items.at(-1)).toEqual({ kind: "done", finishReason: "length" });
  });

  it("closes the connection when the consumer stops reading early", async () => {
    server = await serve(async (_req, res) => {
      res.writeHead(200);
      await flushed(res, chunk("one"));
      // never ends: only the client can close this
    });
    const engine = new OllamaEngine({ baseUrl: server.url, model: "llama3.2" });
    for await (const c of engine.generate(request())) {
      expect(c).toEqual({ kind: "delta", text: "one" });
      break;
    }
    await server.closed(0);
  });
});

describe("OllamaEngine failures", () => {
  it("maps a 404 for an unknown model to model_not_found with the pull command", async () => {
    server = await serve((_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: 'model "nosuch" not found, try pulling it first' }));
    });
    const { items, error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "nosuch" }));
    expect(items).toEqual([]);
    expect(error.code).toBe("model_not_found");
    expect(error.message).toBe(
      `Ollama at ${server.url} has no model "nosuch" (model "nosuch" not found, try pulling it first). ` +
        "Pull it with `ollama pull nosuch` or set CODA_LLM_MODEL to a model from `ollama list`.",
    );
  });

  it("maps a 500 to http_error with the status and a body excerpt", async () => {
    server = await serve((_req, res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "llama runner process has terminated: signal: killed" }));
    });
    const { error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "llama3.2" }));
    expect(error.code).toBe("http_error");
    expect(error.message).toBe(`Ollama at ${server.url} answered HTTP 500: llama runner process has terminated: signal: killed.`);
  });

  it("maps a line that is not JSON to malformed_stream, after the deltas before it", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200);
      res.end(chunk("ok") + "<html>proxy error</html>\n" + doneLine());
    });
    const { items, error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "llama3.2" }));
    expect(items).toEqual([{ kind: "delta", text: "ok" }]);
    expect(error.code).toBe("malformed_stream");
    expect(error.message).toContain("line 2: <html>proxy error</html>");
  });

  it("maps an error line mid-stream to engine_error", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200);
      res.end(chunk("par") + line({ error: "out of memory" }));
    });
    const { items, error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "llama3.2" }));
    expect(items).toEqual([{ kind: "delta", text: "par" }]);
    expect(error.code).toBe("engine_error");
    expect(error.message).toBe("Ollama reported an error mid-answer: out of memory");
  });

  it("maps a connection reset mid-stream to stream_cut, keeping the deltas that arrived", async () => {
    server = await serve(async (req, res) => {
      res.writeHead(200);
      await flushed(res, chunk("Half an "));
      req.socket.destroy();
    });
    const { items, error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "llama3.2" }));
    expect(items).toEqual([{ kind: "delta", text: "Half an " }]);
    expect(error.code).toBe("stream_cut");
    expect(error.message).toMatch(/^The connection to Ollama at http:\/\/127\.0\.0\.1:\d+ was cut mid-answer/);
  });

  it("maps a stream that ends without done to stream_cut", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200);
      res.end(chunk("Half"));
    });
    const { items, error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "llama3.2" }));
    expect(items).toEqual([{ kind: "delta", text: "Half" }]);
    expect(error.code).toBe("stream_cut");
    expect(error.message).toBe(
      `Ollama at ${server.url} ended the answer without its final "done" line; the server may have crashed or restarted.`,
    );
  });

  it("maps a server slower than the deadline to timeout and closes the connection", async () => {
    server = await serve(async (_req, res) => {
      res.writeHead(200);
      await flushed(res, chunk("slow"));
      // then nothing more
    });
    const { items, error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "llama3.2", deadlineMs: 150 }));
    expect(items).toEqual([{ kind: "delta", text: "slow" }]);
    expect(error.code).toBe("timeout");
    expect(error.message).toBe(
      `Ollama at ${server.url} did not finish within 150 ms (the answer was still streaming); raise the deadline or use a smaller model.`,
    );
    await server.closed(0);
  });

  it("times out before the response head arrives", async () => {
    server = await serve(() => {
      // never answers
    });
    const { error } = await failure(new OllamaEngine({ baseUrl: server.url, model: "llama3.2", deadlineMs: 100 }));
    expect(error.code).toBe("timeout");
    expect(error.message).toContain("(no response yet)");
    await server.closed(0);
  });

  it("stops on abort with an AbortError, and the server sees the connection close", async () => {
    server = await serve(async (_req, res) => {
      res.writeHead(200);
      await flushed(res, chunk("first"));
    });
    const { seen, caught } = await abortAfterFirst(new OllamaEngine({ baseUrl: server.url, model: "llama3.2" }));
    expect(seen).toEqual([{ kind: "delta", text: "first" }]);
    expect(isAbortError(caught)).toBe(true);
    await server.closed(0);
  });

  it("throws AbortError without a request when the signal is already aborted", async () => {
    server = await serve((_req, res) => res.end());
    const controller = new AbortController();
    controller.abort();
    const { error } = await settle(new OllamaEngine({ baseUrl: server.url, model: "llama3.2" }).generate(request(controller.signal)));
    expect(isAbortError(error)).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it("maps connection refused to unreachable with the URL and how to start Ollama", async () => {
    const port = await closedPort();
    const { error } = await failure(new OllamaEngine({ baseUrl: `http://127.0.0.1:${port}`, model: "llama3.2" }));
    expect(error.code).toBe("unreachable");
    expect(error.message).toBe(
      `Ollama at http://127.0.0.1:${port}/api/chat is unreachable (ECONNREFUSED). ` +
        "Start it with `ollama serve` (https://ollama.com), or set CODA_OLLAMA_URL to where it listens.",
    );
  });

  it("rejects invalid options with one TypeError naming the option", () => {
    expect(() => new OllamaEngine({ model: "" })).toThrow(new TypeError("Invalid Ollama option model: Too small: expected string to have >=1 characters"));
    expect(() => new OllamaEngine({ model: "m", baseUrl: "ftp://x" })).toThrow(TypeError);
    expect(() => new OllamaEngine({ model: "m", temperature: -1 })).toThrow(/option temperature/);
  });
});

describe("listOllamaModels", () => {
  it("lists model names from GET /api/tags", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ models: [{ name: "llama3.2:latest", model: "llama3.2:latest", size: 1 }, { name: "qwen2.5:7b" }] }));
    });
    const engine = new OllamaEngine({ baseUrl: server.url, model: "x" });
    expect(await engine.listModels({ signal: new AbortController().signal })).toEqual(["llama3.2:latest", "qwen2.5:7b"]);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/tags"]);
  });

  it("says malformed_stream when the address answers but is not Ollama", async () => {
    server = await serve((_req, res) => res.end("<html>hello</html>"));
    await expect(listOllamaModels(server.url, { signal: new AbortController().signal })).rejects.toMatchObject({
      code: "malformed_stream",
    });
  });

  it("times out on a server that does not answer", async () => {
    server = await serve(() => {});
    await expect(listOllamaModels(server.url, { signal: new AbortController().signal, timeoutMs: 100 })).rejects.toMatchObject({
      code: "timeout",
    });
  });
});
