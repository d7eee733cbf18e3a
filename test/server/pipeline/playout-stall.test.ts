/**
 * A stalled listener (server/pipeline/playout.ts) on a clock the test moves: a
 * listener that keeps reporting a position that does not advance while it
 * holds audio, or falls ever further behind real time, leaves the turn's
 * playout after the stall bound, where it last got to, so the turn ends
 * within its audio length plus that bound; one that only ran dry (nothing
 * to play yet) is not stalled; a stalled listener takes part in the next
 * turn afresh, and the stall is logged without any of the answer's words.
 */
import { describe, expect, it } from "vitest";
import type { LogFields } from "../../../actors/logger.js";
import { DEFAULT_STALL_MS, Playout, type AudioOut, type Heard } from "../../../server/pipeline/playout.js";
import { ManualClock } from "../../helpers/clock.js";

const pcm = new Uint8Array(4);

function setup(options: { synthesisAheadMs?: number; stallMs?: number } = {}) {
  const clock = new ManualClock();
  const ended: { turnId: string; at: number; heard: Heard }[] = [];
  const room: string[] = [];
  const logs: [string, string, LogFields | undefined][] = [];
  const log = (level: string) => (message: string, fields?: LogFields) => logs.push([level, message, fields]);
  const p = new Playout({
    leadMs: 1000,
    synthesisAheadMs: options.synthesisAheadMs ?? 120_000,
    ...(options.stallMs !== undefined ? { stallMs: options.stallMs } : {}),
    clock,
    logger: { info: log("info"), warn: log("warn"), error: log("error") },
    onEnded: (turnId, heard) => ended.push({ turnId, at: clock.now(), heard }),
    onFull: (turnId) => room.push(`full ${turnId}`),
    onRoom: (turnId) => room.push(`room ${turnId}`),
  });
  /** Synthesise `seconds` sentences of 1 s (five 200 ms chunks) for `turnId`, then end its synthesis unless `more`. */
  const answer = (turnId: string, seconds: number, more = false) => {
    for (let s = 0; s < seconds; s++) for (let i = 0; i < 5; i++) p.audio({ turnId, chunkIndex: s * 5 + i, sentenceIndex: s, text: `Secret sentence ${s}.`, audioMs: 200, pcm });
    if (!more) p.synthesisEnded(turnId);
  };
  const sink = (log: AudioOut[] = []) => ({ send: (c: AudioOut) => log.push(c) });
  return { clock, ended, room, logs, p, answer, sink };
}

