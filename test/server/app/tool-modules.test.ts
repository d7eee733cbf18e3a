/**
 * Tool modules (server/app/tool-modules.ts) read once: a default export that
 * is a Proxy or has getters is copied into plain tools, so nothing of it
 * runs again when the registry registers or runs the tool, and the handler
 * is still called on the exported object; the import deadline names the
 * file. (Bad modules through createCodaServer and the CLI: app.test.ts,
 * cli.test.ts.)
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ToolRegistry } from "../../../actors/tools/registry.js";
import { importToolModule, ToolModuleError } from "../../../server/app/tool-modules.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const dir = useTempDir("coda-tool-modules-");
const zod = JSON.stringify(import.meta.resolve("zod"));

function module(name: string, content: string): string {
  const file = join(dir(), name);
  writeFileSync(file, content);
  return file;
}

describe("importToolModule", () => {
  it("reads a Proxy's tool once: registering and running it touch the Proxy no more, and the handler keeps its object", async () => {
    const file = module(
      "counted.mjs",
      `import { z } from ${zod};
export const reads = [];
const target = { name: "greet", description: "Greet", input: z.object({}), greeting: "hello", handler() { return this.greeting; } };
export default new Proxy(target, { get(t, key) { reads.push(String(key)); return t[key]; } });
`,
    );
    const [tool] = await importToolModule(file);
    const { reads } = (await import(file)) as { reads: string[] };
    const before = reads.length;
    const registry = new ToolRegistry({ tools: [tool!] });
    const outcome = await registry.run({ id: "c1", name: "greet", arguments: {} }, { signal: new AbortController().signal });
    expect(outcome).toMatchObject({ ok: true, result: "hello" });
    // Only the handler's own `this.greeting` went through the Proxy afterwards.
    expect(reads.slice(before)).toEqual(["greeting"]);
  });

  it("gives a module its deadline and names the file when it is not met", async () => {
    const file = module("slow.mjs", "await new Promise(() => {});\nexport default 1;\n");
    const error = await importToolModule(file, { deadlineMs: 50 }).catch((e: unknown) => e);
    expect(error).toEqual(new ToolModuleError(`Tool module ${file} did not finish loading within 50 ms (a top-level await that never settles?); see the toolImportDeadlineMs setting`));
  });

  it("names the file when an element of an exported array cannot be read", async () => {
    const file = module("element.mjs", "const list = [1];\nObject.defineProperty(list, 0, { get() { throw new Error('element says no'); } });\nexport default list;\n");
    await expect(importToolModule(file)).rejects.toThrow(new ToolModuleError(`Tool module ${file}: reading its default export threw: element says no`));
  });
});
