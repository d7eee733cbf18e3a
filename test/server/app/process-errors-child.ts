/**
 * A child process for process-errors.test.ts: installs the process error
 * policy (server/app/process-errors.ts) with a logger that prints JSON lines
 * on stdout, runs the scenario named by argv[2], and prints what happened
 * (`{"log": ...}`, `{"outcome": ...}`, `{"fatal": ...}`, `{"alive": true}`).
 */
import { unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { LogFields } from "../../../actors/logger.js";
import { defineTool, ToolRegistry } from "../../../actors/tools/registry.js";
import { importToolModule } from "../../../server/app/tool-modules.js";
import { installProcessErrorPolicy } from "../../../server/app/process-errors.js";

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const log = (level: string) => (msg: string, fields?: LogFields) => print({ log: { level, msg, ...fields, stack: undefined } });
installProcessErrorPolicy({
  logger: { info: log("info"), warn: log("warn"), error: log("error") },
  onFatal: (error) => {
    print({ fatal: (error as Error).message });
    process.exit(3);
  },
});
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const registry = new ToolRegistry({
  tools: [
    defineTool({
      name: "leaves_rejected",
      description: "leaves a promise rejected",
      input: z.object({}),
      handler: () => {
        void Promise.reject(new Error("left behind"));
        return "ok";
      },
    }),
  ],
});
const run = (name: string) => registry.run({ id: `c-${name}`, name, arguments: {} }, { signal: new AbortController().signal });

const scenarios: Record<string, () => Promise<void>> = {
  async "unowned-rejection"() {
    void Promise.reject(new Error("nobody awaited this"));
    await later(50);
    print({ alive: true });
  },
  async "unowned-exception"() {
    setTimeout(() => {
      throw new Error("server code broke");
    }, 10);
    await later(5000);
    print({ alive: true });
  },
  async "tool-call"() {
    print({ outcome: await run("leaves_rejected") });
    print({ alive: true });
  },
  async "abort-listener"() {
    // The handler's abort listener throws when the call is cancelled: it runs in the call's scope, so it is the tool's error.
    const listening = new ToolRegistry({
      tools: [
        defineTool({
          name: "listens",
          description: "listens",
          input: z.object({}),
          handler: (_input, { signal }) =>
            new Promise((resolve) => {
              const timer = setTimeout(resolve, 10_000);
              signal.addEventListener("abort", () => {
                clearTimeout(timer);
                throw new Error("listener broke");
              });
            }),
        }),
      ],
    });
    const caller = new AbortController();
    const outcome = listening.run({ id: "c-listens", name: "listens", arguments: {} }, { signal: caller.signal });
    await later(20);
    caller.abort();
    print({ outcome: await outcome });
    await later(50);
    print({ alive: true });
  },
  async "module-timer"() {
    const file = join(tmpdir(), `coda-module-timer-${process.pid}.mjs`);
    writeFileSync(
      file,
      `import { z } from ${JSON.stringify(import.meta.resolve("zod"))};\nsetTimeout(() => { throw new Error("module timer broke"); }, 20);\nexport default { name: "m", description: "m", input: z.object({}), handler: () => 1 };\n`,
    );
    const tools = await importToolModule(file);
    unlinkSync(file);
    print({ tools: tools.map((t) => t.name), file });
    await later(100);
    print({ alive: true });
  },
};

await scenarios[process.argv[2]!]!();