describe("a stalled listener", () => {
  it("reporting `playing` at 0 every second leaves a 60 s answer after the stall bound, having heard nothing", () => {
    const { clock, ended, logs, p, answer, sink } = setup();
    const a = p.addConsumer("a", sink());
    answer("t1", 60);
    for (let s = 1; s <= 60 && ended.length === 0; s++) {
      clock.advance(1000);
      a.report({ turn_id: "t1", state: "playing", position_ms: 0 });
    }
    expect(DEFAULT_STALL_MS).toBe(5000);
    expect(ended).toEqual([{ turnId: "t1", at: DEFAULT_STALL_MS, heard: { heardMs: 0, text: "—", cut: true } }]);
    expect(p.playing()).toBe(false);
    expect(logs).toEqual([["info", "audio listener stalled: left out of the rest of the turn", { consumer: "a", turnId: "t1", positionMs: 0, behindMs: 5000 }]]);
    // Its late reports about the turn are ignored.
    expect(a.report({ turn_id: "t1", state: "playing", position_ms: 0 })).toBe(false);
  });

  it("falling behind real time (half speed) leaves once it is the bound behind, with what it played", () => {
    const { clock, ended, p, answer, sink } = setup();
    const a = p.addConsumer("a", sink());
    answer("t1", 60);
    for (let s = 1; s <= 60 && ended.length === 0; s++) {
      clock.advance(1000);
      a.report({ turn_id: "t1", state: "playing", position_ms: s * 500 });
    }
    expect(ended.map((e) => [e.at, e.heard.heardMs, e.heard.cut])).toEqual([[10_000, 5000, true]]);
  });

  it("beside a listener that plays on: the turn ends on that one's time, heard whole, and the bound is freed", () => {
    const { clock, ended, room, p, answer, sink } = setup({ synthesisAheadMs: 5000 });
    const slow = p.addConsumer("slow", sink());
    p.addConsumer("fast", sink());
    answer("t1", 10, true);
    expect(room).toEqual(["full t1"]);
    for (let s = 1; s <= 5; s++) {
      clock.advance(1000);
      slow.report({ turn_id: "t1", state: "playing", position_ms: 0 });
    }
    // The stalled one no longer holds the synthesis back.
    expect(room).toEqual(["full t1", "room t1"]);
    p.synthesisEnded("t1");
    clock.advance(4999);
    expect(ended).toEqual([]);
    clock.advance(1);
    expect(ended.map((e) => [e.at, e.heard.heardMs, e.heard.cut])).toEqual([[10_000, 10_000, false]]);
  });

  it("that only ran dry (nothing to play while synthesis is slow) is not stalled", () => {
    const { clock, ended, logs, p, answer, sink } = setup();
    const a = p.addConsumer("a", sink());
    p.audio({ turnId: "t1", chunkIndex: 0, sentenceIndex: 0, text: "One.", audioMs: 1000, pcm });
    for (let s = 1; s <= 20; s++) {
      clock.advance(1000);
      a.report({ turn_id: "t1", state: "playing", position_ms: 1000 }); // played it all, waits
    }
    p.audio({ turnId: "t1", chunkIndex: 1, sentenceIndex: 1, text: "Two.", audioMs: 1000, pcm });
    p.synthesisEnded("t1");
    clock.advance(1000);
    a.report({ turn_id: "t1", state: "ended", position_ms: 2000 });
    expect(ended.map((e) => [e.heard.heardMs, e.heard.text, e.heard.cut])).toEqual([[2000, "One. Two.", false]]);
    expect(logs).toEqual([]);
    void answer;
  });

  it("reporting in step with real time is never stalled, however long the answer", () => {
    const { clock, ended, p, answer, sink } = setup({ stallMs: 1000 });
    const a = p.addConsumer("a", sink());
    answer("t1", 120);
    for (let s = 1; s <= 120; s++) {
      clock.advance(1000);
      // A player that started 200 ms late and reports a little behind.
      a.report({ turn_id: "t1", state: "playing", position_ms: s * 1000 - 250 });
    }
    a.report({ turn_id: "t1", state: "ended", position_ms: 120_000 });
    expect(ended.map((e) => [e.heard.heardMs, e.heard.cut])).toEqual([[120_000, false]]);
  });

  it("takes part in the next turn afresh", () => {
    const { clock, ended, p, answer, sink } = setup({ stallMs: 2000 });
    const got: AudioOut[] = [];
    const a = p.addConsumer("a", sink(got));
    answer("t1", 10);
    for (let s = 1; s <= 2; s++) {
      clock.advance(1000);
      a.report({ turn_id: "t1", state: "playing", position_ms: 0 });
    }
    expect(ended.map((e) => e.turnId)).toEqual(["t1"]);
    answer("t2", 2);
    expect(got.filter((c) => c.turnId === "t2").length).toBe(5);
    clock.advance(2000);
    expect(ended.map((e) => [e.turnId, e.heard.heardMs, e.heard.cut])).toEqual([
      ["t1", 0, true],
      ["t2", 2000, false],
    ]);
  });

  it("refuses a stall bound that is not a positive number", () => {
    expect(() => new Playout({ stallMs: 0 })).toThrow(new TypeError("playout stallMs must be a positive number"));
    expect(() => new Playout({ stallMs: Number.NaN })).toThrow(TypeError);
  });
});

describe("audio sinks that throw", () => {
  it("are logged once per turn, without the answer's words, and pacing goes on for the others", () => {
    const { clock, logs, p, answer, sink } = setup();
    const got: AudioOut[] = [];
    p.addConsumer("broken", {
      send: () => {
        throw new Error("socket gone");
      },
      end: () => {
        throw new Error("socket gone");
      },
    });
    p.addConsumer("ok", sink(got));
    answer("t1", 2);
    clock.advance(2000);
    expect(got.length).toBe(10);
    expect(logs).toEqual([["warn", "audio consumer failed to take audio", { consumer: "broken", turnId: "t1", call: "send", error: "Error: socket gone" }]]);
    expect(JSON.stringify(logs)).not.toContain("Secret");
  });
});
