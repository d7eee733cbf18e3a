/**
 * bench:turn-instructions — what bench:turn (a) measures, counted in CPU
 * instructions instead of time, so that two trees can be compared on a
 * shared, loaded machine. The typed turns of (a) (instant engines, through
 * the machine and the bridge) are bundled with esbuild against each tree
 * and run under valgrind (cachegrind, no cache simulation) with
 * `node --predictable` (single-threaded V8, fixed seeds): the count repeats
 * to within 0.01%, where wall and CPU time vary by 2x here. Per turn =
 * (count for N turns - count for 20 turns) / (N - 20), so start-up cancels.
 * With `--predictable` V8 compiles on the main thread, so the count also
 * holds the optimising compiler's one-time work on the hot functions: with
 * the default N = 220 that warm-up is a large part of the figure (it
 * grows with the number of functions on the path, not with the work per
 * turn); `--turns 1020` gives the steady state.
 * Needs valgrind (Debian package `valgrind`). Takes a few minutes per tree
 * (about five times that with --turns 1020).
 *
 * Run: npm run bench:turn-instructions [-- --baseline /path/to/another/checkout] [--token] [--turns N]
 *   --token: the model's tokens arrive one per event-loop turn (41 per answer).
 *   --turns: the longer of the two runs (default 220).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const argv = process.argv.slice(2);
const baseline = argv.includes("--baseline") ? resolve(argv[argv.indexOf("--baseline") + 1]!) : null;
const token = argv.includes("--token");
const turns = argv.includes("--turns") ? Number(argv[argv.indexOf("--turns") + 1]) : 220;
if (!(Number.isInteger(turns) && turns > 20)) throw new TypeError("--turns must be an integer above 20");
const here = resolve(import.meta.dirname, "..");

/** The typed-turn loop of bench:turn (a), against the tree at `root` (its bridge moved into server/pipeline/ on 2026-11-30). */
function entry(root: string): string {
  const bridge = existsSync(join(root, "server/pipeline/bridge.ts")) ? "server/pipeline/bridge.ts" : "server/bridge.ts";
  return `
import { createBridge } from ${JSON.stringify(join(root, bridge))};
import { ScriptedSttEngine } from ${JSON.stringify(join(root, "actors/stt/testing/scripted.ts"))};
import { FakeToolRunner } from ${JSON.stringify(join(root, "actors/tools/testing/fake-runner.ts"))};
const N = Number(process.argv[2]);
const ANSWER = "Sure, here is the first sentence of the answer, short and to the point. The second sentence adds a useful detail that the user may want to hear. And a third sentence wraps the whole answer up nicely for the user.";
const llm = { name: "instant", model: "instant", async *generate() { for (const t of ANSWER.match(/\\s*\\S+/g)) { if (${token}) await new Promise((r) => setImmediate(r)); yield { kind: "delta", text: t }; } yield { kind: "done", finishReason: "stop" }; }, close: async () => {} };
const tts = { name: "instant", voice: "none", format: { sample_rate: 16000, sample_type: "s16le", channels: 1 }, async *synthesize() { yield new Uint8Array(320); }, close: async () => {} };
let n = 0;
const memory = { name: "null", recall: async () => [], storeTurn: async (t) => ({ id: "m" + ++n, kind: "turn", text: t.user, importance: 0, createdAt: "2026-01-01T00:00:00.000Z", turnId: t.turnId }), remember: async () => { throw new Error("unused"); }, list: async () => [], forget: async () => false, close: async () => {} };
const bridge = createBridge({ engines: { stt: new ScriptedSttEngine(), llm, tts, memory, tools: new FakeToolRunner() }, machine: { maxHistory: 8 } });
let done;
bridge.subscribe((e) => { if (e.type === "state_change" && e.data.state === "idle") done?.(); });
for (let i = 0; i < N; i++) { const idle = new Promise((r) => (done = r)); bridge.dispatch({ type: "text_input", data: { text: "question number " + i } }, { clientId: "bench" }); await idle; }
await bridge.stop();
`;
}

function instructions(bundle: string, turns: number): number {
  const args = ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", process.execPath, "--predictable", bundle, String(turns)];
  // valgrind reports on stderr.
  const run = spawnSync("valgrind", args, { encoding: "utf8", stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 << 20 });
  const refs = /I\s+refs:\s+([\d,]+)/.exec(run.stderr ?? "");
  if (!refs) throw new Error(`valgrind printed no instruction count (is valgrind installed?): ${run.error?.message ?? run.stderr?.slice(-500)}`);
  return Number(refs[1]!.replaceAll(",", ""));
}

async function perTurn(root: string, dir: string, name: string): Promise<number> {
  const src = join(dir, `${name}.mts`);
  const out = join(dir, `${name}.mjs`);
  writeFileSync(src, entry(root));
  await build({
    entryPoints: [src],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    // Some dependencies require() node built-ins; give the ESM bundle a require.
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
  });
  return (instructions(out, turns) - instructions(out, 20)) / (turns - 20);
}

const dir = mkdtempSync(join(tmpdir(), "bench-turn-instr-"));
try {
  process.stdout.write(`bench:turn-instructions (node ${process.version}, typed turns, ${token ? "one token per event-loop turn" : "instant engines"}, (${turns} turns - 20) / ${turns - 20})\n`);
  const self = await perTurn(here, dir, "this");
  process.stdout.write(`    this tree                    ${(self / 1e6).toFixed(3)} M instructions/turn\n`);
  if (baseline) {
    const base = await perTurn(baseline, dir, "baseline");
    process.stdout.write(`    baseline (${baseline})  ${(base / 1e6).toFixed(3)} M instructions/turn\n`);
    process.stdout.write(`    ratio this / baseline        ${(self / base).toFixed(3)}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
