/**
 * The process error policy (server/app/process-errors.ts) in a real child
 * process (test/server/app/process-errors-child.ts): an unhandled rejection
 * no tool owns is logged and the process serves on; an uncaught exception
 * no tool owns is logged and ends in `onFatal`; a promise a tool handler
 * left rejected fails that call (tool_failed); a throw in a handler's abort
 * listener, and in a tool module's top-level timer, is traced to the tool
 * or the file, logged, and the process serves on.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../helpers/cli.js";

function child(scenario: string): { status: number | null; lines: Record<string, unknown>[] } {
  const res = spawnSync(process.execPath, ["--import", "tsx", "test/server/app/process-errors-child.ts", scenario], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { status: res.status, lines: res.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("errors nobody caught", () => {
  it("an unhandled rejection no tool owns is logged, and the process serves on", () => {
    expect(child("unowned-rejection")).toEqual({
      status: 0,
      lines: [{ log: { level: "error", msg: "unhandled promise rejection; serving on", error: "Error", message: "nobody awaited this" } }, { alive: true }],
    });
  });

  it("an uncaught exception no tool owns is logged and stops the process (onFatal)", () => {
    expect(child("unowned-exception")).toEqual({
      status: 3,
      lines: [{ log: { level: "error", msg: "uncaught exception; stopping", error: "Error", message: "server code broke" } }, { fatal: "server code broke" }],
    });
  });

  it("a promise a tool's handler left rejected fails that call, however the handler returned", () => {
    const { status, lines } = child("tool-call");
    expect(status).toBe(0);
    expect(lines).toEqual([
      { log: { level: "warn", msg: "tool call failed by an error its handler did not await", tool: "leaves_rejected", callId: "c-leaves_rejected", error: "Error", message: "left behind" } },
      {
        outcome: {
          ok: false,
          callId: "c-leaves_rejected",
          name: "leaves_rejected",
          code: "tool_failed",
          message: "leaves_rejected failed: left behind (raised in async work the handler did not await)",
          durationMs: expect.any(Number),
        },
      },
      { alive: true },
    ]);
  });

  it("a throw in a handler's abort listener is the tool's: the call is cancelled, the error logged, the process serves on", () => {
    const { status, lines } = child("abort-listener");
    expect(status).toBe(0);
    expect(lines).toEqual([
      { outcome: expect.objectContaining({ ok: false, name: "listens", code: "cancelled" }) },
      { log: { level: "warn", msg: "tool raised an error after its call ended; serving on", tool: "listens", callId: "c-listens", error: "Error", message: "listener broke" } },
      { alive: true },
    ]);
  });

  it("a throw in a tool module's top-level timer is traced to the file, logged, and the process serves on", () => {
    const { status, lines } = child("module-timer");
    expect(status).toBe(0);
    const file = (lines[0] as { file: string }).file;
    expect(lines).toEqual([
      { tools: ["m"], file },
      { log: { level: "warn", msg: "tool module raised an error outside any call; serving on", module: file, error: "Error", message: "module timer broke" } },
      { alive: true },
    ]);
  });
});
