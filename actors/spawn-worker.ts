/**
 * Starting a worker thread from a module next to the caller: the compiled
 * `.js` in dist/ (what the installed package and `npm start` run), or,
 * when the TypeScript sources run (tests, `npm run dev`), the `.ts` source
 * loaded through tsx's API (a development dependency) from a one-line
 * bootstrap, because a worker is a fresh isolate that inherits neither the
 * test runner's transpiler nor (on Node 20) loader hooks given as `--import`
 * in its execArgv. Used by the speech engines and the Silero VAD.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Start `name` (without extension), resolved against `base` (the caller's `import.meta.url`).
 * @example spawnWorker(import.meta.url, "./espeak-worker", {})
 */
export function spawnWorker(base: string, name: string, options: Pick<WorkerOptions, "workerData"> = {}): Worker {
  const compiled = new URL(`${name}.js`, base);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, options);
  const source = new URL(`${name}.ts`, base).href;
  // The ESM build of tsx's API (its "./esm/api" export under the "import" condition).
  const tsxRoot = dirname(createRequire(import.meta.url).resolve("tsx/package.json"));
  const tsxApi = pathToFileURL(join(tsxRoot, "dist/esm/api/index.mjs")).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => api.tsImport(${JSON.stringify(source)}, ${JSON.stringify(source)}))`;
  return new Worker(bootstrap, { ...options, eval: true });
}
