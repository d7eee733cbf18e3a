/**
 * What the speech engines (actors/tts, actors/stt) say when an HTTP request
 * fails, on top of the plumbing every engine shares (actors/http.ts): the
 * speech wording of fetch failures (`unreachable`, `timeout`,
 * `engine_error`) and the mapping of a non-2xx answer to `model_not_found`
 * or `http_error`, with FastAPI's `detail` read from the error body.
 */
import { EngineError } from "./engine-error.js";
import { errorMessageOf, excerpt, fetchFailure, readErrorBody, type Deadline, type ServiceInfo } from "./http.js";


/** Describes the service in error messages: "speech server at http://127.0.0.1:8880/v1", and its deadline. */
export interface SpeechServiceInfo extends ServiceInfo {
  timeoutMs: number;
}

/**
 * Map a failed fetch (or a failed read of its body) to the error to throw:
 * the caller's AbortError, EngineError `timeout`, `unreachable`, or
 * `engine_error` for anything else. A late abort or deadline wins over an
 * EngineError thrown while the request was on its way.
 */
export function speechFetchFailure(err: unknown, caller: AbortSignal, deadline: Deadline, info: SpeechServiceInfo): Error {
  return fetchFailure(err, {
    caller,
    deadline,
    describe: (fault) => {
      if (fault.kind === "timeout") {
        return new EngineError("timeout", `The ${info.service} at ${info.baseUrl} did not answer within ${info.timeoutMs} ms.`, { cause: err });
      }
      if (fault.unreachable) {
        return new EngineError(
          "unreachable",
          `Cannot reach the ${info.service} at ${info.baseUrl} (${fault.code}). Is it running, and is the URL right?`,
          { cause: err },
        );
      }
      if (fault.aborted) return new EngineError("engine_error", `The request to the ${info.service} was aborted.`, { cause: err });
      const detail = err instanceof Error ? err.message : String(err);
      return new EngineError("engine_error", `The request to the ${info.service} at ${info.baseUrl} failed: ${detail}`, { cause: err });
    },
  });
}

/**
 * Turn a non-2xx response into EngineError: `model_not_found` for a 404
 * whose body names the model (OpenAI's `model_not_found` code, or a message
 * mentioning the model), `http_error` (with the status) otherwise.
 */
export async function httpFailure(response: Response, info: SpeechServiceInfo, model: string): Promise<EngineError> {
  const body = await readErrorBody(response);
  const message = excerpt(errorMessageOf(body, { fields: ["error", "detail", "message"], quoteNonString: true }) ?? body, [], "...");
  if (response.status === 404 && (/model_not_found/.test(body) || (model !== "" && body.includes(model)) || /\bmodel\b/i.test(message))) {
    return new EngineError(
      "model_not_found",
      `The ${info.service} at ${info.baseUrl} does not have model "${model}" (HTTP 404${message ? `: ${message}` : ""}).`,
    );
  }
  return new EngineError(
    "http_error",
    `The ${info.service} at ${info.baseUrl} answered HTTP ${response.status}${message ? `: ${message}` : ""}.`,
  );
}
