#!/usr/bin/env node
/**
 * Build the package (`npm run build`): compile machines/, actors/ and server/
 * to dist/ with tsc, then bundle the dashboard's browser client into
 * dist/server/dashboard/client.bundle.js.
 *
 * `--prepare` is npm's `prepare` lifecycle: it runs on `npm install` in a
 * clone, before `npm pack`, when the repository is installed by git URL,
 * and when it is installed by path (`npm install ../coda-core`). In that
 * last case npm installs neither the repository's own dependencies nor its
 * development dependencies, so when the compiler is missing they are
 * installed here first (from the registry, as the lockfile says), then the
 * build runs. Plain JavaScript on purpose: it must run before anything is
 * installed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prepare = process.argv.includes("--prepare");
const resolvable = (name) => {
  try {
    createRequire(join(root, "package.json")).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
};

// An install nested inside this one runs `prepare` again: the outer build does the work.
if (prepare && process.env.CODA_PREPARE_NESTED === "1") process.exit(0);

const npm = process.env.npm_execpath;
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, CODA_PREPARE_NESTED: "1" } });

if (prepare && !(resolvable("typescript") && resolvable("tsx"))) {
  console.error("coda-core: installing its own dependencies to build dist/ (installed by path)");
  const args = ["install", "--include=dev", "--no-audit", "--no-fund", "--no-save"];
  if (npm && npm.endsWith(".js")) run(process.execPath, [npm, ...args]);
  else run(process.platform === "win32" ? "npm.cmd" : "npm", args);
}

rmSync(join(root, "dist"), { recursive: true, force: true });
run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.build.json")]);
run(process.execPath, ["--import", "tsx", join(root, "server/dashboard/write-client-bundle.ts")]);
if (!existsSync(join(root, "dist/server/index.js"))) throw new Error("the build wrote no dist/server/index.js");
