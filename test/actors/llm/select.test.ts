/**
 * Engine selection: `auto` against a local fake Ollama (models, no models,
 * not Ollama, silent) and a closed port; explicit engines; invalid settings.
 */
import { describe, expect, it } from "vitest";
import { EngineError, isAbortError } from "../../../actors/engine-error.js";
import { BuiltinResponder } from "../../../actors/llm/builtin.js";
import { OllamaEngine } from "../../../actors/llm/ollama.js";
import { OpenAiChatEngine } from "../../../actors/llm/openai.js";
import { selectLlmEngine } from "../../../actors/llm/select.js";
import { closedPort, useHttpServers, type HttpTestServer } from "../../helpers/http-server.js";
import { until } from "../../helpers/wait.js";

const serve = useHttpServers();
let server: HttpTestServer | undefined;

const signal = () => new AbortController().signal;

async function fakeOllama(models: string[]): Promise<HttpTestServer> {
  return serve((req, res) => {
    if (req.path !== "/api/tags") {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ models: models.map((name) => ({ name, model: name, size: 1, details: { family: "llama" } })) }));
  });
}

describe("selectLlmEngine auto", () => {
  it("uses Ollama with its first model when one answers", async () => {
    server = await fakeOllama(["qwen2.5:7b", "llama3.2:latest"]);
    const logged: string[] = [];
    const logger = { info: (m: string) => logged.push(m), warn: () => {}, error: () => {} };
    const { engine, description } = await selectLlmEngine({ ollamaUrl: server.url }, { signal: signal(), logger });
    expect(engine).toBeInstanceOf(OllamaEngine);
    expect(engine.model).toBe("qwen2.5:7b");
    expect((engine as OllamaEngine).baseUrl).toBe(server.url);
    expect(description).toBe(`LLM: Ollama model "qwen2.5:7b" at ${server.url} (auto: 2 models found)`);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/tags"]);
    expect(logged).toEqual(["llm engine selected"]);
  });

  it("uses the configured model when Ollama has it (with or without :latest)", async () => {
    server = await fakeOllama(["qwen2.5:7b", "llama3.2:latest"]);
    const { engine, description } = await selectLlmEngine({ ollamaUrl: server.url, model: "llama3.2" }, { signal: signal() });
    expect(engine.model).toBe("llama3.2:latest");
    expect(description).toBe(`LLM: Ollama model "llama3.2:latest" at ${server.url} (auto: 2 models found)`);
  });

  it("says so when the configured model is not installed and uses the first", async () => {
    server = await fakeOllama(["qwen2.5:7b"]);
    const { engine, description } = await selectLlmEngine({ ollamaUrl: server.url, model: "mistral" }, { signal: signal() });
    expect(engine.model).toBe("qwen2.5:7b");
    expect(description).toBe(
      `LLM: Ollama model "qwen2.5:7b" at ${server.url} (auto: 1 model found; configured model "mistral" is not installed, using the first)`,
    );
  });

  it("falls back to the built-in responder when Ollama has no models", async () => {
    server = await fakeOllama([]);
    const { engine, description } = await selectLlmEngine({ ollamaUrl: server.url }, { signal: signal() });
    expect(engine).toBeInstanceOf(BuiltinResponder);
    expect(description).toBe(
      `LLM: built-in rule-based responder (auto: Ollama at ${server.url} has no models; run \`ollama pull llama3.2\`)`,
    );
  });

  it("falls back to the built-in responder when nothing listens", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { engine, description } = await selectLlmEngine({ ollamaUrl: url }, { signal: signal() });
    expect(engine.name).toBe("builtin");
    expect(engine.model).toBe("builtin-responder");
    expect(description).toBe(
      `LLM: built-in rule-based responder (auto: no Ollama at ${url}, nothing answered; start Ollama and \`ollama pull llama3.2\`, or set CODA_LLM_ENGINE=openai)`,
    );
  });

  it("falls back when the address answers but is not Ollama", async () => {
    server = await serve((_req, res) => res.end("<html>router login</html>"));
    const { engine, description } = await selectLlmEngine({ ollamaUrl: server.url }, { signal: signal() });
    expect(engine.name).toBe("builtin");
    expect(description).toContain("what answered is not Ollama");
  });

  it("falls back when Ollama does not answer within the probe timeout", async () => {
    server = await serve(() => {});
    const { engine, description } = await selectLlmEngine({ ollamaUrl: server.url, probeTimeoutMs: 100 }, { signal: signal() });
    expect(engine.name).toBe("builtin");
    expect(description).toContain("no answer in time");
    await server.closed(0);
  });

  it("stops with an AbortError when aborted during the probe", async () => {
    server = await serve(() => {});
    const controller = new AbortController();
    const pending = selectLlmEngine({ ollamaUrl: server.url, probeTimeoutMs: 60_000 }, { signal: controller.signal });
    await until(() => server!.requests.length > 0, "the request");
    controller.abort();
    await expect(pending).rejects.toSatisfy(isAbortError);
    await server.closed(0);
  });
});

