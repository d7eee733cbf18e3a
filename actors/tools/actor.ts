/**
 * The tools stage as XState logic: all calls of one model reply run
 * concurrently; their outcomes are reported in call order (`tools.outcome`
 * each, then `tools.done`), so the events and the conversation are stable
 * whatever finishes first. Stopping the actor aborts every running call.
 * An outcome that is not a ToolOutcome for its call is reported as a failed
 * outcome with code `malformed_output`.
 */
import type { ToolsEvent, ToolsInput } from "../contracts/index.js";
import { describeIssues, MALFORMED_OUTPUT, ToolOutcomeSchema } from "../engine-output.js";
import type { ToolCall } from "../llm/types.js";
import { fromStage } from "../stage-actor.js";
import type { ToolOutcome, ToolRunner } from "./types.js";

export interface ToolsLogicOptions {
  runner: ToolRunner;
}

/** Logic for the machine's `tools` slot. */
export function createToolsLogic(options: ToolsLogicOptions) {
  return fromStage<ToolsInput, ToolsEvent>(({ input, signal, send }) => runToolCalls(options.runner, input, signal, send));
}

/** Run the calls concurrently and report outcomes in call order (nothing after `signal` aborts). */
export async function runToolCalls(runner: ToolRunner, input: ToolsInput, signal: AbortSignal, send: (event: ToolsEvent) => void): Promise<void> {
  const started = performance.now();
  const pending = input.calls.map((call) =>
    runner.run(call, { signal, userId: input.userId }).then(
      (outcome: unknown) => checkOutcome(call, outcome, performance.now() - started),
      // The runner promises never to throw; if one does, the model still gets an answer for the call.
      (err: unknown): ToolOutcome => ({
        ok: false,
        callId: call.id,
        name: call.name,
        code: "tool_failed",
        message: err instanceof Error ? err.message : String(err),
        durationMs: performance.now() - started,
      }),
    ),
  );
  for (const outcome of pending) {
    const o = await outcome;
    if (signal.aborted) return;
    send({ type: "tools.outcome", outcome: o });
  }
  if (!signal.aborted) send({ type: "tools.done" });
}

/**
 * The runner's outcome for `call` if it is a ToolOutcome for that call; else
 * a failed outcome with code `malformed_output` (the call still gets exactly
 * one answer, and the model hears that the tool misbehaved).
 */
function checkOutcome(call: ToolCall, outcome: unknown, elapsedMs: number): ToolOutcome {
  const parsed = ToolOutcomeSchema.safeParse(outcome);
  const problem = !parsed.success
    ? describeIssues(parsed.error)
    : parsed.data.callId !== call.id
      ? "callId: not the id of the call it answers"
      : null;
  if (parsed.success && problem === null) return { ...parsed.data, name: call.name };
  return {
    ok: false,
    callId: call.id,
    name: call.name,
    code: MALFORMED_OUTPUT,
    message: `The tool runner's outcome is malformed: ${problem}`,
    durationMs: parsed.success && parsed.data.durationMs >= 0 ? parsed.data.durationMs : elapsedMs,
  };
}
