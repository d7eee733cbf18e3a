/**
 * bench:tool-scope — what tracing tool errors costs the rest of the server.
 *
 * Tool calls run in an AsyncLocalStorage scope (actors/tools/call-scope.ts),
 * so a stray async error can be traced to its tool. On Node 20 the first
 * scope entered turns on async hooks for the whole process, for good: every
 * promise after that pays a little. This measures it where it matters, on
 * typed turns through the bridge (machine, stage actors, wire mapping) with
 * engines that answer at once, in child processes of this one (the hooks
 * cannot be turned off again in one process): "plain" never enters a tool
 * scope, "scoped" runs one tool call through the ToolRegistry first.
 * Children alternate; the median of each is printed with the ratio, in wall
 * time and in CPU time of the child (process.cpuUsage).
 *
 * Run: npm run bench:tool-scope [-- --turns 1000 --runs 3]
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ScriptedSttEngine } from "../actors/stt/testing/scripted.js";
import { defineTool, ToolRegistry } from "../actors/tools/registry.js";
import { createBridge } from "../server/pipeline/bridge.js";
import { exited, lines } from "./child.js";
import { instantModel, instantTts, nullMemory } from "./instant-engines.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TURNS = arg("turns", 1000);
const RUNS = arg("runs", 3);
const ANSWER = "Sure, here is the first sentence of the answer. The second sentence adds a detail. And a third one wraps it up.";

const instantLlm = instantModel(ANSWER);

/** One child's work: `turns` typed turns; prints `{us, cpuUs}` per turn. */
async function child(mode: "plain" | "scoped", turns: number): Promise<void> {
  const tools = new ToolRegistry({ tools: [defineTool({ name: "noop", description: "Do nothing", input: z.object({}), handler: () => "ok" })] });
  if (mode === "scoped") await tools.run({ id: "c1", name: "noop", arguments: {} }, { signal: new AbortController().signal });
  const bridge = createBridge({ engines: { stt: new ScriptedSttEngine(), llm: instantLlm, tts: instantTts, memory: nullMemory(), tools }, machine: { maxHistory: 8 } });
  let done: (() => void) | null = null;
  bridge.subscribe((e) => {
    if (e.type === "state_change" && e.data.state === "idle") done?.();
  });
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const idle = new Promise<void>((r) => (done = r));
      bridge.dispatch({ type: "text_input", data: { text: `question number ${i}` } }, { clientId: "bench" });
      await idle;
    }
  };
  await run(Math.min(200, turns)); // warm-up
  const started = performance.now();
  const cpu = process.cpuUsage();
  await run(turns);
  const used = process.cpuUsage(cpu);
  process.stdout.write(`${JSON.stringify({ us: ((performance.now() - started) * 1000) / turns, cpuUs: (used.user + used.system) / turns })}\n`);
  await bridge.stop();
}

async function measure(mode: "plain" | "scoped"): Promise<{ us: number; cpuUs: number }> {
  const c = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--child", mode, "--turns", String(TURNS)]);
  const next = lines(c);
  const result = JSON.parse(await next()) as { us: number; cpuUs: number };
  await exited(c);
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (process.argv.includes("--child")) {
  await child(process.argv[process.argv.indexOf("--child") + 1] as "plain" | "scoped", TURNS);
} else {
  const plain: { us: number; cpuUs: number }[] = [];
  const scoped: { us: number; cpuUs: number }[] = [];
  for (let r = 0; r < RUNS; r++) {
    plain.push(await measure("plain"));
    scoped.push(await measure("scoped"));
  }
  const row = (name: string, xs: { us: number; cpuUs: number }[]) =>
    `  ${name.padEnd(8)} ${median(xs.map((x) => x.us)).toFixed(1).padStart(8)} µs/turn ${median(xs.map((x) => x.cpuUs)).toFixed(1).padStart(8)} µs CPU/turn`;
  console.log(`bench:tool-scope: ${TURNS} typed turns per child, ${RUNS} children each, medians (Node ${process.versions.node})`);
  console.log(row("plain", plain));
  console.log(row("scoped", scoped));
  const ratio = (k: "us" | "cpuUs") => (median(scoped.map((x) => x[k])) / median(plain.map((x) => x[k]))).toFixed(3);
  console.log(`  scoped / plain: ${ratio("us")} wall, ${ratio("cpuUs")} CPU`);
}
