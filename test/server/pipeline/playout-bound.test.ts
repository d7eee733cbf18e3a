/**
 * The synthesis bound of the playout (server/pipeline/playout.ts) on a clock the
 * test moves: when a turn's buffer of audio not yet sent to every consumer
 * is full and when it has room again, that PCM sent to everyone is
 * released (the bytes held follow the bound, not the answer), and where a
 * consumer that joins mid-turn starts.
 */
import { describe, expect, it } from "vitest";
import { Playout, type AudioOut } from "../../../server/pipeline/playout.js";
import { ManualClock } from "../../helpers/clock.js";

/** 200 ms of 16 kHz 16-bit mono. */
const CHUNK_MS = 200;
const CHUNK_BYTES = 6400;

function setup(o: { leadMs?: number; synthesisAheadMs?: number } = {}) {
  const clock = new ManualClock();
  const room: string[] = [];
  const p = new Playout({
    leadMs: o.leadMs ?? 1000,
    synthesisAheadMs: o.synthesisAheadMs ?? 2000,
    clock,
    onFull: (id, aheadMs) => room.push(`full ${id} ${aheadMs}`),
    onRoom: (id) => room.push(`room ${id}`),
  });
  let index = 0;
  /** Synthesise `n` chunks of one sentence of turn t1. */
  const synth = (n: number, sentenceIndex = 0) => {
    for (let i = 0; i < n; i++) p.audio({ turnId: "t1", chunkIndex: index++, sentenceIndex, text: "Words.", audioMs: CHUNK_MS, pcm: new Uint8Array(CHUNK_BYTES) });
  };
  const sink = (log: AudioOut[]) => ({ send: (c: AudioOut) => log.push(c) });
  return { clock, room, p, synth, sink };
}

