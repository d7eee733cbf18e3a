/**
 * Replay of whole turns through the real voice pipeline: after 25 turns with
 * long spoken answers a new client gets the last 20 turns complete (every
 * event a live client saw of them, minus the progress folded into results),
 * however small the resume log is; a client dropped mid-answer resumes with
 * `?since=N` with no gap and no duplicate, the progress of the turn in
 * flight included; the default log holds 20 turns of 30 s answers;
 * get_replay answers as docs/protocol.md says.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { PROGRESS_EVENT_TYPES } from "../../../server/transport/conversation.js";
import type { LoggedEvent } from "../../../server/protocol/index.js";
import { startCoda } from "../client/fixture.js";
import { useServers } from "../../helpers/server.js";
import { TestClient, type Received } from "../../helpers/client.js";

const { track, client: connect } = useServers();

/** About 30 s of speech at the scripted synthesiser's 60 ms per character: 500 characters. */
function longAnswer(question: string): string {
  const sentence = (k: number) => `Part ${k} of the answer to ${question} goes on for a while so that it takes time to say.`;
  let text = "";
  for (let k = 1; text.length < 500; k++) text += (k > 1 ? " " : "") + sentence(k);
  return text;
}

/**
 * A server whose answers are long: 30 s of speech in 100 ms chunks, with
 * tts_progress per 100 ms of audio (ttsProgressMs 100, the finest a user may
 * ask for: 300 per answer), so the log fills as fast as it can.
 */
async function longAnswers(options: Parameters<typeof startCoda>[0] = {}) {
  const llm = new ScriptedLlmEngine({
    answer: ({ messages }) => longAnswer(String(messages.findLast((m) => m.role === "user")?.content ?? "")),
  });
  return track(await startCoda({ llm, ...options, tts: { msPerChar: 60, chunkMs: 100, sound: "silence", ...options.tts }, playout: { ttsProgressMs: 100, ...options.playout } }));
}

/** Ask a typed question and wait for the end of its turn (its latency_trace). */
async function ask(c: TestClient, text: string): Promise<void> {
  const from = c.messages.length;
  const ack = await c.command("text_input", { text });
  expect(ack.type).toBe("command_ack");
  await c.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from, timeoutMs: 60_000 });
}

const turnOf = (e: { data: unknown }) => (e.data as { turn_id?: string | null }).turn_id ?? null;
const isProgress = (e: { type: string }) => (PROGRESS_EVENT_TYPES as readonly string[]).includes(e.type);
const strip = ({ seq, type, data, timestamp }: Received) => ({ seq, type, data, timestamp });

