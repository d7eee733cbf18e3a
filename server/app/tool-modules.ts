/**
 * Custom tools given to the composition root: tool objects from code, and ES
 * module files (the `tools` setting) whose default export is a tool made with
 * `defineTool` or an array of them. A missing file, a module that fails to
 * load or does not finish loading within the import deadline (a top-level
 * `await` that never settles), and a default export that is not a tool or
 * cannot even be read (a throwing getter, a hostile Proxy) are refused with a
 * message naming the file, before anything listens.
 *
 * A module is read once: each tool is copied into a plain object (its
 * handler still called on the exported object), so nothing of the module's
 * getters or proxies runs again later. The module loads in its own tool
 * scope (actors/tools/call-scope.ts), so errors its top-level code leaves
 * behind (a timer that throws later) are traced to the file.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { runInToolScope } from "../../actors/tools/call-scope.js";
import type { Tool } from "../../actors/tools/types.js";

/** A custom tool as `createCodaServer({ tools })` takes it: the tool itself, or the path of a module that exports tools. */
export type ToolSource = Tool | string;

/** Default import deadline of one tool module (ms); see the `toolImportDeadlineMs` setting. */
export const DEFAULT_TOOL_IMPORT_DEADLINE_MS = 10_000;

/** A tool module that cannot be used; the message names the file and what is wrong. */
export class ToolModuleError extends Error {
  override readonly name = "ToolModuleError";
}

/** Options of importToolModule and resolveToolSources. */
export interface ToolImportOptions {
  /** Relative paths are taken from here. Default: the working directory. */
  cwd?: string;
  /** How long one module may take to load (ms). Default DEFAULT_TOOL_IMPORT_DEADLINE_MS. */
  deadlineMs?: number;
}

/** A plain copy of `value` when it has the shape of a tool, else null. Reads each property once (it may throw). */
function copyTool(value: unknown): Tool | null {
  if (typeof value !== "object" || value === null) return null;
  const t = value as Partial<Tool>;
  const { name, description, input, handler, timeoutMs } = t;
  if (typeof name !== "string" || typeof description !== "string" || typeof handler !== "function" || typeof input !== "object" || input === null) return null;
  return {
    name,
    description,
    input,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    handler: (args, context) => handler.call(value, args, context),
  };
}

function describe(value: unknown): string {
  if (value === undefined) return "no default export";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object with keys ${Object.keys(value).slice(0, 5).join(", ") || "(none)"}`;
  return `a ${typeof value}`;
}

/** An error's message, whatever was thrown (a value whose message or toString itself throws included). */
function messageOf(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return "a value that cannot be shown";
  }
}

/** The tools of a loaded module, or the reason it has none (reading the export may throw: the caller names the file). */
function toolsOf(path: string, module: unknown): Tool[] {
  const exported = (module as { default?: unknown }).default;
  const list: unknown[] = Array.isArray(exported) ? Array.from(exported as unknown[]) : [exported];
  const tools = list.map(copyTool);
  const bad = tools.indexOf(null);
  if (list.length === 0 || bad !== -1) {
    const what = list.length === 0 ? "an empty array" : Array.isArray(exported) ? `element ${bad} is ${describe(list[bad])}` : describe(exported);
    throw new ToolModuleError(
      `Tool module ${path}: the default export must be a tool made with defineTool({ name, description, input, handler }) or an array of them; got ${what}`,
    );
  }
  return tools as Tool[];
}

/**
 * Import one tool module (relative paths from `cwd`), within the import deadline.
 * @throws ToolModuleError for a missing file, a module that throws while
 *   loading or does not finish loading in time, or a bad or unreadable default export.
 */
export async function importToolModule(path: string, options: ToolImportOptions = {}): Promise<Tool[]> {
  const file = isAbsolute(path) ? path : resolve(options.cwd ?? process.cwd(), path);
  if (!existsSync(file) || !statSync(file).isFile()) throw new ToolModuleError(`Tool module ${path} not found (looked for ${file})`);
  const deadlineMs = options.deadlineMs ?? DEFAULT_TOOL_IMPORT_DEADLINE_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let module: unknown;
  try {
    const loading = runInToolScope({ kind: "module", path }, () => import(pathToFileURL(file).href) as Promise<unknown>);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ToolModuleError(`Tool module ${path} did not finish loading within ${deadlineMs} ms (a top-level await that never settles?); see the toolImportDeadlineMs setting`)),
        deadlineMs,
      );
    });
    module = await Promise.race([loading, late]);
  } catch (err) {
    if (err instanceof ToolModuleError) throw err;
    throw new ToolModuleError(`Tool module ${path} failed to load: ${messageOf(err)}`);
  } finally {
    clearTimeout(timer);
  }
  try {
    return toolsOf(path, module);
  } catch (err) {
    if (err instanceof ToolModuleError) throw err;
    throw new ToolModuleError(`Tool module ${path}: reading its default export threw: ${messageOf(err)}`);
  }
}

/** Tools from code as they are, module paths imported in order. */
export async function resolveToolSources(sources: readonly ToolSource[], options: ToolImportOptions = {}): Promise<{ tool: Tool; from: string }[]> {
  const out: { tool: Tool; from: string }[] = [];
  for (const source of sources) {
    if (typeof source === "string") for (const tool of await importToolModule(source, options)) out.push({ tool, from: source });
    else out.push({ tool: source, from: "code" });
  }
  return out;
}
