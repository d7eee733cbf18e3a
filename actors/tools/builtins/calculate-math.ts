/**
 * The calculator's mathjs instance, built on first use from only the
 * functions it allows. `import("mathjs")` would load and instantiate all of
 * mathjs (about 300 functions, 1 s and 85 MB on this project's machine)
 * before anything could be blocked; here mathjs's own factory metadata
 * drives the loading instead: starting from the names the calculator needs,
 * each factory's module is required, its declared dependencies are
 * followed, and `create()` builds an instance from exactly that closure
 * (about 100 factories: parse, the node types, numbers, complex numbers).
 * Functions outside it (evaluate, import of units, simplify, matrices' own
 * functions, ...) do not exist on the instance at all.
 *
 * Loading is synchronous (mathjs's CommonJS files through `require`), so the
 * calculator's API stays synchronous; it happens once, on the first
 * calculation (or `loadCalculatorMath()`), never at `import("coda-core")`.
 * Which module holds which factory is read from mathjs's factory index
 * (lib/esm/factoriesAny.js); the CommonJS twin of each file is loaded.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { MathJsInstance } from "mathjs";

const require = createRequire(import.meta.url);

/** A mathjs factory function as mathjs's factories carry it. */
interface Factory {
  (scope: Record<string, unknown>): unknown;
  fn: string;
  dependencies?: string[];
}

let instance: MathJsInstance | undefined;

/**
 * The mathjs instance with `names` (and what they depend on), created once.
 * Later calls return the same instance whatever `names` they pass.
 */
export function loadCalculatorMath(names: readonly string[]): MathJsInstance {
  if (instance) return instance;
  const root = dirname(require.resolve("mathjs/package.json"));
  const index = readFileSync(join(root, "lib/esm/factoriesAny.js"), "utf8");
  // export { createE, createUppercaseE, ... } from './constants.js';
  const files = new Map<string, string>();
  for (const m of index.matchAll(/export\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
    for (const name of m[1]!.split(",").map((s) => s.trim()).filter(Boolean)) files.set(name, join(root, "lib/cjs", m[2]!));
  }
  const factories: Record<string, Factory> = {};
  const found = new Set<string>();
  const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);
  const need = (dependency: string): void => {
    const name = dependency.replace(/^\?/, "");
    if (found.has(name)) return;
    found.add(name);
    // Classes are createXClass, functions createX, upper-case constants createUppercaseX; the factory's own name decides.
    const candidates = [`create${capital(name)}Class`, `create${capital(name)}`, `createUppercase${capital(name.toLowerCase())}`];
    for (const exportName of candidates) {
      const file = files.get(exportName);
      if (!file) continue;
      const factory = (require(file) as Record<string, Factory>)[exportName];
      if (factory?.fn !== name) continue;
      factories[exportName] = factory;
      for (const d of factory.dependencies ?? []) need(d);
      return;
    }
    // Not a factory: provided by create() itself (config, on, ...); create() names any that is truly missing.
  };
  for (const name of names) need(name);
  const { create } = require(join(root, "lib/cjs/core/create.js")) as { create: (factories: object, config: object) => MathJsInstance };
  instance = create(factories, { number: "number" });
  return instance;
}
