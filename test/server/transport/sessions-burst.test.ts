/**
 * A burst of concurrent turns in different sessions, through real sockets:
 * 12 sessions, two clients each, every session typing three turns one after
 * another while all the others do the same, over one set of shared engines
 * whose model streams token by token (so the sessions' events interleave).
 * Every client gets its own session's events only, all of them, in order:
 * seqs from 1 without a gap, each turn's events complete and in the order
 * of a turn, and answers that repeat its own session's words.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { useCleanup } from "../../helpers/cleanup.js";
import type { Received, TestClient } from "../../helpers/client.js";
import { startSessions } from "../../helpers/pipeline.js";

const cleanup = useCleanup();

const SESSIONS = 12;
const TURNS = 3;

const turnOf = (m: Received) => (m.data as { turn_id?: unknown }).turn_id;

/** The order of a typed turn's events on the wire, progress folded into one. */
function shape(events: Received[]): string[] {
  const types: string[] = [];
  for (const e of events) {
    if (e.type === "state_change") continue;
    const t = e.type.endsWith("_progress") ? `${e.type}+` : e.type;
    if (types.at(-1) !== t) types.push(t);
  }
  return types;
}

describe("a burst of concurrent turns in different sessions", () => {
  it("each client gets its own session's turns only, complete and in order, with gapless seqs", async () => {
    const llm = new ScriptedLlmEngine({ answer: ({ messages }) => `Heard ${messages.filter((m) => m.role === "user").at(-1)?.content}. Noted.`, tokenMs: 1 });
    const fx = await startSessions(cleanup, { engines: { llm } });
    const clients: TestClient[][] = [];
    for (let s = 0; s < SESSIONS; s++) clients.push([await fx.connect(`session=s${s}&user=u${s}`), await fx.connect(`session=s${s}`)]);

    await Promise.all(
      clients.map(async ([speaker], s) => {
        for (let t = 1; t <= TURNS; t++) {
          const ack = await speaker!.command("text_input", { text: `s${s} turn ${t}` });
          expect(ack.type).toBe("command_ack");
          await speaker!.waitFor((m) => m.type === "state_change" && m.data.state === "idle" && m.data.previous !== "idle", { from: speaker!.messages.indexOf(ack) });
        }
      }),
    );
    await Promise.all(clients.flat().map((c) => c.waitFor((m) => m.type === "latency_trace" && m.data.turn_id === `t${TURNS}`)));

    for (const [s, pair] of clients.entries()) {
      const [first, second] = pair as [TestClient, TestClient];
      const logged = first.messages.filter((m) => typeof m.seq === "number");
      expect(logged.map((m) => m.seq)).toEqual(logged.map((_, i) => i + 1));
      // Both clients of the session saw the same log.
      expect(second.messages.filter((m) => typeof m.seq === "number").map((m) => [m.seq, m.type])).toEqual(logged.map((m) => [m.seq, m.type]));
      expect(first.ofType("llm_result").map((m) => m.data.text)).toEqual([1, 2, 3].map((t) => `Heard s${s} turn ${t}. Noted.`));
      for (let t = 1; t <= TURNS; t++) {
        const turn = logged.filter((m) => turnOf(m) === `t${t}`);
        const types = shape(turn);
        expect([...new Set(types)].sort()).toEqual(["latency_trace", "llm_progress+", "llm_result", "llm_start", "memory_recall", "memory_store", "tts_progress+", "tts_result", "tts_start"]);
        // Causal order: what a turn does before what follows from it (speech overlaps generation, so the two streams interleave).
        const at = (type: string) => types.indexOf(type);
        for (const [before, after] of [
          ["memory_recall", "llm_start"],
          ["llm_start", "llm_progress+"],
          ["llm_progress+", "llm_result"],
          ["llm_progress+", "tts_start"],
          ["tts_start", "tts_result"],
          ["llm_result", "memory_store"],
          ["tts_result", "memory_store"],
          ["memory_store", "latency_trace"],
        ]) expect(at(before!), `${before} before ${after}`).toBeLessThan(at(after!));
        expect(turn.at(-1)!.type).toBe("latency_trace");
        // No turn of another session: every word of this turn's text is this session's.
        for (const m of turn) if (m.type === "stt_result" || m.type === "llm_result") expect((m.data as { text: string }).text).toContain(`s${s} `);
      }
      expect(new Set(logged.map(turnOf).filter((id) => id !== null && id !== undefined))).toEqual(new Set(["t1", "t2", "t3"]));
    }
    // Every turn was stored for its session's user, none for another.
    for (let s = 0; s < SESSIONS; s++) expect((await fx.engines.memory.list({ userId: `u${s}`, limit: 100 })).map((m) => m.turnId).sort()).toEqual(["t1", "t2", "t3"]);
  });
});