describe("selectLlmEngine explicit engines", () => {
  it("builtin never touches the network", async () => {
    const { engine, description } = await selectLlmEngine({ engine: "builtin", ollamaUrl: "http://127.0.0.1:1" }, { signal: signal() });
    expect(engine).toBeInstanceOf(BuiltinResponder);
    expect(description).toBe(
      "LLM: built-in rule-based responder (not a language model; for real conversation start Ollama with a model, `ollama pull llama3.2`, and set CODA_LLM_ENGINE=ollama, or set CODA_LLM_ENGINE=openai and CODA_OPENAI_BASE_URL to an OpenAI-compatible server such as llama.cpp, vLLM or LM Studio)",
    );
  });

  it("ollama with a model is built without probing", async () => {
    server = await fakeOllama(["x"]);
    const { engine, description } = await selectLlmEngine({ engine: "ollama", model: "llama3.2", ollamaUrl: server.url }, { signal: signal() });
    expect(engine).toBeInstanceOf(OllamaEngine);
    expect(description).toBe(`LLM: Ollama model "llama3.2" at ${server.url}`);
    expect(server.requests).toEqual([]);
  });

  it("ollama without a model takes the first installed one, and fails plainly when there is none", async () => {
    server = await fakeOllama(["phi3:mini"]);
    const { engine } = await selectLlmEngine({ engine: "ollama", ollamaUrl: server.url }, { signal: signal() });
    expect(engine.model).toBe("phi3:mini");
    await server.close();
    server = await fakeOllama([]);
    await expect(selectLlmEngine({ engine: "ollama", ollamaUrl: server.url }, { signal: signal() })).rejects.toEqual(
      new EngineError("model_not_found", `Ollama at ${server.url} has no models. Pull one with \`ollama pull llama3.2\` or set CODA_LLM_MODEL.`),
    );
  });

  it("ollama without a model on a closed port fails as unreachable (no silent fallback)", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(selectLlmEngine({ engine: "ollama", ollamaUrl: url }, { signal: signal() })).rejects.toMatchObject({
      code: "unreachable",
    });
  });

  it("openai with a model is built without network and never shows the key", async () => {
    const { engine, description } = await selectLlmEngine(
      { engine: "openai", model: "gpt-4o-mini", openaiBaseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-secret-key" },
      { signal: signal() },
    );
    expect(engine).toBeInstanceOf(OpenAiChatEngine);
    expect(description).toBe('LLM: OpenAI-compatible model "gpt-4o-mini" at http://127.0.0.1:9/v1 (with an API key)');
  });

  it("openai without a model takes the first listed by GET /models", async () => {
    server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "local-model", object: "model" }] }));
    });
    const { engine, description } = await selectLlmEngine({ engine: "openai", openaiBaseUrl: `${server.url}/v1` }, { signal: signal() });
    expect(engine.model).toBe("local-model");
    expect(description).toBe(`LLM: OpenAI-compatible model "local-model" at ${server.url}/v1 (first listed model, without an API key)`);
    expect(server.requests.map((r) => r.path)).toEqual(["/v1/models"]);
  });

  it("rejects an invalid setting with a TypeError naming it", async () => {
    await expect(selectLlmEngine({ engine: "gpt" as never }, { signal: signal() })).rejects.toThrow(/^Invalid LLM setting engine: /);
    await expect(selectLlmEngine({ ollamaUrl: "localhost:11434" }, { signal: signal() })).rejects.toThrow(
      /^Invalid LLM setting ollamaUrl: /,
    );
    await expect(selectLlmEngine({ temperature: 5 }, { signal: signal() })).rejects.toBeInstanceOf(TypeError);
  });
});
