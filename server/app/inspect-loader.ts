/**
 * `attachInspector`, loading the inspector (inspect.ts and @statelyai/inspect,
 * an optional package) on its first call rather than with coda-core.
 */
import type { attachInspector as AttachInspector } from "./inspect.js";
import { loadOptional } from "./optional-packages.js";

/**
 * Attach the Stately inspector (see inspect.ts). Throws MissingPackageError
 * naming `@statelyai/inspect` when that package is not installed.
 */
export const attachInspector = (async (...args: unknown[]) => {
  const inspect = await loadOptional("inspector", () => import("./inspect.js"));
  return (inspect.attachInspector as (...a: unknown[]) => unknown)(...args);
}) as typeof AttachInspector;
