/**
 * Custom tools given to the composition root: tool objects from code, and ES
 * module files (the `tools` setting) whose default export is a tool made with
 * `defineTool` or an array of them. A missing file, a module that fails to
 * load or a default export that is not a tool is refused with a message
 * naming the file, before anything listens.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Tool } from "../../actors/tools/types.js";

/** A custom tool as `createCodaServer({ tools })` takes it: the tool itself, or the path of a module that exports tools. */
export type ToolSource = Tool | string;

/** A tool module that cannot be used; the message names the file and what is wrong. */
export class ToolModuleError extends Error {
  override readonly name = "ToolModuleError";
}

function looksLikeTool(value: unknown): value is Tool {
  if (typeof value !== "object" || value === null) return false;
  const t = value as Partial<Tool>;
  return typeof t.name === "string" && typeof t.description === "string" && typeof t.handler === "function" && typeof t.input === "object" && t.input !== null;
}

function describe(value: unknown): string {
  if (value === undefined) return "no default export";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object with keys ${Object.keys(value).slice(0, 5).join(", ") || "(none)"}`;
  return `a ${typeof value}`;
}

/**
 * Import one tool module (relative paths from `cwd`).
 * @throws ToolModuleError for a missing file, a module that throws while loading, or a bad default export.
 */
export async function importToolModule(path: string, cwd: string = process.cwd()): Promise<Tool[]> {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new ToolModuleError(`Tool module ${path} not found (looked for ${file})`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    throw new ToolModuleError(`Tool module ${path} failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
  const exported = module.default;
  const list = Array.isArray(exported) ? exported : [exported];
  const bad = list.findIndex((t) => !looksLikeTool(t));
  if (list.length === 0 || bad !== -1) {
    const what = list.length === 0 ? "an empty array" : Array.isArray(exported) ? `element ${bad} is ${describe(list[bad])}` : describe(exported);
    throw new ToolModuleError(
      `Tool module ${path}: the default export must be a tool made with defineTool({ name, description, input, handler }) or an array of them; got ${what}`,
    );
  }
  return list;
}

/** Tools from code as they are, module paths imported in order. */
export async function resolveToolSources(sources: readonly ToolSource[], cwd?: string): Promise<{ tool: Tool; from: string }[]> {
  const out: { tool: Tool; from: string }[] = [];
  for (const source of sources) {
    if (typeof source === "string") for (const tool of await importToolModule(source, cwd)) out.push({ tool, from: source });
    else out.push({ tool: source, from: "code" });
  }
  return out;
}