describe("a new client gets the last replayTurns turns whole", () => {
  it("after 25 turns with 30 s answers: the last 20 turns complete, nothing of the first 5; the default log still resumes from before the 20", async () => {
    const f = await longAnswers();
    const live = await connect(f.wsUrl);
    let beforeSixth = 0;
    for (let i = 1; i <= 25; i++) {
      if (i === 6) beforeSixth = f.server.lastSeq;
      await ask(live, i % 5 === 0 ? `what is ${i} times 3` : `question number ${i}`);
    }
    const logged = live.messages.filter((m) => m.seq !== undefined);
    expect(logged.filter((m) => m.type === "tts_progress").length).toBeGreaterThan(20 * 290); // ~300 per answer

    const late = await connect(f.wsUrl);
    const status = late.ofType("connection_status")[0]!;
    const replay = late.ofType("replay")[0]!;
    const ids = Array.from({ length: 20 }, (_, k) => `t${k + 6}`);
    expect(replay.data).toMatchObject({ since: null, kind: "conversation", turns: ids, missed: 0, reset: false, last_seq: f.server.lastSeq });
    expect(status.data).toMatchObject({ replay_turns: 20, replay_size: 10_000, replay: { kind: "conversation", events: replay.data.events.length, turns: 20, missed: 0 } });

    // Every event a live client saw of those turns, exactly as broadcast, except the progress of finished turns.
    const expected = logged.filter((m) => ids.includes(turnOf(m) ?? "") && !isProgress(m)).map(strip);
    const replayedOfTurns = (replay.data.events as LoggedEvent[]).filter((e) => turnOf(e) !== null);
    expect(replayedOfTurns).toEqual(expected);
    // What a person reads, per turn: question, answer, memory, latency; arithmetic turns their tool call and result.
    for (const id of ids) {
      const of = (type: string) => replayedOfTurns.filter((e) => turnOf(e) === id && e.type === type);
      const n = Number(id.slice(1));
      const question = n % 5 === 0 ? `what is ${n} times 3` : `question number ${n}`;
      expect((of("memory_recall")[0]?.data as { query: string }).query).toBe(question);
      expect((of("llm_result")[0]?.data as { text: string }).text).toBe(longAnswer(question));
      expect(of("tts_result")).toHaveLength(1);
      expect(of("memory_store")).toHaveLength(1);
      expect(of("latency_trace")).toHaveLength(1);
      expect(of("tool_call")).toHaveLength(0); // the scripted model calls no tools
    }
    // The events of no turn: the machine's state now (idle) is the last one.
    const last = replay.data.events.at(-1)!;
    expect([last.type, (last.data as { state?: string }).state]).toEqual(["state_change", "idle"]);
    expect(replay.data.events.filter((e) => e.type === "state_change")).toHaveLength(1);
    // Orders of magnitude smaller than the turns' log.
    expect(status.data.replay!.bytes).toBeLessThan(logged.reduce((n, m) => n + JSON.stringify(m).length, 0) / 10);

    // Sized for resume: the default log still holds every event of those 20 turns of 30 s answers.
    const back = await connect(`${f.wsUrl}/?since=${beforeSixth}`);
    const resumed = back.ofType("replay")[0]!;
    expect(resumed.data).toMatchObject({ kind: "resume", missed: 0, first_seq: beforeSixth + 1, last_seq: f.server.lastSeq });
    expect(resumed.data.events.filter((e) => e.type === "latency_trace")).toHaveLength(20);
  }, 300_000);

  it("does not depend on the resume log's size: three long answers whole with a 100-event log", async () => {
    const f = await longAnswers({ replaySize: 100 });
    const live = await connect(f.wsUrl);
    for (const q of ["first question", "second question", "third question"]) await ask(live, q);
    const replay = (await connect(f.wsUrl)).ofType("replay")[0]!;
    expect(replay.data.turns).toEqual(["t1", "t2", "t3"]);
    const answers = replay.data.events.filter((e) => e.type === "llm_result").map((e) => (e.data as { text: string }).text);
    expect(answers).toEqual(["first question", "second question", "third question"].map(longAnswer));
    // The log itself holds the last 100 events only: a resume from the start reports the rest missing.
    const old = (await connect(`${f.wsUrl}/?since=0`)).ofType("replay")[0]!;
    expect(old.data.missed).toBeGreaterThan(800);
  }, 120_000);

  it("keeps tool calls and results, and a turn joined mid-answer with its progress so far", async () => {
    const f = track(await startCoda({ tts: { msPerChar: 60, chunkMs: 100, chunkDelayMs: 5 }, wordDelayMs: 0, playout: { ttsProgressMs: 100 } }));
    const live = await connect(f.wsUrl);
    await ask(live, "what is 12 times 7");
    // A long answer (the built-in responder's refusal: ~26 s of speech), joined while it is spoken.
    const from = live.messages.length;
    await live.command("text_input", { text: "tell me a joke" });
    await live.waitFor((m) => m.type === "tts_progress" && m.data.chunk_index === 20, { from });
    const late = await connect(f.wsUrl);
    const replay = late.ofType("replay")[0]!;
    expect(replay.data.turns).toEqual(["t1", "t2"]);
    const events = replay.data.events as LoggedEvent[];
    const t1 = events.filter((e) => turnOf(e) === "t1").map((e) => e.type);
    expect(t1).toEqual(expect.arrayContaining(["memory_recall", "llm_start", "tool_call", "tool_result", "tts_start", "llm_result", "tts_result", "memory_store", "latency_trace"]));
    expect(t1.filter((t) => /progress|state_change/.test(t))).toEqual([]);
    expect(events.find((e) => e.type === "tool_result")?.data).toMatchObject({ name: "calculate", preview: expect.stringContaining("84") });
    // The running turn: everything so far, its progress included, in order, with no hole in its seqs.
    const t2 = events.filter((e) => turnOf(e) === "t2");
    const t2Live = live.messages.filter((m) => turnOf(m) === "t2" && m.seq! <= replay.data.last_seq);
    expect(t2.map((e) => e.seq)).toEqual(t2Live.map((m) => m.seq));
    expect(t2.filter((e) => e.type === "tts_progress").length).toBeGreaterThanOrEqual(21);
    // Then it goes on live from the next seq.
    const next = await late.waitFor((m) => m.seq !== undefined);
    expect(next.seq).toBe(replay.data.last_seq + 1);
  }, 120_000);
});

describe("resume stays exact", () => {
  it("a client dropped mid-answer resumes with ?since=N: every missed event, the answer's progress included, no gap, no duplicate", async () => {
    const f = await longAnswers({ tts: { msPerChar: 60, chunkMs: 100, chunkDelayMs: 3 } });
    const observer = await connect(f.wsUrl);
    let away = await connect(f.wsUrl);
    const firstSession: Received[] = [];
    const from = observer.messages.length;
    await observer.command("text_input", { text: "tell me about the sea" });
    await away.waitFor((m) => m.type === "tts_progress" && m.data.chunk_index === 30, { timeoutMs: 60_000 });
    firstSession.push(...away.messages.filter((m) => m.seq !== undefined));
    const lastSeen = firstSession.at(-1)!.seq!;
    await away.close();
    // The answer goes on while the client is away.
    await observer.waitFor((m) => m.type === "tts_progress" && m.data.chunk_index === 200, { from, timeoutMs: 60_000 });

    away = await connect(`${f.wsUrl}/?since=${lastSeen}`);
    const replay = away.ofType("replay")[0]!;
    expect(replay.data).toMatchObject({ since: lastSeen, kind: "resume", missed: 0, reset: false, first_seq: lastSeen + 1 });
    expect(away.ofType("connection_status")[0]!.data.replay).toMatchObject({ kind: "resume", missed: 0, events: replay.data.events.length });
    expect(replay.data.events.filter((e) => e.type === "tts_progress").length).toBeGreaterThan(150);
    await observer.waitFor((m) => m.type === "state_change" && m.data.state === "idle", { from, timeoutMs: 60_000 });
    await away.waitFor((m) => m.type === "state_change" && m.data.state === "idle" && m.seq !== undefined);

    const seen = [...firstSession, ...(replay.data.events as Received[]), ...away.messages.filter((m) => m.seq !== undefined)];
    const reference = observer.messages.filter((m) => m.seq !== undefined && m.seq >= firstSession[0]!.seq!);
    expect(seen.map((m) => m.seq)).toEqual(reference.map((m) => m.seq));
    expect(seen.map(strip)).toEqual(reference.map(strip));
  }, 120_000);
});
