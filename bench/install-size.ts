/**
 * What a consumer installs (npm run bench:install-size): packs this tree
 * (and the tree named by BENCH_BEFORE, for the figures before a change),
 * installs each tarball with zod into a fresh temporary app the way a user
 * does (`npm install ./coda-core-x.tgz zod`, install scripts run unless
 * BENCH_IGNORE_SCRIPTS=1), and prints the install's wall time, the size of
 * node_modules and, per top-level package, its size on disk (apparent
 * bytes) with what depends on it, largest first, as a markdown table on
 * stderr. Nothing is asserted.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { treeBytes } from "../test/helpers/tree-bytes.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const trees = [ROOT, ...(process.env.BENCH_BEFORE ? [resolve(process.env.BENCH_BEFORE)] : [])];
const ignoreScripts = process.env.BENCH_IGNORE_SCRIPTS === "1";

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;

for (const tree of trees) {
  const app = mkdtempSync(join(tmpdir(), "coda-size-"));
  try {
    const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", app], { cwd: tree, encoding: "utf8" }).trim().split("\n").pop()!;
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
    const started = performance.now();
    execFileSync("npm", ["install", "--no-audit", "--no-fund", ...(ignoreScripts ? ["--ignore-scripts"] : []), `./${tarball}`, "zod"], { cwd: app, stdio: "pipe" });
    const installMs = Math.round(performance.now() - started);
    const modules = join(app, "node_modules");
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as { packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }> };
    const dependents = new Map<string, Set<string>>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      const owner = path === "" ? "(app)" : path.slice(path.lastIndexOf("node_modules/") + 13);
      for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) (dependents.get(dep) ?? dependents.set(dep, new Set()).get(dep)!).add(owner);
    }
    const rows: { name: string; mb: number; from: string }[] = [];
    for (const entry of readdirSync(modules, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const names = entry.name.startsWith("@") ? readdirSync(join(modules, entry.name)).map((n) => `${entry.name}/${n}`) : [entry.name];
      for (const name of names) rows.push({ name, mb: mb(treeBytes(join(modules, name))), from: [...(dependents.get(name) ?? [])].join(", ") });
    }
    rows.sort((a, b) => b.mb - a.mb);
    const total = mb(treeBytes(modules));
    console.log(JSON.stringify({ tree, install_ms: installMs, scripts: !ignoreScripts, packages: rows.length, node_modules_mb: total }));
    console.error(`\n${tree}: node_modules ${total} MB, ${rows.length} packages, install ${installMs} ms\n`);
    console.error("| package | MB | needed by |");
    console.error("|---|---|---|");
    for (const r of rows.filter((r) => r.mb >= 0.5)) console.error(`| ${r.name} | ${r.mb} | ${r.from} |`);
    const rest = rows.filter((r) => r.mb < 0.5);
    console.error(`| ${rest.length} smaller packages | ${mb(rest.reduce((a, r) => a + r.mb * 1048576, 0))} | |`);
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}
