/**
 * Start-up benchmark (npm run bench:startup): what a user waits for before
 * anything runs. For this tree, and for the tree named by BENCH_BEFORE (an
 * untouched checkout with its own node_modules and a built dist/, for the
 * figures before a change), side by side in one run:
 *
 * - `node -e 0`: the baseline, the same process tree;
 * - `import("coda-core")` (the tree's dist/server/index.js): wall time from
 *   spawn to exit, minus the baseline, and the process's peak RSS;
 * - the compiled command's `--help` (dist/server/app/cli.js);
 * - `npm start -- --help` (what the tree's start script runs);
 * - `npm start` with the default engines (memory off): from spawn to the
 *   listening line, warm-up included.
 *
 * Each figure is the median of BENCH_RUNS runs (default 7), the trees and
 * the baseline interleaved so that machine load touches all alike.
 * Nothing is asserted.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const trees = [ROOT, ...(process.env.BENCH_BEFORE ? [resolve(process.env.BENCH_BEFORE)] : [])];
const runs = Number(process.env.BENCH_RUNS ?? 7);

/** Run a command; resolves with the ms until it exits (or until `until` matches its stdout, then stops it) and what it printed last. */
function time(command: string, args: string[], cwd: string, until?: RegExp): Promise<{ ms: number; out: string }> {
  return new Promise((ok, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let matched: number | null = null;
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (until && matched === null && until.test(out)) {
        matched = performance.now() - started;
        process.kill(-child.pid!, "SIGINT");
      }
    });
    child.once("exit", (code) => {
      if (until) return matched === null ? fail(new Error(`${command} ${args.join(" ")} exited (${code}) before ${until}: ${err}`)) : ok({ ms: matched, out });
      if (code !== 0) return fail(new Error(`${command} ${args.join(" ")} exited ${code}: ${err}`));
      ok({ ms: performance.now() - started, out });
    });
  });
}

const IMPORT = (tree: string) =>
  `await import(${JSON.stringify(resolve(tree, "dist/server/index.js"))}); console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }))`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const figures = new Map<string, number[]>();
const add = (key: string, value: number) => (figures.get(key) ?? figures.set(key, []).get(key)!).push(value);

for (let run = 0; run < runs; run++) {
  for (const tree of trees) {
    add("baseline", (await time(process.execPath, ["-e", "0"], tree)).ms);
    const imported = await time(process.execPath, ["--input-type=module", "-e", IMPORT(tree)], tree);
    add(`${tree} import`, imported.ms);
    add(`${tree} import rss`, (JSON.parse(imported.out) as { maxRssKb: number }).maxRssKb / 1024);
    add(`${tree} cli --help`, (await time(process.execPath, [resolve(tree, "dist/server/app/cli.js"), "--help"], tree)).ms);
    add(`${tree} npm start --help`, (await time("npm", ["start", "--silent", "--", "--help"], tree)).ms);
    add(`${tree} npm start to listening`, (await time("npm", ["start", "--silent", "--", "--port", "0", "--host", "127.0.0.1", "--memory-db", "off"], tree, /ws:\/\/\S+:\d+/)).ms);
  }
}
const base = median(figures.get("baseline")!);
const round = (n: number) => Math.round(n);
console.log(JSON.stringify({ baseline_node_e_0_ms: round(base), runs }));
for (const tree of trees) {
  const m = (key: string) => median(figures.get(`${tree} ${key}`)!);
  console.log(
    JSON.stringify({
      tree,
      import_ms: round(m("import")),
      import_beyond_node_ms: round(m("import") - base),
      import_max_rss_mb: round(m("import rss")),
      cli_help_ms: round(m("cli --help")),
      npm_start_help_ms: round(m("npm start --help")),
      npm_start_to_listening_ms: round(m("npm start to listening")),
    }),
  );
}
