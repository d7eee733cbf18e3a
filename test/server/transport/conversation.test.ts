/**
 * ConversationHistory on its own: which events a new client's replay keeps.
 * Finished turns fold their progress, the running turn keeps it (bounded in
 * bytes), a barge-in finishes the turn it cuts, older turns go whole and do
 * not come back as fragments, events of no turn are bounded, and the newest
 * state_change always stays. Encoded replay frames equal JSON.stringify.
 */
import { describe, expect, it } from "vitest";
import { ConversationHistory, NEW_CLIENT_LOOSE_EVENTS } from "../../../server/transport/conversation.js";
import { EventLog } from "../../../server/transport/event-log.js";
import type { EventInput } from "../../../server/protocol/index.js";
import { validateEvent } from "../../../server/protocol/index.js";
import { encodeReplay } from "../../../server/transport/replay.js";

function setup(turns: number, maxProgressBytes?: number) {
  const log = new EventLog({ maxEvents: 1000, maxBytes: 1 << 20 });
  const history = new ConversationHistory({ turns, ...(maxProgressBytes !== undefined ? { maxProgressBytes } : {}) });
  const add = (e: EventInput) => {
    const entry = log.append(validateEvent(e));
    history.add(entry);
    return entry.event.seq;
  };
  const kept = () => history.events().map((e) => `${e.seq}:${e.type}`);
  return { history, add, kept };
}

const progress = (turn: string, i: number): EventInput => ({ type: "llm_progress", data: { turn_id: turn, delta: `w${i} `, index: i } });
const result = (turn: string): EventInput => ({ type: "llm_result", data: { turn_id: turn, text: "done", finish_reason: "stop", rounds: 1, duration_ms: 1 } });
const state = (s: "idle" | "thinking", turn: string | null): EventInput => ({ type: "state_change", data: { state: s, previous: "idle", path: s, turn_id: turn, mode: null } });
const cut = (turn: string, by: string | null): EventInput => ({ type: "turn_interrupted", data: { turn_id: turn, reason: by ? "barge_in" : "stop", state: "speaking", by, heard_ms: 0, heard_text: "" } });
const info = (i: number): EventInput => ({ type: "system_info", data: { version: `v${i}`, uptime: i, memory: 1 } });

describe("ConversationHistory", () => {
  it("keeps the running turn's progress, and folds it once the turn ends", () => {
    const { add, kept } = setup(5);
    add(state("thinking", "t1"));
    add(progress("t1", 0));
    add(progress("t1", 1));
    expect(kept()).toEqual(["1:state_change", "2:llm_progress", "3:llm_progress"]);
    add(result("t1"));
    add(cut("t1", null));
    add(progress("t1", 2)); // late progress of a finished turn
    add(state("idle", null));
    expect(kept()).toEqual(["4:llm_result", "5:turn_interrupted", "7:state_change"]);
  });

  it("a barge-in (a newer turn starting) finishes the turn it cut", () => {
    const { add, kept } = setup(5);
    add(progress("t1", 0));
    add(progress("t2", 0));
    expect(kept()).toEqual(["2:llm_progress"]);
  });

  it("keeps the last `turns` turns; a dropped turn's late events do not start a fragment", () => {
    const { history, add, kept } = setup(2);
    for (const t of ["t1", "t2", "t3"]) add(result(t));
    expect(history.turnIds()).toEqual(["t2", "t3"]);
    add(cut("t1", null));
    expect(kept()).toEqual(["2:llm_result", "3:llm_result"]);
  });

  it("bounds the running turn's progress in bytes, oldest first", () => {
    const { add, kept } = setup(5, 250);
    add(result("t0"));
    for (let i = 0; i < 5; i++) add(progress("t1", i)); // about 110 bytes each
    expect(kept()).toEqual(["1:llm_result", "5:llm_progress", "6:llm_progress"]);
  });

  it("keeps events of no turn newer than the oldest turn, at most NEW_CLIENT_LOOSE_EVENTS, and the newest state_change", () => {
    const { add, kept } = setup(1);
    add(info(0));
    add(state("idle", null));
    add(result("t1"));
    expect(kept()).toEqual(["2:state_change", "3:llm_result"]); // info 0 predates t1
    for (let i = 1; i <= NEW_CLIENT_LOOSE_EVENTS + 5; i++) add(info(i));
    const events = kept();
    expect(events.filter((e) => e.endsWith("system_info"))).toHaveLength(NEW_CLIENT_LOOSE_EVENTS);
    expect(events.at(-1)).toBe(`${3 + NEW_CLIENT_LOOSE_EVENTS + 5}:system_info`);
    expect(events).toContain("2:state_change");
  });

  it("refuses a negative number of turns", () => {
    expect(() => new ConversationHistory({ turns: -1 })).toThrow(TypeError);
  });
});

describe("encodeReplay", () => {
  it("gives the bytes JSON.stringify gives for the whole replay event", () => {
    const { history, add } = setup(5);
    add(progress("t1", 0));
    add({ type: "tool_call", data: { turn_id: "t1", call_id: "c1", name: "calc", arguments: { text: 'quote " and \u2028 and é' } } });
    const entries = history.entries();
    const head = { since: null, first_seq: 1, last_seq: 2, missed: 0, reset: false, kind: "conversation" as const, turns: ["t1"] };
    const timestamp = "2026-11-30T01:02:03.456Z";
    const expected = JSON.stringify({ type: "replay", data: { since: null, events: entries.map((e) => e.event), first_seq: 1, last_seq: 2, missed: 0, reset: false, kind: "conversation", turns: ["t1"] }, timestamp });
    expect(encodeReplay(head, entries.map((e) => e.frame), timestamp).toString()).toBe(expected);
  });
});