describe("synthesis bound", () => {
  it("is full once the audio not yet sent reaches the bound, and has room when playout catches up", () => {
    const { clock, room, p, synth, sink } = setup({ leadMs: 1000, synthesisAheadMs: 2000 });
    const got: AudioOut[] = [];
    p.addConsumer("c1", sink(got));
    synth(14); // 2.8 s: 1 s sent at once, 1.8 s waiting
    expect(room).toEqual([]);
    expect(p.aheadMs("t1")).toBe(1800);
    synth(1);
    expect(room).toEqual(["full t1 2000"]);
    expect(p.aheadMs("t1")).toBe(2000);
    // Synthesis that was already under way is still taken (the turn finishes its sentence).
    synth(2);
    expect(room).toEqual(["full t1 2000"]);
    clock.advance(CHUNK_MS * 2); // two chunks more sent: 2000 ms waiting, still at the bound
    expect(room).toEqual(["full t1 2000"]);
    clock.advance(CHUNK_MS);
    expect(room).toEqual(["full t1 2000", "room t1"]);
    expect(p.aheadMs("t1")).toBe(1800);
    expect(got.map((c) => c.chunkIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("holds only the PCM not yet sent to every consumer, whatever the answer's length", () => {
    const { clock, p, synth, sink } = setup({ leadMs: 1000, synthesisAheadMs: 2000 });
    p.addConsumer("c1", sink([]));
    let peak = 0;
    // A 60 s answer, synthesised as the bound lets it: one chunk whenever there is room.
    let made = 0;
    for (let step = 0; step < 2000 && made < 300; step++) {
      while (made < 300 && p.aheadMs("t1") < 2000) {
        synth(1);
        made++;
        peak = Math.max(peak, p.bufferedBytes());
      }
      clock.advance(CHUNK_MS);
    }
    expect(made).toBe(300);
    expect(peak).toBe(10 * CHUNK_BYTES); // 2 s waiting, never the whole 60 s (300 chunks)
    p.synthesisEnded("t1");
    clock.advance(3000); // the 2 s waiting and the lead sent
    expect(p.playing()).toBe(false);
    expect(p.bufferedBytes()).toBe(0);
  });

  it("waits for the slowest consumer still playing, and not for one that stopped", () => {
    const { clock, room, p, synth, sink } = setup({ leadMs: 1000, synthesisAheadMs: 2000 });
    const slow = p.addConsumer("slow", sink([]));
    const fast: AudioOut[] = [];
    p.addConsumer("fast", sink(fast));
    synth(15);
    expect(room).toEqual(["full t1 2000"]);
    // The slow one says it is stuck at the start (a paused player); the other plays on.
    for (let i = 0; i < 10; i++) {
      slow.report({ turn_id: "t1", state: "playing", position_ms: 0 });
      clock.advance(CHUNK_MS / 2);
    }
    expect(fast.length).toBe(10);
    expect(room).toEqual(["full t1 2000"]);
    expect(p.aheadMs("t1")).toBe(2000);
    slow.report({ turn_id: "t1", state: "stopped", position_ms: 0 });
    expect(room).toEqual(["full t1 2000", "room t1"]);
    expect(p.aheadMs("t1")).toBe(1000);
  });

  it("has nothing to wait for and holds nothing without a consumer", () => {
    const { room, p, synth } = setup({ synthesisAheadMs: 0 });
    synth(50);
    expect(room).toEqual([]);
    expect(p.aheadMs("t1")).toBe(0);
    expect(p.bufferedBytes()).toBe(0);
    p.synthesisEnded("t1");
    expect(p.playing()).toBe(false);
  });

  it("with a bound of 0 waits until everything synthesised was sent", () => {
    const { clock, room, p, synth, sink } = setup({ leadMs: 400, synthesisAheadMs: 0 });
    p.addConsumer("c1", sink([]));
    synth(2); // both sent at once (400 ms lead)
    expect(room).toEqual([]);
    synth(1);
    expect(room).toEqual(["full t1 200"]);
    clock.advance(CHUNK_MS);
    expect(room).toEqual(["full t1 200", "room t1"]);
  });

  it("a consumer that leaves frees the room it was holding", () => {
    const { room, p, synth, sink } = setup({ leadMs: 1000, synthesisAheadMs: 2000 });
    const only = p.addConsumer("c1", sink([]));
    synth(15);
    expect(room).toEqual(["full t1 2000"]);
    only.close();
    expect(room).toEqual(["full t1 2000", "room t1"]);
    expect(p.bufferedBytes()).toBe(0);
  });

  it("a sink keeps the PCM it was sent after the playout released it", () => {
    const { clock, p, synth, sink } = setup({ leadMs: 200 });
    const got: AudioOut[] = [];
    p.addConsumer("c1", sink(got));
    synth(3);
    clock.advance(1000);
    expect(got.map((c) => c.pcm.byteLength)).toEqual([CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES]);
    expect(p.bufferedBytes()).toBe(0);
  });
});

describe("joining mid-turn", () => {
  it("starts at the live position: the first chunk not yet sent to everyone, paced from there", () => {
    const { clock, p, synth, sink } = setup({ leadMs: 1000, synthesisAheadMs: 10_000 });
    const a: AudioOut[] = [];
    p.addConsumer("a", sink(a));
    synth(20); // 4 s
    clock.advance(1000); // a has heard 1 s and been sent 2 s
    expect(a.length).toBe(10);
    const b: AudioOut[] = [];
    p.addConsumer("b", sink(b));
    // b gets what a gets next, not the start of the answer (released) nor the next chunk synthesised.
    expect(b.map((c) => c.offsetMs)).toEqual([2000, 2200, 2400, 2600, 2800]);
    clock.advance(1000);
    expect(a.length).toBe(15);
    expect(b.map((c) => c.chunkIndex)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it("starts at the next chunk synthesised when nothing is held", () => {
    const { clock, p, synth, sink } = setup({ leadMs: 1000 });
    p.addConsumer("a", sink([]));
    synth(2); // all sent at once
    clock.advance(100);
    const b: AudioOut[] = [];
    p.addConsumer("b", sink(b));
    expect(b).toEqual([]);
    synth(1, 1);
    expect(b.map((c) => [c.chunkIndex, c.offsetMs])).toEqual([[2, 400]]);
  });
});
