/**
 * The dashboard's browser JavaScript is type-checked (checkJs) against the
 * DOM and the typed client it imports, as `npm run typecheck` does, so a
 * renamed client method or event field fails here rather than in a browser.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/cli.js";

describe("dashboard JavaScript", () => {
  it("passes tsc with checkJs (server/dashboard/tsconfig.json)", () => {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const res = spawnSync(process.execPath, [tsc, "-p", "server/dashboard/tsconfig.json"], { cwd: ROOT, encoding: "utf8" });
    expect(res.stdout + res.stderr).toBe("");
    expect(res.status).toBe(0);
  }, 120_000);
});
