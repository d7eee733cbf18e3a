/**
 * bench:playout — memory held for a long spoken answer, with and without
 * the synthesis bound.
 *
 * The voice machine through the bridge, a scripted model answering with
 * about 10 minutes of speech (143 sentences) and a scripted synthesiser
 * (16 kHz 16-bit mono, 100 ms chunks, synthesised at once), played to one
 * audio consumer that never reports (so the playout assumes real-time
 * playback). The playout clock is moved by hand, 100 ms a step, so ten
 * minutes of playback take a few seconds. Measured per run:
 * - peak PCM held by the playout (`playout.bufferedBytes()`, sampled after
 *   every synthesised chunk and every clock step);
 * - sentences synthesised 5 s into playback (what a stop then would waste);
 * - the audio sent to the consumer (the whole answer, both runs).
 * Baseline in the same process: the bound off (`synthesisAheadMs`
 * Infinity): the whole answer is synthesised at once and waits in the
 * playout, as it did before the bound (then it was also held until the
 * turn ended).
 *
 * Run: npm run bench:playout [-- --minutes 10 --bound 30000]
 */
import { ScriptedLlmEngine } from "../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../actors/tts/testing/scripted.js";
import { createBridge } from "../server/pipeline/bridge.js";
import { DEFAULT_SYNTHESIS_AHEAD_MS } from "../server/pipeline/playout.js";
import { ManualClock } from "../test/helpers/clock.js";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const MINUTES = Math.min(60, arg("minutes", 10));
const BOUND = arg("bound", DEFAULT_SYNTHESIS_AHEAD_MS);
const MS_PER_CHAR = 60;
const SENTENCE = "This is one sentence of a very long spoken answer that goes on a while.";
const SENTENCES = Math.ceil((MINUTES * 60_000) / (SENTENCE.length * MS_PER_CHAR));
const ANSWER = Array.from({ length: SENTENCES }, () => SENTENCE).join(" ");
const STEP_MS = 100;

interface Result {
  peakBytes: number;
  sentencesAt5s: number;
  sentMs: number;
  audioMs: number;
  steps: number;
}

async function run(synthesisAheadMs: number): Promise<Result> {
  const clock = new ManualClock();
  const tts = new ScriptedTtsEngine({ msPerChar: MS_PER_CHAR, chunkMs: 100 });
  const bridge = createBridge({
    engines: { stt: new ScriptedSttEngine(), llm: new ScriptedLlmEngine({ answer: ANSWER }), tts, memory: new InMemoryStore(), tools: new FakeToolRunner() },
    playoutClock: clock,
    synthesisAheadMs,
    // Ten minutes of playback on the hand-moved clock; the machine's playout deadline runs on real time.
    machine: { deadlines: { ttsMs: 60_000 } },
  });
  let peakBytes = 0;
  const sample = () => (peakBytes = Math.max(peakBytes, bridge.playout.bufferedBytes()));
  const audio = bridge.playout.audio.bind(bridge.playout);
  bridge.playout.audio = (chunk) => (audio(chunk), sample());
  let sentMs = 0;
  const output = bridge.openAudioOutput("bench", { send: (c) => (sentMs += c.audioMs) });
  let audioMs = 0;
  const idle = new Promise<void>((resolve) =>
    bridge.subscribe((e) => {
      if (e.type === "tts_result") audioMs = (e.data as { audio_ms: number }).audio_ms;
      if (e.type === "state_change" && (e.data as { state: string }).state === "idle") resolve();
    }),
  );
  let done = false;
  void idle.then(() => (done = true));
  bridge.dispatch({ type: "text_input", data: { text: "tell me everything" } }, { clientId: "bench" });
  let sentencesAt5s = 0;
  let steps = 0;
  const maxSteps = (MINUTES * 60_000) / STEP_MS + 2_000;
  /** The answer's speech is being produced (not waiting for room, not finished). */
  const busy = () => {
    const turn = bridge.actor.getSnapshot().children.turn?.getSnapshot();
    return turn?.matches("answering") === true && !turn.matches({ answering: { speech: "held" } }) && !turn.matches({ answering: { speech: "done" } });
  };
  /** Let the model and the synthesiser (a timer tick per chunk) run as far as they may before playback moves on. */
  const settle = async () => {
    for (let i = 0; i < 20_000 && busy(); i++) await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
  };
  await settle();
  for (; steps < maxSteps && !done; steps++) {
    clock.advance(STEP_MS);
    await settle();
    sample();
    if (steps * STEP_MS === 5_000) sentencesAt5s = tts.calls.length;
  }
  if (!done) throw new Error(`bench: the answer did not finish within ${maxSteps} clock steps`);
  output.close();
  await bridge.stop();
  return { peakBytes, sentencesAt5s, sentMs, audioMs, steps };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`.padStart(10);
const bounded = await run(BOUND);
const unbounded = await run(Infinity);
process.stdout.write(`bench:playout  one answer of ${SENTENCES} sentences (${(bounded.audioMs / 60_000).toFixed(1)} min of 16 kHz 16-bit audio), one audio consumer that never reports\n`);
process.stdout.write(`                                   peak PCM held  sentences synthesised 5 s in  audio sent\n`);
for (const [name, r] of [[`bound ${BOUND} ms`, bounded], ["no bound (baseline)", unbounded]] as const) {
  process.stdout.write(`${name.padEnd(34)} ${mb(r.peakBytes)}  ${String(r.sentencesAt5s).padStart(28)}  ${(r.sentMs / 1000).toFixed(1).padStart(8)} s\n`);
}
const pcmBytesPerMs = 32;
process.stdout.write(
  `peak held: baseline / bound = ${(unbounded.peakBytes / Math.max(1, bounded.peakBytes)).toFixed(1)}x; bound + lead as bytes = ${mb((BOUND + 1000) * pcmBytesPerMs).trim()}\n`,
);
