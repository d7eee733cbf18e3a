/**
 * The packed package works for a consumer: `npm pack`, install the tarball
 * (and zod) in a fresh ES module project, and run the examples of
 * docs/examples from there as a user would (`node --import tsx example.ts`):
 *
 * - seed-usage.ts, the seed's example: it listens on 8765 as written. So
 *   that the test does not need 8765 free (`npm start` may be running in
 *   another terminal, as the README suggests), it runs a copy in which the
 *   one text `port: 8765` is replaced by a port the test picked, and the test
 *   proves that the copy is otherwise byte for byte the file as written
 *   (putting `port: 8765` back gives the original). The typed client
 *   (`coda-core/client`) talks to it too.
 * - custom-tool-server.ts: `createCodaServer` with the custom tool of
 *   custom-tool.ts, against a local model server written in this test that
 *   speaks Ollama's wire format (test/helpers/fake-ollama.ts: /api/tags,
 *   NDJSON /api/chat with tool_calls). The model is offered the tool, calls
 *   it, and the answer a client receives is built from its result.
 * - inspector.ts: `inspect: true` gives a loopback inspector page that
 *   receives the voice machine's frames during a turn.
 *
 * Also: the tarball holds no doc generators.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { TestClient } from "../helpers/client.js";
import { ROOT } from "../helpers/cli.js";
import { startFakeOllama } from "../helpers/fake-ollama.js";

const dir = mkdtempSync(join(tmpdir(), "coda-consumer-"));
let tarFiles: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

beforeAll(() => {
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" });
  const tarball = out.trim().split("\n").pop()!;
  tarFiles = execFileSync("tar", ["-tzf", join(dir, tarball)], { encoding: "utf8" }).trim().split("\n");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
  const zod = (createRequire(import.meta.url)("zod/package.json") as { version: string }).version;
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", `./${tarball}`, `zod@${zod}`], { cwd: dir, encoding: "utf8", stdio: "pipe" });
  for (const example of ["custom-tool.ts", "custom-tool-server.ts", "inspector.ts"]) copyFileSync(join(ROOT, "docs/examples", example), join(dir, example));
}, 300_000);
afterEach(async () => {
  // An example a failed test left running.
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }), 120_000);

/** Run an example in the consumer project; `line` resolves with the first stdout line matching `pattern`. */
function run(file: string, env: NodeJS.ProcessEnv, pattern: RegExp) {
  const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: dir, env: { ...process.env, ...env } });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const line = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const m = pattern.exec(stdout);
      if (m) resolve(m);
    });
    child.once("exit", (code) => reject(new Error(`${file} exited (${code}) before printing ${pattern}: ${stderr}`)));
  });
  line.catch(() => {}); // awaited by the tests that need it
  return { child, line, exited, stderr: () => stderr };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe("npm package", () => {
  it("packs the compiled server, the dashboard and the examples, and no doc generators", () => {
    expect(tarFiles).toEqual(expect.arrayContaining(["package/dist/server/index.js", "package/dist/server/index.d.ts", "package/server/dashboard/public/index.html", "package/docs/examples/custom-tool.ts"]));
    const generators = tarFiles.filter((f) => /^package\/dist\/.*(?:write-[^/]*|docs)\.(?:js|d\.ts|js\.map)$/.test(f));
    expect(generators).toEqual([]);
  });

  it("runs the seed usage example as written (on a port the test picks) and the typed client talks to it", async () => {
    const original = readFileSync(join(ROOT, "docs/examples/seed-usage.ts"), "utf8");
    const port = await freePort();
    const copy = original.replace("port: 8765", `port: ${port}`);
    // The copy differs from the example as written only in the port.
    expect(original.split("port: 8765")).toHaveLength(2);
    expect(copy.replace(`port: ${port}`, "port: 8765")).toBe(original);
    writeFileSync(join(dir, "seed-usage.ts"), copy);

    const example = run("seed-usage.ts", {}, /listening/);
    let client: TestClient | undefined;
    for (let i = 0; i < 300 && !client && example.child.exitCode === null; i++) {
      client = await TestClient.connect(`ws://localhost:${port}`).catch(async () => {
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect(client, `could not connect to the example on port ${port}: ${example.stderr()}`).toBeDefined();
    const replay = await client!.waitForType("replay");
    expect(replay.data.events).toEqual([
      { type: "system_info", data: { version: "0.1.1", uptime: 3600, memory: 104857600 }, timestamp: "2025-05-01T12:34:56.789Z", seq: 1 },
    ]);
    const script = [
      'import WebSocket from "ws";',
      'import { CodaClient } from "coda-core/client";',
      `const c = new CodaClient({ url: "ws://127.0.0.1:${port}", WebSocket });`,
      "await c.connect();",
      "const info = await c.getSystemInfo();",
      "console.log(JSON.stringify({ clients: info.clients, protocol: info.protocol_version }));",
      "await c.close();",
    ].join("\n");
    const printed = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" });
    expect(JSON.parse(printed)).toEqual({ clients: 2, protocol: "1.0" });
    example.child.kill("SIGINT");
    await client!.closed();
    expect(client!.closeCode).toBe(1001);
    expect(await example.exited).toBe(0);
  }, 120_000);

  it("runs createCodaServer with a custom tool: the local Ollama is offered it, calls it, and the answer uses its result", async () => {
    const ollama = await startFakeOllama({
      call: { name: "convert_temperature", arguments: { value: 100, from: "C", to: "F" } },
      answer: (result) => `That is ${JSON.parse(result ?? "{}").value} degrees Fahrenheit.`,
    });
    try {
      const example = run("custom-tool-server.ts", { CODA_PORT: "0", CODA_OLLAMA_URL: ollama.url }, /Coda listening on (ws:\/\/\S+), dashboard at (http:\/\/\S+)\n/);
      const [, url, dashboard] = await example.line;
      expect(dashboard).toBe(`${url!.replace("ws://", "http://")}/`);
      const client = await TestClient.connect(url!);
      await client.waitForType("replay");
      client.send({ type: "text_input", data: { text: "What is 100 Celsius in Fahrenheit?" } });
      const result = await client.waitForType("llm_result", { timeoutMs: 30_000 });
      expect(result.data.text).toBe("That is 212 degrees Fahrenheit.");
      expect(client.ofType("tool_result").map((e) => [e.data.name, e.data.preview])).toEqual([["convert_temperature", '{"value":212,"unit":"F"}']]);
      // The model was offered the tool with its JSON Schema, next to the built-ins.
      const offered = ollama.chats[0]!.tools!.find((t) => t.function.name === "convert_temperature");
      expect(offered?.function).toMatchObject({ description: "Convert a temperature between Celsius (C), Fahrenheit (F) and Kelvin (K).", parameters: { type: "object", required: ["value", "from", "to"] } });
      expect(ollama.chats[0]!.tools!.map((t) => t.function.name)).toContain("get_time");
      expect(ollama.chats[1]!.messages.at(-1)).toEqual({ role: "tool", content: '{"value":212,"unit":"F"}', tool_name: "convert_temperature" });
      // The dashboard of the whole pipeline is served.
      expect(await (await fetch(dashboard!)).text()).toContain('<button id="demo"');
      example.child.kill("SIGINT");
      await client.closed();
      expect(client.closeCode).toBe(1001);
      expect(await example.exited).toBe(0);
    } finally {
      await ollama.close();
    }
  }, 120_000);

  it("runs the inspector example: its loopback page receives the voice machine's frames during a turn", async () => {
    const example = run("inspector.ts", { CODA_PORT: "0" }, /Coda listening on (ws:\/\/\S+); inspector page: (http:\/\/127\.0\.0\.1:\d+\/)\n/);
    const [, url, page] = await example.line;
    const html = await (await fetch(page!)).text();
    expect(html).toContain("<iframe");
    // What the page's script does: connect to the relay from the page's own origin.
    const frames: string[] = [];
    const relay = new WebSocket(page!.replace("http://", "ws://"), { origin: page!.replace(/\/$/, "") });
    relay.on("message", (d) => frames.push(d.toString()));
    await new Promise((resolve, reject) => relay.once("open", resolve).once("error", reject));
    const client = await TestClient.connect(url!);
    await client.waitForType("replay");
    const from = client.messages.length;
    expect((await client.command("demo_flow", { text: "What time is it?" })).type).toBe("command_ack");
    await client.waitFor((m) => m.type === "state_change" && (m.data as { state: string }).state === "idle", { from, timeoutMs: 30_000 });
    await expect.poll(() => frames.some((f) => f.includes('"@xstate.snapshot"') && f.includes("What time is it?")), { timeout: 10_000 }).toBe(true);
    relay.close();
    example.child.kill("SIGINT");
    await client.closed();
    expect(await example.exited).toBe(0);
  }, 120_000);
});
