/**
 * One pipeline per conversation over shared engines, the shape a server
 * with many sessions uses: bridges made over the same engine instances with
 * `closeEngines: false` run turns at the same time without seeing each
 * other's events or state, stopping one leaves the others and the engines
 * working, and many can be made and stopped in a row.
 */
import { describe, expect, it } from "vitest";
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { createBridge, type Bridge } from "../../../server/pipeline/bridge.js";
import type { EventInput } from "../../../server/protocol/index.js";

const engines = () => ({
  stt: new ScriptedSttEngine(),
  llm: new ScriptedLlmEngine({ answer: "Noted." }),
  tts: new ScriptedTtsEngine({ msPerChar: 1, chunkMs: 100 }),
  memory: new InMemoryStore(),
  tools: new FakeToolRunner(),
});

function session(shared: ReturnType<typeof engines>) {
  const bridge = createBridge({ engines: shared, closeEngines: false, demoPartialDelayMs: 0 });
  const events: EventInput[] = [];
  bridge.subscribe((e) => events.push(e));
  const idle = () =>
    new Promise<void>((resolve) => {
      const off = bridge.subscribe((e) => {
        if (e.type === "state_change" && e.data.state === "idle") {
          off();
          resolve();
        }
      });
    });
  return { bridge, events, idle };
}

const say = (b: Bridge, text: string) => b.dispatch({ type: "text_input", data: { text } }, { clientId: "c1" });

describe("bridges over shared engines", () => {
  it("run turns side by side, each with its own events, history and ids", async () => {
    const shared = engines();
    const a = session(shared);
    const b = session(shared);
    const done = Promise.all([a.idle(), b.idle()]);
    say(a.bridge, "first session speaking");
    say(b.bridge, "second session speaking");
    await done;
    for (const [s, text] of [
      [a, "first session speaking"],
      [b, "second session speaking"],
    ] as const) {
      const turnIds = new Set(s.events.map((e) => (e.data as { turn_id?: string }).turn_id).filter(Boolean));
      expect(turnIds).toEqual(new Set(["t1"]));
      expect(s.events.filter((e) => e.type === "llm_result").map((e) => e.data)).toEqual([expect.objectContaining({ turn_id: "t1", text: "Noted." })]);
      expect(s.bridge.actor.getSnapshot().context.history).toEqual([
        { role: "user", content: text },
        { role: "assistant", content: "Noted." },
      ]);
    }
    await a.bridge.stop();
    await b.bridge.stop();
  });

  it("stopping one leaves the other and the engines working; many can be made and stopped in a row", async () => {
    const shared = engines();
    const kept = session(shared);
    for (let i = 0; i < 50; i++) {
      const s = session(shared);
      const idle = s.idle();
      say(s.bridge, `question ${i}`);
      await idle;
      await s.bridge.stop();
      expect(s.bridge.state()).toBe("stopped");
    }
    const idle = kept.idle();
    say(kept.bridge, "still here?");
    await idle;
    expect(kept.events.filter((e) => e.type === "memory_store").map((e) => (e.data as { turn_id: string }).turn_id)).toEqual(["t1"]);
    // The shared store was never closed by the bridges that stopped: it holds every session's turns.
    expect((await shared.memory.list({ limit: 100 })).length).toBe(51);
    await kept.bridge.stop();
  });
});
