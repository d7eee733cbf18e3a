/**
 * The playout clock and pacing (server/pipeline/playout.ts) on a clock the test
 * moves: what each consumer is sent and when, when a turn's playout ends,
 * and what was heard at a cut.
 */
import { describe, expect, it } from "vitest";
import { heardText, Playout, type AudioOut, type Heard } from "../../../server/pipeline/playout.js";
import { ManualClock } from "../../helpers/clock.js";

const pcm = new Uint8Array(4);

/** Feed a turn of `sentences` (each [text, chunks of chunkMs]) into the playout. */
function synthesise(p: Playout, turnId: string, sentences: [string, number][], chunkMs = 200): void {
  let index = 0;
  sentences.forEach(([text, chunks], sentenceIndex) => {
    for (let i = 0; i < chunks; i++) p.audio({ turnId, chunkIndex: index++, sentenceIndex, text, audioMs: chunkMs, pcm });
  });
}

/** A fully synthesised answer of two sentences, 1 s of audio each. */
function twoSentences(p: Playout): void {
  synthesise(p, "t1", [["Hello there.", 5], ["How are you today?", 5]]);
  p.synthesisEnded("t1");
}

function setup(leadMs = 1000) {
  const clock = new ManualClock();
  const ended: [string, Heard][] = [];
  const p = new Playout({ leadMs, clock, onEnded: (id, heard) => ended.push([id, heard]) });
  const received = (log: AudioOut[]) => ({ send: (c: AudioOut) => log.push(c), drop: () => log.push({ turnId: "DROP" } as AudioOut) });
  return { clock, ended, p, received };
}

describe("pacing", () => {
  it("sends a silent client no more than the lead ahead of real time from its first audio", () => {
    const { clock, p, received } = setup(1000);
    const got: AudioOut[] = [];
    p.addConsumer("c1", received(got));
    synthesise(p, "t1", [["A long sentence.", 25]]); // 5 s of audio, synthesised at once
    expect(got.length).toBe(5); // 1000 ms ahead
    clock.advance(400);
    expect(got.length).toBe(7);
    clock.advance(3600);
    expect(got.length).toBe(25);
    expect(got.map((c) => c.offsetMs)).toEqual(Array.from({ length: 25 }, (_, i) => i * 200));
  });

  it("keeps every client within the lead on its own clock", () => {
    const { clock, p, received } = setup(600);
    const a: AudioOut[] = [];
    const b: AudioOut[] = [];
    const out = p.addConsumer("a", received(a));
    p.addConsumer("b", received(b));
    synthesise(p, "t1", [["Words.", 10]]);
    expect([a.length, b.length]).toEqual([3, 3]);
    clock.advance(400);
    expect([a.length, b.length]).toEqual([5, 5]);
    out.report({ turn_id: "t1", state: "playing", position_ms: 0 }); // a was still buffering: it has played nothing
    clock.advance(400);
    expect([a.length, b.length]).toEqual([5, 7]);
  });

  it("resumes an estimate from where it ran dry when synthesis is slower than real time", () => {
    const { clock, p, received } = setup(1000);
    const got: AudioOut[] = [];
    p.addConsumer("c1", received(got));
    p.audio({ turnId: "t1", chunkIndex: 0, sentenceIndex: 0, text: "One.", audioMs: 200, pcm });
    clock.advance(1000); // played 200 ms, then silence
    expect(p.heard("t1")!.heardMs).toBe(200);
    p.audio({ turnId: "t1", chunkIndex: 1, sentenceIndex: 1, text: "Two.", audioMs: 200, pcm });
    clock.advance(100);
    expect(p.heard("t1")!.heardMs).toBe(300);
  });
});

