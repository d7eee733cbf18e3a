/**
 * The plumbing shared by the LLM and speech engines (actors/http.ts): the
 * two ways of reading an error body, the order of fetchFailure's checks,
 * the error-code walk, and the deadline.
 */
import { describe, expect, it } from "vitest";
import { EngineError } from "../../actors/engine-error.js";
import {
  abortError,
  systemErrorCode,
  errorMessageOf,
  excerpt,
  fetchFailure,
  joinUrl,
  startDeadline,
  type Deadline,
  type FetchFault,
} from "../../actors/http.js";

const SPEECH = { fields: ["error", "detail", "message"], quoteNonString: true } as const;

describe("errorMessageOf", () => {
  it("reads error, error.message and message, skipping values that are not strings (LLM reading)", () => {
    expect(errorMessageOf('{"error":"boom"}')).toBe("boom");
    expect(errorMessageOf('{"error":{"message":"inner"},"message":"outer"}')).toBe("inner");
    expect(errorMessageOf('{"error":{"code":1},"message":"outer"}')).toBe("outer");
    expect(errorMessageOf('{"error":42,"message":"outer"}')).toBe("outer");
    expect(errorMessageOf('{"detail":"fastapi"}')).toBeUndefined();
    expect(errorMessageOf("not json")).toBeUndefined();
    expect(errorMessageOf("[1]")).toBeUndefined();
  });

  it("with detail and quoting, takes the first present field and quotes it as JSON (speech reading)", () => {
    expect(errorMessageOf('{"detail":"fastapi"}', SPEECH)).toBe("fastapi");
    expect(errorMessageOf('{"error":42,"message":"outer"}', SPEECH)).toBe("42");
    expect(errorMessageOf('{"detail":[{"loc":["body"]}]}', SPEECH)).toBe('[{"loc":["body"]}]');
    expect(errorMessageOf('{"error":null,"detail":"d"}', SPEECH)).toBe("d");
    expect(errorMessageOf('{"message":null}', SPEECH)).toBe("null");
    expect(errorMessageOf('{"other":1}', SPEECH)).toBeUndefined();
  });
});

describe("excerpt", () => {
  it("collapses whitespace, redacts secrets and cuts at 200 characters with the given ellipsis", () => {
    expect(excerpt(" a \n b  key-123 ", ["key-123", undefined])).toBe("a b [redacted]");
    expect(excerpt("x".repeat(201))).toBe(`${"x".repeat(200)}…`);
    expect(excerpt("x".repeat(201), [], "...")).toBe(`${"x".repeat(200)}...`);
    expect(excerpt("x".repeat(200))).toBe("x".repeat(200));
  });
});

describe("systemErrorCode", () => {
  it("finds the code in a cause chain and inside an AggregateError", () => {
    const socket = Object.assign(new Error("connect"), { code: "ECONNREFUSED" });
    expect(systemErrorCode(new TypeError("fetch failed", { cause: socket }))).toBe("ECONNREFUSED");
    const aggregate = new AggregateError([socket], "all failed");
    expect(systemErrorCode(new TypeError("fetch failed", { cause: aggregate }))).toBe("ECONNREFUSED");
    expect(systemErrorCode(new Error("plain"))).toBeUndefined();
  });
});

describe("fetchFailure", () => {
  const idle: Deadline = { signal: new AbortController().signal, timedOut: () => false, dispose() {} };
  const expired: Deadline = { ...idle, timedOut: () => true };
  const describeFault = (fault: FetchFault) => new EngineError("engine_error", JSON.stringify(fault));

  it("classifies a network error by its code", () => {
    const caller = new AbortController().signal;
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) });
    const result = fetchFailure(refused, { caller, deadline: idle, describe: describeFault });
    expect(JSON.parse((result as EngineError).message)).toEqual({ kind: "failed", code: "ECONNREFUSED", unreachable: true, aborted: false });
    const other = fetchFailure(new Error("odd"), { caller, deadline: idle, describe: describeFault });
    expect(JSON.parse(other.message)).toEqual({ kind: "failed", unreachable: false, aborted: false });
    const stray = fetchFailure(new DOMException("stop", "AbortError"), { caller, deadline: idle, describe: describeFault });
    expect(JSON.parse(stray.message)).toEqual({ kind: "failed", unreachable: false, aborted: true });
  });

  it("lets the caller's abort and the deadline win over an EngineError unless engineErrorFirst", () => {
    const ours = new EngineError("malformed_stream", "bad line");
    const aborted = new AbortController();
    aborted.abort("stop");
    const byAbort = fetchFailure(ours, { caller: aborted.signal, deadline: idle, describe: describeFault });
    expect(byAbort).toBeInstanceOf(DOMException);
    expect(byAbort.name).toBe("AbortError");
    expect(fetchFailure(ours, { caller: aborted.signal, deadline: idle, engineErrorFirst: true, describe: describeFault })).toBe(ours);

    const caller = new AbortController().signal;
    expect(JSON.parse(fetchFailure(ours, { caller, deadline: expired, describe: describeFault }).message)).toEqual({ kind: "timeout" });
    expect(fetchFailure(ours, { caller, deadline: expired, engineErrorFirst: true, describe: describeFault })).toBe(ours);
    expect(fetchFailure(ours, { caller, deadline: idle, describe: describeFault })).toBe(ours);
  });
});

describe("startDeadline and abortError", () => {
  it("has no timer without a positive deadline and reports the caller's reason as the abort cause", () => {
    const controller = new AbortController();
    for (const ms of [undefined, 0, -1, Number.NaN]) {
      const deadline = startDeadline(controller.signal, ms);
      expect(deadline.signal).toBe(controller.signal);
      deadline.dispose();
    }
    controller.abort("bye");
    const err = abortError(controller.signal);
    expect(err.name).toBe("AbortError");
    expect(err.cause).toBe("bye");
  });

  it("fires after the deadline and says it timed out; a caller abort is not a timeout", async () => {
    const caller = new AbortController();
    const deadline = startDeadline(caller.signal, 5);
    await new Promise<void>((resolve) => deadline.signal.addEventListener("abort", () => resolve(), { once: true }));
    expect(deadline.timedOut()).toBe(true);
    caller.abort();
    expect(deadline.timedOut()).toBe(false);
    deadline.dispose();
  });
});

describe("joinUrl", () => {
  it("joins without doubling or dropping slashes", () => {
    expect(joinUrl("http://h/v1/", "/audio/speech")).toBe("http://h/v1/audio/speech");
    expect(joinUrl("http://h/v1", "audio/speech")).toBe("http://h/v1/audio/speech");
  });
});
