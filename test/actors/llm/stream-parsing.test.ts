/**
 * The line reader and the SSE parser on hand-made byte streams, where the
 * chunk boundaries are exactly where the test puts them.
 */
import { describe, expect, it } from "vitest";
import { readLines } from "../../../actors/llm/http.js";
import { parseSse } from "../../../actors/llm/sse.js";

function byteStream(chunks: Uint8Array[], onCancel?: () => void): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
    cancel() {
      onCancel?.();
    },
  });
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("readLines", () => {
  it("decodes UTF-8 correctly when every byte arrives in its own chunk", async () => {
    const bytes = new TextEncoder().encode("naïve 日本 🙂\nsecond\r\nlast without newline");
    const chunks = [...bytes].map((b) => Uint8Array.of(b));
    expect(await all(readLines(byteStream(chunks)))).toEqual(["naïve 日本 🙂", "second", "last without newline"]);
  });

  it("keeps empty lines (SSE needs them) and yields nothing for an empty body", async () => {
    const enc = new TextEncoder();
    expect(await all(readLines(byteStream([enc.encode("a\n\nb\n")])))).toEqual(["a", "", "b"]);
    expect(await all(readLines(byteStream([])))).toEqual([]);
  });

  it("cancels the body when the consumer stops early", async () => {
    let cancelled = 0;
    const enc = new TextEncoder();
    const lines = readLines(byteStream([enc.encode("one\n"), enc.encode("two\n")], () => cancelled++));
    for await (const line of lines) {
      expect(line).toBe("one");
      break;
    }
    expect(cancelled).toBe(1);
  });
});

describe("parseSse", () => {
  async function* lines(...l: string[]) {
    yield* l;
  }

  it("joins data lines, skips comments and other fields, and dispatches at blank lines", async () => {
    const events = await all(
      parseSse(lines(": ping", "event: chunk", "id: 7", "data: {\"a\":", "data:1}", "", "", "data: [DONE]", "")),
    );
    expect(events).toEqual([
      { event: "chunk", data: '{"a":\n1}' },
      { event: "message", data: "[DONE]" },
    ]);
  });

  it("dispatches a last event that has no trailing blank line", async () => {
    expect(await all(parseSse(lines("data: tail")))).toEqual([{ event: "message", data: "tail" }]);
  });
});
