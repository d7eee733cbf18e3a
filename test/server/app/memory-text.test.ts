/**
 * Issue 26, item 19, as the outside probe saw it: a text with a lone UTF-16
 * surrogate, sent over the WebSocket and remembered, was kept as invalid
 * UTF-8 and listed back as three U+FFFD. Now the viewer lists exactly what
 * was stored: one U+FFFD where the lone surrogate was.
 */
import { expect, it } from "vitest";
import { createCodaServer } from "../../../server/app/app.js";
import { silentLogger } from "../../../server/app/logger.js";
import { useCleanup } from "../../helpers/cleanup.js";
import { TestClient } from "../../helpers/client.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const cleanups = useCleanup();
const dir = useTempDir("coda-memory-text-");

it("a remembered lone surrogate is listed back as one U+FFFD, the fact and the turn alike", async () => {
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: `${dir()}/memory.db`, llmEngine: "builtin", ttsEngine: "none", sttEngine: "none", logger: silentLogger });
  cleanups.push(() => coda.stop());
  const c = await TestClient.connect(coda.url);
  cleanups.push(() => c.close());
  await c.waitForType("replay");

  // JSON.stringify sends the lone surrogate as the escape "\ud800", as a probe's raw JSON would.
  const from = c.messages.length;
  expect((await c.command("text_input", { text: "remember that my door code is \ud800 seven" })).type).toBe("command_ack");
  await c.waitForType("latency_trace", { from, timeoutMs: 15_000 });

  const list = c.messages.length;
  await c.command("memory_list", {});
  const items = (c.messages.slice(list).find((m) => m.type === "memory_items")!.data as { items: { kind: string; text: string }[] }).items;
  expect(items.map((i) => [i.kind, i.text.includes("door code is \ufffd seven")])).toEqual([
    ["turn", true],
    ["fact", true],
  ]);
  for (const item of items) expect(item.text).not.toContain("\ufffd\ufffd");
  expect(items.find((i) => i.kind === "fact")!.text).toBe("my door code is \ufffd seven");
});