describe("playout end", () => {
  it("ends a silent audio client's turn after the audio time, not at synthesis", () => {
    const { clock, ended, p, received } = setup();
    p.addConsumer("c1", received([]));
    synthesise(p, "t1", [["First sentence here.", 5], ["Second one.", 5]]);
    p.synthesisEnded("t1");
    clock.advance(1999);
    expect(ended).toEqual([]);
    expect(p.playing("t1")).toBe(true);
    clock.advance(1);
    expect(ended).toEqual([["t1", { heardMs: 2000, text: "First sentence here. Second one.", cut: false }]]);
    expect(p.playing()).toBe(false);
  });

  it("with no audio consumer, counts the answer heard when synthesised", () => {
    const { ended, p } = setup();
    synthesise(p, "t1", [["Only text.", 3]]);
    p.synthesisEnded("t1");
    expect(ended).toEqual([["t1", { heardMs: 600, text: "Only text.", cut: false }]]);
  });

  it("believes a reporting client: ended ends it early, silence past the end waits the grace", () => {
    const { clock, ended, p, received } = setup();
    const a = p.addConsumer("a", received([]));
    synthesise(p, "t1", [["Hi.", 2]]);
    p.synthesisEnded("t1");
    a.report({ turn_id: "t1", state: "playing", position_ms: 100 });
    clock.advance(300); // position 400 = the end, but a reporter gets 1 s to say so
    expect(ended).toEqual([]);
    expect(a.report({ turn_id: "t1", state: "ended", position_ms: 400 })).toBe(true);
    expect(ended.map(([id, h]) => [id, h.heardMs])).toEqual([["t1", 400]]);
    expect(a.report({ turn_id: "t1", state: "playing", position_ms: 0 })).toBe(false);
  });

  it("a consumer that leaves no longer holds the turn; the last one leaving ends it with what was heard, cut", () => {
    const { clock, ended, p, received } = setup();
    const a = p.addConsumer("a", received([]));
    twoSentences(p);
    clock.advance(1500);
    a.close();
    expect(ended).toEqual([["t1", { heardMs: 1500, text: "Hello there. How are—", cut: true }]]);
  });

  it("an answer played to the end by one consumer counts as heard whole, whoever left or stopped early", () => {
    const { clock, ended, p, received } = setup();
    const a = p.addConsumer("a", received([]));
    const b = p.addConsumer("b", received([]));
    const c = p.addConsumer("c", received([]));
    twoSentences(p);
    clock.advance(500);
    a.close();
    b.report({ turn_id: "t1", state: "stopped", position_ms: 500 });
    c.report({ turn_id: "t1", state: "playing", position_ms: 0 }); // c started late
    clock.advance(1500);
    expect(ended).toEqual([]);
    // c says it ended a little before the timeline's end (its player's own rounding): it played to the end, the whole answer.
    c.report({ turn_id: "t1", state: "ended", position_ms: 1990 });
    expect(ended).toEqual([["t1", { heardMs: 2000, text: "Hello there. How are you today?", cut: false }]]);
  });

  it("every consumer stopping early ends the turn with what was heard, cut", () => {
    const { clock, ended, p, received } = setup();
    const a = p.addConsumer("a", received([]));
    twoSentences(p);
    clock.advance(700);
    a.report({ turn_id: "t1", state: "stopped", position_ms: 600 });
    expect(ended).toEqual([["t1", { heardMs: 600, text: "Hello—", cut: true }]]);
  });
});

describe("cut", () => {
  it("stops sending at once, tells consumers to drop, and returns the heard text", () => {
    const { clock, ended, p, received } = setup(1000);
    const got: AudioOut[] = [];
    p.addConsumer("c1", received(got));
    synthesise(p, "t1", [["One two three four.", 5], ["Five six seven eight.", 5], ["Nine.", 5]]);
    clock.advance(1500); // half-way through the second sentence
    const before = got.length;
    const heard = p.cut("t1");
    expect(heard).toEqual({ heardMs: 1500, text: "One two three four. Five six—", cut: true });
    expect(got.length).toBe(before + 1);
    expect(got.at(-1)!.turnId).toBe("DROP");
    clock.advance(10_000);
    expect(got.length).toBe(before + 1);
    expect(ended).toEqual([]);
    expect(p.cut("t1")).toBeNull();
  });

  it("leaves at most the lead unplayed in a client at a stop", () => {
    const { clock, p, received } = setup(1000);
    const got: AudioOut[] = [];
    p.addConsumer("c1", received(got));
    synthesise(p, "t1", [["Long.", 100]], 100);
    for (const at of [0, 250, 1234, 5000]) {
      clock.advance(at);
      const heard = p.heard("t1")!.heardMs;
      const sent = got.reduce((ms, c) => ms + c.audioMs, 0);
      expect(sent - heard).toBeLessThanOrEqual(1000);
    }
  });
});

describe("heardText", () => {
  const chunks = [
    { sentenceIndex: 0, text: "Hello there.", offsetMs: 0, audioMs: 500 },
    { sentenceIndex: 0, text: "Hello there.", offsetMs: 500, audioMs: 500 },
    { sentenceIndex: 1, text: "How are you today?", offsetMs: 1000, audioMs: 1000 },
  ];
  it.each([
    [0, false, "—", true],
    [999, false, "Hello—", true],
    [1000, false, "Hello there. —", true],
    [1500, true, "Hello there. How are—", true],
    [1500, false, "Hello there. How—", true],
    [2000, true, "Hello there. How are you today?", false],
    // Still synthesising: the last sentence (18 chars at 83 ms a char) is not over at 2000 ms.
    [2000, false, "Hello there. How are—", true],
  ])("at %d ms (synthesis ended: %s) heard %j", (ms, ended, text, cut) => {
    expect(heardText(chunks, ms, ended)).toEqual({ text, cut });
  });
});
