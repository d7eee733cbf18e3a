/**
 * The dashboard's browser JavaScript is type-checked (checkJs) against the
 * DOM and the typed client it imports, as `npm run typecheck` does, so a
 * renamed client method or event field fails here rather than in a browser;
 * and it is checked as strictly as the TypeScript (no implicit any, null
 * checked), with every page script in the check.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/cli.js";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const run = (...args: string[]) => spawnSync(process.execPath, [tsc, "-p", "server/dashboard/tsconfig.json", ...args], { cwd: ROOT, encoding: "utf8" });

describe("dashboard JavaScript", () => {
  it("passes tsc with checkJs (server/dashboard/tsconfig.json)", () => {
    const res = run();
    expect(res.stdout + res.stderr).toBe("");
    expect(res.status).toBe(0);
  }, 120_000);

  it("is checked strictly: strict on, nothing of it turned off, every page script included", () => {
    const res = run("--showConfig");
    expect(res.status).toBe(0);
    const config = JSON.parse(res.stdout) as { compilerOptions: Record<string, unknown>; files: string[] };
    expect(config.compilerOptions).toMatchObject({ strict: true, checkJs: true, noUncheckedIndexedAccess: true });
    for (const off of ["noImplicitAny", "strictNullChecks", "strictFunctionTypes", "strictPropertyInitialization", "noImplicitThis", "useUnknownInCatchVariables", "alwaysStrict"]) {
      expect([off, config.compilerOptions[off]]).not.toEqual([off, false]);
    }
    const scripts = readdirSync(join(ROOT, "server/dashboard/public")).filter((n) => n.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(5);
    expect(scripts.filter((n) => !config.files.some((f) => f.endsWith(`public/${n}`)))).toEqual([]);
  }, 120_000);
});
