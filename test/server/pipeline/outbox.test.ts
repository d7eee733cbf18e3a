/**
 * The outbox of a session: events and playout updates leave in the order
 * they were queued, a microtask later (never inside the call that queued
 * them), lazily built events are built at delivery, and a subscriber or an
 * update that throws is logged without stopping the others.
 */
import { describe, expect, it } from "vitest";
import { Outbox } from "../../../server/pipeline/outbox.js";
import type { EventInput } from "../../../server/protocol/index.js";

const ev = (index: number): EventInput => ({ type: "llm_progress", data: { turn_id: "t1", delta: `d${index}`, index } });

function recorder() {
  const logged: { msg: string; fields?: object }[] = [];
  const logger = { info() {}, warn() {}, error: (msg: string, fields?: object) => logged.push({ msg, fields }) };
  return { logged, outbox: new Outbox(logger) };
}

describe("Outbox", () => {
  it("delivers events and updates in queue order, after the current step", async () => {
    const { outbox } = recorder();
    const seen: string[] = [];
    outbox.subscribe((e) => seen.push(`event ${(e.data as { index: number }).index}`));
    outbox.events([ev(0), ev(1)]);
    outbox.run(() => seen.push("update"));
    outbox.events([ev(2)]);
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual(["event 0", "event 1", "update", "event 2"]);
  });

  it("builds a lazy item at delivery, after the updates queued before it", async () => {
    const { outbox } = recorder();
    const seen: EventInput[] = [];
    outbox.subscribe((e) => seen.push(e));
    let heard = "nothing yet";
    outbox.run(() => (heard = "The first—"));
    outbox.events(() => [{ type: "turn_interrupted", data: { turn_id: "t1", reason: "stop", state: "speaking", by: null, heard_ms: 500, heard_text: heard } }]);
    await Promise.resolve();
    expect(seen.map((e) => (e.data as { heard_text: string }).heard_text)).toEqual(["The first—"]);
  });

  it("what an update queues goes out after the batch being delivered", async () => {
    const { outbox } = recorder();
    const seen: number[] = [];
    outbox.subscribe((e) => seen.push((e.data as { index: number }).index));
    outbox.run(() => outbox.events([ev(9)]));
    outbox.events([ev(1)]);
    await Promise.resolve();
    expect(seen).toEqual([1]);
    await Promise.resolve();
    expect(seen).toEqual([1, 9]);
  });

  it("flush delivers at once, and the scheduled delivery then finds nothing", async () => {
    const { outbox } = recorder();
    const seen: number[] = [];
    outbox.subscribe((e) => seen.push((e.data as { index: number }).index));
    outbox.events([ev(1)]);
    outbox.flush();
    expect(seen).toEqual([1]);
    await Promise.resolve();
    expect(seen).toEqual([1]);
  });

  it("a subscriber or an update that throws is logged; the others still get everything", async () => {
    const { outbox, logged } = recorder();
    const seen: number[] = [];
    outbox.subscribe(() => {
      throw new Error("listener broke");
    });
    const unsubscribe = outbox.subscribe((e) => seen.push((e.data as { index: number }).index));
    outbox.run(() => {
      throw new Error("sink broke");
    });
    outbox.events([ev(1), ev(2)]);
    await Promise.resolve();
    expect(seen).toEqual([1, 2]);
    expect(logged).toEqual([
      { msg: "pipeline playout update failed", fields: { error: "Error: sink broke" } },
      { msg: "pipeline event listener failed", fields: { type: "llm_progress", error: "Error: listener broke" } },
      { msg: "pipeline event listener failed", fields: { type: "llm_progress", error: "Error: listener broke" } },
    ]);
    unsubscribe();
    outbox.events([ev(3)]);
    await Promise.resolve();
    expect(seen).toEqual([1, 2]);
  });
});
