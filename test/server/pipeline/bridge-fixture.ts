/**
 * Test fixture for bridge tests: a bridge over scripted engines (zero
 * latency unless a test asks for more), the events it delivers (each one
 * validated against the wire schema as it arrives), and waiting helpers.
 */
import { ScriptedLlmEngine, type ScriptedLlmOptions } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore, type InMemoryStoreOptions } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine, type ScriptedSttOptions } from "../../../actors/stt/testing/scripted.js";
import { FakeToolRunner, FAKE_TOOLS, type FakeTool } from "../../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine, type ScriptedTtsOptions } from "../../../actors/tts/testing/scripted.js";
import { createBridge, type Bridge, type BridgeOptions } from "../../../server/pipeline/bridge.js";
import { validateEvent, type ServerEvent } from "../../../server/protocol/index.js";

export interface FixtureOptions {
  stt?: ScriptedSttOptions;
  llm?: ScriptedLlmOptions;
  tts?: ScriptedTtsOptions;
  memory?: InMemoryStoreOptions;
  tools?: Record<string, FakeTool>;
  machine?: BridgeOptions["machine"];
  demoPartialDelayMs?: number;
  metricsWindow?: number;
  /** Playout clock, pacing lead and tts_progress granularity (BridgeOptions). */
  playoutClock?: BridgeOptions["playoutClock"];
  audioLeadMs?: number;
  ttsProgressMs?: number;
}

export interface Fixture {
  bridge: Bridge;
  stt: ScriptedSttEngine;
  llm: ScriptedLlmEngine;
  tts: ScriptedTtsEngine;
  memory: InMemoryStore;
  tools: FakeToolRunner;
  /** Every delivered event, validated, in order. */
  events: ServerEvent[];
  /** Resolve once `predicate` holds for a delivered event (checks earlier ones too). */
  waitFor(predicate: (e: ServerEvent) => boolean, what?: string): Promise<ServerEvent>;
  /** Resolve once the bridge reports `state` (checks the current state too). */
  waitForState(state: string): Promise<void>;
  ofTurn(turnId: string): ServerEvent[];
  types(turnId?: string): string[];
  close(): Promise<void>;
}

export const client = { clientId: "c1" };

/** Turn id of a pipeline event (null for others). */
export function turnOf(e: ServerEvent): string | null {
  const d = e.data as { turn_id?: unknown };
  return typeof d.turn_id === "string" ? d.turn_id : null;
}

export function createFixture(o: FixtureOptions = {}): Fixture {
  const stt = new ScriptedSttEngine(o.stt);
  const llm = new ScriptedLlmEngine(o.llm);
  const tts = new ScriptedTtsEngine({ msPerChar: 10, chunkMs: 100, ...o.tts });
  const memory = new InMemoryStore(o.memory);
  const tools = new FakeToolRunner(o.tools ?? FAKE_TOOLS);
  const failures: string[] = [];
  const bridge = createBridge({
    logger: { info() {}, warn() {}, error: (msg, fields) => failures.push(`${msg} ${JSON.stringify(fields)}`) },
    engines: { stt, llm, tts, memory, tools },
    machine: o.machine,
    demoPartialDelayMs: o.demoPartialDelayMs ?? 0,
    metricsWindow: o.metricsWindow,
    ...(o.playoutClock ? { playoutClock: o.playoutClock } : {}),
    ...(o.audioLeadMs !== undefined ? { audioLeadMs: o.audioLeadMs } : {}),
    ...(o.ttsProgressMs !== undefined ? { ttsProgressMs: o.ttsProgressMs } : {}),
  });
  const events: ServerEvent[] = [];
  const waiters = new Set<{ predicate: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }>();
  bridge.subscribe((input) => {
    const event = validateEvent(input); // throws (and fails the test) on anything off-schema
    events.push(event);
    for (const w of waiters) {
      if (w.predicate(event)) {
        waiters.delete(w);
        w.resolve(event);
      }
    }
  });
  const waitFor = (predicate: (e: ServerEvent) => boolean, what = "event") => {
    const seen = events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<ServerEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`timed out waiting for ${what}; got: ${events.map((e) => e.type).join(", ")}`));
      }, 5000);
      const w = {
        predicate,
        resolve: (e: ServerEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      waiters.add(w);
    });
  };
  return {
    bridge,
    stt,
    llm,
    tts,
    memory,
    tools,
    events,
    waitFor,
    async waitForState(state) {
      if (bridge.state() === state) return;
      await waitFor((e) => e.type === "state_change" && e.data.state === state, `state ${state}`);
    },
    ofTurn: (turnId) => events.filter((e) => turnOf(e) === turnId),
    types: (turnId) => (turnId ? events.filter((e) => turnOf(e) === turnId && e.type !== "state_change") : events).map((e) => e.type),
    async close() {
      await bridge.stop();
      // A listener that threw (e.g. an event off the wire schema) fails the test here.
      if (failures.length) throw new Error(`bridge reported errors:\n${failures.join("\n")}`);
    },
  };
}

/** Collapse runs of the same type: ["a","b","b","c"] -> ["a","b+","c"]. */
export function runs(types: string[]): string[] {
  const out: string[] = [];
  for (const t of types) {
    const last = out[out.length - 1];
    if (last === t || last === `${t}+`) out[out.length - 1] = `${t}+`;
    else out.push(t);
  }
  return out;
}
