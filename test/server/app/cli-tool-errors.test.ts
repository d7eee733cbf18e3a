/**
 * Errors nobody caught, in the real CLI (a child process) with a local model
 * speaking Ollama's wire format that calls the tool the user names: a `--tool`
 * handler that leaves a rejected promise, or whose timer throws while it
 * runs, ends that call with its `tool_error` and the server serves on (every
 * client keeps its connection, new ones connect); a throw in its timer after
 * the call ended is logged naming the tool; an uncaught exception no tool
 * owns stops the server gracefully (clients get 1001, exit code 1).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestClient } from "../../helpers/client.js";
import { runCli, type RunningCli } from "../../helpers/cli.js";
import { startFakeOllama, type FakeOllama } from "../../helpers/fake-ollama.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import { until } from "../../helpers/wait.js";

const dir = useTempDir("coda-tool-errors-", "file");

const TOOLS = `
import { z } from ${JSON.stringify(import.meta.resolve("zod"))};
const tool = (name, handler) => ({ name, description: "Misbehave: " + name, input: z.object({}), handler });
export default [
  tool("leave_rejected", () => {
    Promise.reject(new Error("left behind"));
    return "ok";
  }),
  tool("timer_throws", async () => {
    setTimeout(() => { throw new Error("timer boom"); }, 5);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return "late";
  }),
  tool("throws_after", () => {
    setTimeout(() => { throw new Error("after the call"); }, 50);
    return "done";
  }),
  tool("escapes", () => {
    // Node does not carry async context into queueMicrotask: nobody owns this one.
    queueMicrotask(() => { throw new Error("nobody's"); });
    return "ok";
  }),
];
`;

/** JSON log lines the CLI wrote to stderr. */
const logLines = (cli: RunningCli) =>
  cli
    .stderr()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function startCli(model: FakeOllama): Promise<{ cli: RunningCli; url: string }> {
  const file = join(dir(), "misbehaving-tools.mjs");
  writeFileSync(file, TOOLS);
  const cli = runCli(["--port", "0", "--host", "127.0.0.1", "--llm-engine", "ollama", "--ollama-url", model.url, "--tool", file, "--tts-engine", "none", "--stt-engine", "none", "--vad", "off"]);
  return { cli, url: await cli.url };
}

async function connect(url: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  await c.waitForType("replay");
  return c;
}

/** Ask the model to use `tool`; resolves with the turn's tool event (tool_result or tool_error) once the turn is idle again. */
async function use(c: TestClient, tool: string) {
  const from = c.messages.length;
  await c.command("text_input", { text: `use ${tool}` }, `q${from}`);
  const outcome = await c.waitFor((m) => m.type === "tool_result" || m.type === "tool_error", { from });
  await c.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from });
  return outcome;
}

describe("a tool's stray async error", () => {
  let model: FakeOllama;
  let cli: RunningCli;
  let url: string;
  let first: TestClient;
  beforeAll(async () => {
    model = await startFakeOllama({ call: (text) => ({ name: text.replace(/^use /, ""), arguments: {} }) });
    ({ cli, url } = await startCli(model));
    first = await connect(url);
  }, 30_000);
  afterAll(async () => {
    await first?.close();
    if (cli && cli.child.exitCode === null) cli.child.kill("SIGTERM");
    await cli?.exit;
    await model?.close();
  });

  it("a promise its handler left rejected is that call's tool_error, and the server serves on", async () => {
    const outcome = await use(first, "leave_rejected");
    expect(outcome).toMatchObject({
      type: "tool_error",
      data: { name: "leave_rejected", code: "tool_failed", message: "leave_rejected failed: left behind (raised in async work the handler did not await)" },
    });
    // The model was told the tool failed, and answered.
    expect(model.chats.at(-1)!.messages.at(-1)).toMatchObject({ role: "tool", tool_name: "leave_rejected" });
    expect(cli.child.exitCode).toBeNull();
    expect(first.closeCode).toBeNull();
    const second = await connect(url);
    expect((await second.command("get_system_info", {}, "i1")).type).toBe("command_ack");
    await second.close();
  });

  it("a throw in its timer while the call runs is that call's tool_error", async () => {
    const outcome = await use(first, "timer_throws");
    expect(outcome).toMatchObject({
      type: "tool_error",
      data: { name: "timer_throws", code: "tool_failed", message: "timer_throws failed: timer boom (raised in async work the handler did not await)" },
    });
    expect(cli.child.exitCode).toBeNull();
    expect(logLines(cli)).toContainEqual(expect.objectContaining({ level: "warn", msg: "tool call failed by an error its handler did not await", tool: "timer_throws", message: "timer boom" }));
  });

  it("a throw in its timer after the call ended leaves the result as it was, and is logged naming the tool", async () => {
    const outcome = await use(first, "throws_after");
    expect(outcome).toMatchObject({ type: "tool_result", data: { name: "throws_after", preview: "done" } });
    await until(() => logLines(cli).some((l) => l.tool === "throws_after"), "the late error logged");
    expect(logLines(cli)).toContainEqual(expect.objectContaining({ level: "warn", msg: "tool raised an error after its call ended; serving on", tool: "throws_after", error: "Error", message: "after the call" }));
    // Still serving: the same client asks again.
    expect((await use(first, "leave_rejected")).type).toBe("tool_error");
    expect(first.closeCode).toBeNull();
  });
});

describe("an uncaught exception no tool owns", () => {
  it("stops the server gracefully: logged, clients get 1001, exit code 1", async () => {
    const model = await startFakeOllama({ call: { name: "escapes", arguments: {} } });
    try {
      const { cli, url } = await startCli(model);
      const c = await connect(url);
      await c.command("text_input", { text: "use escapes" }, "q1");
      await c.closed();
      expect([c.closeCode, c.closeReason]).toEqual([1001, "Server shutting down"]);
      expect(await cli.exit).toEqual({ code: 1, signal: null });
      expect(logLines(cli)).toContainEqual(expect.objectContaining({ level: "error", msg: "uncaught exception; stopping", error: "Error", message: "nobody's" }));
    } finally {
      await model.close();
    }
  }, 30_000);
});
