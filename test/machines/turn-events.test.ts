/**
 * The one builder of a stage's failure, as a table: a deadline names
 * itself with code `timeout`, a stage's error event is relayed as its
 * actor reported it, a rejected memory operation gives the error's own
 * snake_case code (else `storage_error`) and its message; and the
 * memory events built from it.
 */
import { describe, expect, it } from "vitest";
import { memoryFailedEvent, memoryStoredEvent, stageFailure, type FailingStage, type StageFailureCause } from "../../machines/turn-events.js";

describe("stageFailure", () => {
  it.each<[FailingStage, StageFailureCause, { code: string; message: string }]>([
    ["stt", { deadlineMs: 30_000 }, { code: "timeout", message: "No final transcript within 30000 ms" }],
    ["recall", { deadlineMs: 2000 }, { code: "timeout", message: "Memory recall took longer than 2000 ms" }],
    ["store", { deadlineMs: 2000 }, { code: "timeout", message: "Memory store took longer than 2000 ms" }],
    ["llm", { deadlineMs: 20_000 }, { code: "timeout", message: "The model did not finish within 20000 ms" }],
    ["tts", { deadlineMs: 15_000 }, { code: "timeout", message: "Synthesis of one sentence took longer than 15000 ms" }],
    ["stt", { event: { type: "stt.error", code: "client_gone", message: "The client streaming the audio disconnected" } }, { code: "client_gone", message: "The client streaming the audio disconnected" }],
    ["llm", { event: { type: "llm.error", code: "unreachable", message: "Cannot reach Ollama" } }, { code: "unreachable", message: "Cannot reach Ollama" }],
    ["tts", { event: { type: "tts.error", code: "engine_error", message: "The voice crashed" } }, { code: "engine_error", message: "The voice crashed" }],
    // An event that is not the stage's error event (a deadline of another state, say): the stage's plain failure.
    ["stt", { event: { type: "xstate.after.x" } }, { code: "engine_error", message: "Speech recognition failed" }],
    ["llm", { event: { type: "tts.error", code: "x", message: "y" } }, { code: "engine_error", message: "The model failed" }],
    ["tts", { event: { type: "tts.error" } }, { code: "engine_error", message: "Speech synthesis failed" }],
    ["recall", { error: Object.assign(new Error("The database is locked"), { code: "locked" }) }, { code: "locked", message: "The database is locked" }],
    ["store", { error: Object.assign(new Error("disk full"), { code: "Disk Full" }) }, { code: "storage_error", message: "disk full" }],
    ["store", { error: "no space" }, { code: "storage_error", message: "no space" }],
  ])("%s, %j", (stage, cause, expected) => {
    expect(stageFailure(stage, cause)).toEqual(expected);
  });
});

describe("memory events", () => {
  it("memory.failed names the operation and its failure", () => {
    expect(memoryFailedEvent("t3", "store", { deadlineMs: 2000 })).toEqual({
      type: "memory.failed",
      turnId: "t3",
      operation: "store",
      code: "timeout",
      message: "Memory store took longer than 2000 ms",
    });
  });

  it("memory.stored previews the stored text and says whether it was cut", () => {
    const text = `User: ${"a".repeat(100)}`;
    const e = memoryStoredEvent("t3", { id: "m1", kind: "turn", text, importance: 0.3, createdAt: "2026-11-30T00:00:00.000Z", turnId: "t3" });
    expect(e).toEqual({ type: "memory.stored", turnId: "t3", id: "m1", kind: "turn", preview: `${text.slice(0, 79)}…`, interrupted: false });
  });
});
