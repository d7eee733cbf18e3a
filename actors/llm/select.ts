/**
 * Choosing the language-model engine from configuration. `auto` (the
 * default) uses Ollama when one answers at its address with at least one
 * model, and the built-in responder otherwise. The result carries a
 * one-line description of the choice for the start-up line.
 */
import { z } from "zod";
import { EngineError, isAbortError } from "../engine-error.js";
import { BuiltinResponder } from "./builtin.js";
import { abortError } from "../http.js";
import type { Logger } from "../logger.js";
import { listOllamaModels, OLLAMA_DEFAULT_BASE_URL, OllamaEngine } from "./ollama.js";
import { OPENAI_DEFAULT_BASE_URL, OpenAiChatEngine } from "./openai.js";
import type { LlmEngine } from "./types.js";
import { HttpUrl } from "../http.js";


/** Default bound on the Ollama probe of `auto` (ms): long enough for a busy local server, short enough for start-up. */
export const LLM_PROBE_TIMEOUT_MS = 1500;

/** A model worth pulling, named in hints. */
const SUGGESTED_OLLAMA_MODEL = "llama3.2";

/**
 * Language-model settings. Proposed environment variables are in
 * docs/engines-llm.md (CODA_LLM_ENGINE, CODA_LLM_MODEL, CODA_OLLAMA_URL, ...).
 */
export const LlmConfigSchema = z.object({
  /** Which engine answers: auto (Ollama if available, else builtin), ollama, openai, builtin. */
  engine: z.enum(["auto", "ollama", "openai", "builtin"]).default("auto"),
  /** Model name; for Ollama/auto the first installed model when omitted, for openai the first of GET /models. */
  model: z.string().min(1).optional(),
  /** System prompt sent first in every request (HTTP engines). */
  systemPrompt: z.string().optional(),
  /** Sampling temperature (HTTP engines). */
  temperature: z.number().min(0).max(2).optional(),
  /** Deadline for one reply in ms, 0 for none (HTTP engines; default 120000). */
  deadlineMs: z.number().int().min(0).optional(),
  /** Ollama address. */
  ollamaUrl: HttpUrl.default(OLLAMA_DEFAULT_BASE_URL),
  /** Ollama context length (num_ctx). */
  numCtx: z.number().int().positive().optional(),
  /** Ollama keep_alive ("5m", "-1", or seconds). */
  keepAlive: z.union([z.string().min(1), z.number()]).optional(),
  /** OpenAI-compatible API root (ends in /v1 for most servers). */
  openaiBaseUrl: HttpUrl.default(OPENAI_DEFAULT_BASE_URL),
  /** Bearer key for the OpenAI-compatible server (from CODA_OPENAI_API_KEY or OPENAI_API_KEY). */
  apiKey: z.string().min(1).optional(),
  /** max_tokens for the OpenAI-compatible server. */
  maxTokens: z.number().int().positive().optional(),
  /** Bound on the Ollama probe of `auto` and on model listing (ms). */
  probeTimeoutMs: z.number().int().positive().default(LLM_PROBE_TIMEOUT_MS),
  /** Pause between the built-in responder's streamed words (ms). */
  builtinDelayMs: z.number().int().min(0).default(0),
});
export type LlmConfig = z.output<typeof LlmConfigSchema>;
export type LlmConfigInput = z.input<typeof LlmConfigSchema>;

/** The chosen engine and the line the CLI prints about it. */
export interface LlmSelection {
  engine: LlmEngine;
  /** One line, e.g. `LLM: Ollama model "llama3.2:latest" at http://127.0.0.1:11434 (auto: 3 models found)`. */
  description: string;
}

/** Ollama names `llama3.2` and `llama3.2:latest` are the same model. */
function sameOllamaModel(installed: string, wanted: string): boolean {
  return installed === wanted || installed === `${wanted}:latest` || `${installed}:latest` === wanted;
}

/** Why auto did not pick Ollama, in a few words. */
function probeFailure(err: unknown): string {
  if (err instanceof EngineError) {
    switch (err.code) {
      case "unreachable":
        return "nothing answered";
      case "timeout":
        return "no answer in time";
      case "http_error":
        return "it answered with an HTTP error";
      case "malformed_stream":
        return "what answered is not Ollama";
    }
  }
  return "the probe failed";
}

/**
 * Build the engine the configuration asks for.
 *
 * @throws TypeError when the configuration is invalid (the message names the setting);
 *   EngineError when an explicitly chosen server cannot provide a model (`ollama` or
 *   `openai` without a model and no model listed); AbortError when `signal` fires.
 *   `auto` never throws EngineError: it falls back to the built-in responder.
 * @example
 * const { engine, description } = await selectLlmEngine({ engine: "auto" }, { signal });
 * process.stderr.write(description + "\n");
 */
