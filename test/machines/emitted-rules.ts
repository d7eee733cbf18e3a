/**
 * Rules every run of the voice machines must obey, whatever the path: turn
 * ids in order, state changes chained (each names the previous one),
 * nothing of a turn after its end (except, for an interrupted turn, the
 * one outcome of storing what was heard: machines/cut-memory.ts), every
 * listening and tool call a turn opened closed before its end, and a turn's
 * interruption right after its end. Shared by the session and turn graph
 * tests.
 */
import { expect } from "vitest";
import type { Phase, VoiceEmitted } from "../../machines/voice-types.js";

export function checkEmitted(emitted: VoiceEmitted[], initialPhase: Phase = "idle"): void {
  const ended = new Set<string>();
  // Interrupted turns, and those whose heard answer's store has reported.
  const interrupted = new Set<string>();
  const cutStored = new Set<string>();
  // What each turn opened and has not closed yet: listening, and tool calls by id.
  const listening = new Set<string>();
  const calls = new Map<string, Set<string>>();
  let started = 0;
  let phase: Phase = initialPhase;
  for (let i = 0; i < emitted.length; i++) {
    const e = emitted[i]!;
    if (e.type === "turn.started") {
      started += 1;
      expect(e.turnId).toBe(`t${started}`);
      continue;
    }
    if (e.type === "state.changed") {
      expect(e.previous).toBe(phase);
      expect(e.state).not.toBe(phase);
      phase = e.state;
      continue;
    }
    if (e.type === "turn.interrupted") {
      // Always right after the end of the same turn, and names the turn that replaces it (barge-in only).
      expect(emitted[i - 1]).toMatchObject({ type: "turn.ended", turnId: e.turnId, outcome: "interrupted" });
      expect(e.by === null).toBe(e.reason !== "barge_in");
      continue;
    }
    const turnId = e.turnId;
    if ((e.type === "memory.stored" || (e.type === "memory.failed" && e.operation === "store")) && interrupted.has(turnId)) {
      expect(cutStored.has(turnId), `a second store outcome for ${turnId}`).toBe(false);
      if (e.type === "memory.stored") expect(e.interrupted).toBe(true);
      cutStored.add(turnId);
      continue;
    }
    expect(ended.has(turnId), `${e.type} after the end of ${turnId}`).toBe(false);
    if (e.type === "stt.started") listening.add(turnId);
    if (e.type === "stt.result" || e.type === "stt.failed") expect(listening.delete(turnId), `${e.type} without stt.started`).toBe(true);
    if (e.type === "tool.called") calls.set(turnId, (calls.get(turnId) ?? new Set()).add(e.callId));
    if (e.type === "tool.result" || e.type === "tool.failed") expect(calls.get(turnId)?.delete(e.callId), `${e.type} for a call not open`).toBe(true);
    if (e.type === "turn.ended") {
      // Every start the turn announced has its end before the turn's end.
      expect(listening.has(turnId), `${turnId} ended while listening`).toBe(false);
      expect([...(calls.get(turnId) ?? [])], `${turnId} ended with tool calls unanswered`).toEqual([]);
      ended.add(turnId);
      if (e.outcome === "interrupted") interrupted.add(turnId);
    }
  }
}
