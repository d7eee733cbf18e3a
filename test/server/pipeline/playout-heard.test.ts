/**
 * What was heard of a turn (server/pipeline/playout.ts) when listeners come,
 * go and report oddly, on a clock the test moves: a listener's share starts
 * where it joined, the turn's is the union of what listeners played (never
 * audio nobody played, however many listeners churn), and `ended` means heard
 * to the end only when the reported position says so.
 */
import { describe, expect, it } from "vitest";
import { heardText, Playout, type AudioOut, type Heard } from "../../../server/pipeline/playout.js";
import { ManualClock } from "../../helpers/clock.js";

const pcm = new Uint8Array(4);
/** Ten sentences of 1 s each (five 200 ms chunks), words named after the sentence. */
const SENTENCES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliett"].map((w) => `${w} one two three.`);

function setup() {
  const clock = new ManualClock();
  const ended: Heard[] = [];
  const p = new Playout({ leadMs: 1000, synthesisAheadMs: 60_000, clock, onEnded: (_id, heard) => ended.push(heard) });
  let chunkIndex = 0;
  /** Synthesise sentences `from`..`to` (exclusive) of turn t1. */
  const synth = (from: number, to: number) => {
    for (let s = from; s < to; s++) for (let i = 0; i < 5; i++) p.audio({ turnId: "t1", chunkIndex: chunkIndex++, sentenceIndex: s, text: SENTENCES[s]!, audioMs: 200, pcm });
  };
  const sink = (log: AudioOut[] = []) => ({ send: (c: AudioOut) => log.push(c) });
  return { clock, ended, p, synth, sink };
}

describe("a listener that joins late", () => {
  it("hears from where it joined: the audio synthesised while nobody listened is not heard", () => {
    const { clock, p, synth, sink } = setup();
    const a = p.addConsumer("a", sink());
    synth(0, 2);
    clock.advance(500); // a played half of Alpha
    a.close(); // the only listener leaves mid-answer
    synth(2, 6); // synthesis runs on with nobody to wait for
    const got: AudioOut[] = [];
    p.addConsumer("b", sink(got)); // another joins at once
    synth(6, 8);
    expect(got[0]!.offsetMs).toBe(6000);
    clock.advance(1000); // b played Golf
    expect(p.cut("t1")).toEqual({ heardMs: 1500, text: "Alpha one— Golf one two three. —", cut: true });
  });

  it("joining beside a listener that plays on, the union is what they played together", () => {
    const { clock, p, synth, sink } = setup();
    p.addConsumer("a", sink());
    synth(0, 4);
    clock.advance(1000);
    p.addConsumer("b", sink()); // joins at 2 s, within a's lead
    clock.advance(500);
    // a is at 1.5 s, b played 2.0-2.5 s: the stretch between nobody has played yet.
    expect(p.heard("t1")).toEqual({ heardMs: 2000, text: "Alpha one two three. Bravo one— Charlie one—", cut: true });
    clock.advance(1000);
    expect(p.heard("t1")).toMatchObject({ heardMs: 3500, text: "Alpha one two three. Bravo one two three. Charlie one two three. Delta one—" });
  });

  it("with 30 listeners churning, what was heard is what they played, never more than they listened", () => {
    const { clock, p, synth, sink } = setup();
    let out = p.addConsumer("c0", sink());
    synth(0, 1);
    let listened = 0;
    let next = 1;
    for (let i = 1; i <= 30; i++) {
      clock.advance(100);
      listened += 100;
      out.close(); // each listener leaves after 100 ms and the next one joins at once
      out = p.addConsumer(`c${i}`, sink());
      if (next < SENTENCES.length) synth(next, ++next); // while synthesis runs on
    }
    const heard = p.heard("t1")!;
    // c0 to c9 each played the first 100 ms of a sentence; the rest joined after synthesis had ended.
    expect(heard.heardMs).toBe(1000);
    expect(heard.heardMs).toBeLessThanOrEqual(listened);
  });

  it("a turn every listener left early ends with the union, marked cut", () => {
    const { clock, ended, p, synth, sink } = setup();
    const a = p.addConsumer("a", sink());
    synth(0, 2);
    clock.advance(1000);
    a.close();
    synth(2, 4);
    const b = p.addConsumer("b", sink());
    synth(4, 5);
    p.synthesisEnded("t1");
    b.report({ turn_id: "t1", state: "playing", position_ms: 0 });
    clock.advance(1000); // b played Echo to its end
    expect(ended).toEqual([]);
    b.report({ turn_id: "t1", state: "ended", position_ms: 1000 });
    expect(ended).toEqual([{ heardMs: 2000, text: "Alpha one two three. — Echo one two three.", cut: true }]);
  });
});

describe("playback ended", () => {
  it("at position 0 is nothing heard, not the whole answer", () => {
    const { ended, p, synth, sink } = setup();
    const a = p.addConsumer("a", sink());
    synth(0, 4);
    p.synthesisEnded("t1");
    a.report({ turn_id: "t1", state: "ended", position_ms: 0 });
    expect(ended).toEqual([{ heardMs: 0, text: "—", cut: true }]);
  });

  it.each([
    ["short of the end is heard up to the position", 1500, { heardMs: 1500, text: "Alpha one two three. Bravo one—", cut: true }],
    ["within a player's rounding of the end is the end", 1990, { heardMs: 2000, text: `${SENTENCES[0]} ${SENTENCES[1]}`, cut: false }],
  ])("%s", (_name, position, heard) => {
    const { clock, ended, p, synth, sink } = setup();
    const a = p.addConsumer("a", sink());
    synth(0, 2);
    p.synthesisEnded("t1");
    a.report({ turn_id: "t1", state: "playing", position_ms: 0 });
    clock.advance(2000);
    a.report({ turn_id: "t1", state: "ended", position_ms: position });
    expect(ended).toEqual([heard]);
  });

  it("by one listener at 0 does not make the answer heard while another left early", () => {
    const { clock, ended, p, synth, sink } = setup();
    const a = p.addConsumer("a", sink());
    const b = p.addConsumer("b", sink());
    synth(0, 3);
    p.synthesisEnded("t1");
    clock.advance(700);
    a.close();
    b.report({ turn_id: "t1", state: "ended", position_ms: 0 });
    expect(ended).toEqual([{ heardMs: 700, text: "Alpha one—", cut: true }]);
  });
});

describe("heardText over stretches", () => {
  const chunks = [
    { sentenceIndex: 0, text: "Hello there.", offsetMs: 0, audioMs: 1000 },
    { sentenceIndex: 1, text: "How are you today?", offsetMs: 1000, audioMs: 1000 },
    { sentenceIndex: 2, text: "Fine thanks.", offsetMs: 2000, audioMs: 1000 },
  ];
  const cases: [[number, number][], string, boolean][] = [
    [[], "—", true],
    [[[0, 3000]], "Hello there. How are you today? Fine thanks.", false],
    [[[1000, 2000]], "— How are you today? —", true],
    [[[0, 500], [2000, 3000]], "Hello— Fine thanks.", true],
    [[[0, 1500], [1750, 3000]], "Hello there. How are— today? Fine thanks.", true],
    [[[0, 1000], [1250, 1500]], "Hello there. — are—", true],
  ];
  it.each(cases)("%j heard %j", (spans, text, cut) => {
    expect(heardText(chunks, spans, true)).toEqual({ text, cut });
  });
});
