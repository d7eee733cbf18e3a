/**
 * The committed package-lock.json is in step with package.json, so `npm
 * install` in a clone leaves it untouched: the lockfile's root entry states
 * the same name, version, bin, engines and dependencies (it once kept a
 * stale `bin` path, which every install rewrote), and every dependency the
 * manifest names is locked.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

type Manifest = Record<string, unknown> & { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Manifest;
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { name: string; version: string; packages: Record<string, Manifest> };

describe("package-lock.json", () => {
  it("has the root entry npm would write for package.json", () => {
    const root = lock.packages[""]!;
    expect({ name: lock.name, version: lock.version }).toEqual({ name: manifest.name, version: manifest.version });
    for (const key of ["name", "version", "license", "bin", "engines", "dependencies", "devDependencies", "peerDependencies", "peerDependenciesMeta", "optionalDependencies"]) {
      // npm writes `bin` paths without a leading ./
      const expected = key === "bin" && manifest.bin ? Object.fromEntries(Object.entries(manifest.bin as Record<string, string>).map(([k, v]) => [k, v.replace(/^\.\//, "")])) : manifest[key];
      expect(root[key], key).toEqual(expected);
    }
  });

  it("locks every dependency package.json names", () => {
    const named = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
    expect(named.filter((name) => !lock.packages[`node_modules/${name}`])).toEqual([]);
  });
});
