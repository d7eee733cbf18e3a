/**
 * Vitest global setup: the sources compiled once per run, laid out as the
 * package lays out dist/, so that suites which start the CLI (or another
 * script of the package) as a child process run JavaScript, as `npm start`
 * does, instead of paying tsx's loader in every child (about 1 s of CPU per
 * start on these 2-core machines, for some forty starts a run).
 *
 * esbuild transforms each module on its own (no bundling, so every
 * `import.meta.url` lookup stays per file) into `.tmp/compiled-<pid>/dist/`
 * under the repository, so packages resolve from the repository's
 * node_modules; next to it go what dist/ finds one level up in the package:
 * package.json, models/ and the dashboard's public files (linked), and the
 * dashboard's browser bundle, as `npm run build` writes it. The tree is
 * removed after the run. Tests reach it through `compiledRoot()`
 * (test/helpers/cli.ts).
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { bundleBrowserClient, CLIENT_BUNDLE_FILE } from "../../server/dashboard/bundle.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The compiled copy of the package (see test/helpers/compiled-build.ts). */
    compiledRoot: string;
  }
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What tsconfig.build.json compiles: the package's TypeScript, without tests and doc generators. */
function sources(): string[] {
  const out: string[] = [];
  for (const top of ["actors", "machines", "server"]) {
    for (const entry of readdirSync(join(ROOT, top), { recursive: true, encoding: "utf8" })) {
      const path = `${top}/${entry.replaceAll("\\", "/")}`;
      if (!path.endsWith(".ts") || path.endsWith(".d.ts") || path.endsWith(".test.ts")) continue;
      if (path.startsWith("server/docs-gen/") || path.startsWith("server/dashboard/public/") || /(^|\/)write-[^/]*\.ts$|docs\.ts$/.test(path)) continue;
      out.push(join(ROOT, path));
    }
  }
  return out;
}

let built: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const root = join(ROOT, ".tmp", `compiled-${process.pid}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, "server", "dashboard"), { recursive: true });
  built = root;
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: sources(),
    outdir: join(root, "dist"),
    outbase: ROOT,
    format: "esm",
    platform: "node",
    target: "node20",
    bundle: false,
    logLevel: "silent",
  });
  copyFileSync(join(ROOT, "package.json"), join(root, "package.json"));
  symlinkSync(join(ROOT, "models"), join(root, "models"));
  symlinkSync(join(ROOT, "server", "dashboard", "public"), join(root, "server", "dashboard", "public"));
  writeFileSync(join(root, "dist", "server", "dashboard", CLIENT_BUNDLE_FILE), await bundleBrowserClient(join(ROOT, "server", "client", "index.ts")));
  project.provide("compiledRoot", root);
}

export function teardown(): void {
  if (built) rmSync(built, { recursive: true, force: true });
}