export async function selectLlmEngine(
  input: LlmConfigInput,
  { signal, logger }: { signal: AbortSignal; logger?: Logger },
): Promise<LlmSelection> {
  const parsed = LlmConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") || "(llm)";
    throw new TypeError(`Invalid LLM setting ${path}: ${path === "apiKey" ? "must be a non-empty string" : (issue?.message ?? "invalid")}`);
  }
  const config = parsed.data;
  if (signal.aborted) throw abortError(signal);

  const ollama = (model: string) =>
    new OllamaEngine({
      baseUrl: config.ollamaUrl,
      model,
      systemPrompt: config.systemPrompt,
      temperature: config.temperature,
      numCtx: config.numCtx,
      keepAlive: config.keepAlive,
      deadlineMs: config.deadlineMs,
      logger,
    });
  const builtin = () => new BuiltinResponder({ delayMs: config.builtinDelayMs });
  const ollamaUrl = config.ollamaUrl.replace(/\/+$/, "");

  const chosen = (selection: LlmSelection): LlmSelection => {
    logger?.info("llm engine selected", { engine: selection.engine.name, model: selection.engine.model, requested: config.engine });
    return selection;
  };

  switch (config.engine) {
    case "builtin":
      return chosen({
        engine: builtin(),
        // The set-up advice lives here (and in docs/engines-llm.md), not in what the responder says aloud.
        description:
          "LLM: built-in rule-based responder (not a language model; for real conversation start Ollama with a model, " +
          `\`ollama pull ${SUGGESTED_OLLAMA_MODEL}\`, and set CODA_LLM_ENGINE=ollama, or set CODA_LLM_ENGINE=openai and CODA_OPENAI_BASE_URL to an OpenAI-compatible server such as llama.cpp, vLLM or LM Studio)`,
      });

    case "ollama": {
      if (config.model) {
        return chosen({ engine: ollama(config.model), description: `LLM: Ollama model "${config.model}" at ${ollamaUrl}` });
      }
      const models = await listOllamaModels(ollamaUrl, { signal, timeoutMs: config.probeTimeoutMs });
      const first = models[0];
      if (!first) {
        throw new EngineError(
          "model_not_found",
          `Ollama at ${ollamaUrl} has no models. Pull one with \`ollama pull ${SUGGESTED_OLLAMA_MODEL}\` or set CODA_LLM_MODEL.`,
        );
      }
      return chosen({ engine: ollama(first), description: `LLM: Ollama model "${first}" at ${ollamaUrl} (first installed model)` });
    }

    case "openai": {
      const make = (model: string) =>
        new OpenAiChatEngine({
          baseUrl: config.openaiBaseUrl,
          model,
          apiKey: config.apiKey,
          systemPrompt: config.systemPrompt,
          temperature: config.temperature,
          maxTokens: config.maxTokens,
          deadlineMs: config.deadlineMs,
          logger,
        });
      const keyNote = config.apiKey ? "with an API key" : "without an API key";
      if (config.model) {
        const engine = make(config.model);
        return chosen({ engine, description: `LLM: OpenAI-compatible model "${config.model}" at ${engine.baseUrl} (${keyNote})` });
      }
      // A placeholder model only to ask the server what it serves.
      const models = await make("unknown").listModels({ signal, timeoutMs: config.probeTimeoutMs });
      const first = models[0];
      if (!first) {
        throw new EngineError(
          "model_not_found",
          `The OpenAI-compatible server at ${config.openaiBaseUrl} lists no models; set CODA_LLM_MODEL to the model it serves.`,
        );
      }
      const engine = make(first);
      return chosen({
        engine,
        description: `LLM: OpenAI-compatible model "${first}" at ${engine.baseUrl} (first listed model, ${keyNote})`,
      });
    }

    case "auto": {
      let models: string[];
      try {
        models = await listOllamaModels(ollamaUrl, { signal, timeoutMs: config.probeTimeoutMs });
      } catch (err) {
        if (signal.aborted || isAbortError(err)) throw signal.aborted ? abortError(signal) : err;
        logger?.info("no ollama for auto llm selection", { url: ollamaUrl, code: err instanceof EngineError ? err.code : "error" });
        return chosen({
          engine: builtin(),
          description:
            `LLM: built-in rule-based responder (auto: no Ollama at ${ollamaUrl}, ${probeFailure(err)}; ` +
            `start Ollama and \`ollama pull ${SUGGESTED_OLLAMA_MODEL}\`, or set CODA_LLM_ENGINE=openai)`,
        });
      }
      if (models.length === 0) {
        return chosen({
          engine: builtin(),
          description: `LLM: built-in rule-based responder (auto: Ollama at ${ollamaUrl} has no models; run \`ollama pull ${SUGGESTED_OLLAMA_MODEL}\`)`,
        });
      }
      const wanted = config.model;
      const match = wanted ? models.find((m) => sameOllamaModel(m, wanted)) : undefined;
      const model = match ?? models[0]!;
      const count = `${models.length} model${models.length === 1 ? "" : "s"} found`;
      const note = wanted && !match ? `; configured model "${wanted}" is not installed, using the first` : "";
      return chosen({ engine: ollama(model), description: `LLM: Ollama model "${model}" at ${ollamaUrl} (auto: ${count}${note})` });
    }
  }
}
