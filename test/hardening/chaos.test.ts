/**
 * Chaos (issue 7, item 5): 1,000 command rounds through a real WebSocket
 * client against WebSocketServer + createBridge, with engines that at random
 * work, fail, hang until aborted, ignore the abort and answer late, throw
 * mid-stream or return malformed output, under short deadlines (20-50 ms).
 * Rounds are typed turns, demo turns and voice turns, sometimes cut by
 * stop_speaking or a barge-in. Properties:
 * - after every round the machine is back at rest (idle, actor alive);
 * - every `stt_start` / `llm_start` / `tts_start` of a turn is followed by
 *   exactly one `*_result` or `*_error` of that turn, every `tool_call` by
 *   exactly one `tool_result` / `tool_error` with its call_id;
 * - a turn's events form one block: nothing of a turn arrives after a later
 *   turn's events or after the rest that ended it (late engine output is dropped);
 * - `seq` runs 1..N without gaps or repeats; every pipeline event passed the
 *   wire schema (the server logs and drops invalid ones: none were);
 * - no unhandled rejection or uncaught exception.
 * A seeded generator makes a failure replayable (CHAOS_SEED overrides).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createBridge, type Bridge } from "../../server/pipeline/bridge.js";
import type { Logger } from "../../server/app/logger.js";
import type { WebSocketServer } from "../../server/transport/server.js";
import { TestClient, type Received } from "../helpers/client.js";
import { startServer } from "../helpers/server.js";
import { validateEvent } from "../../server/protocol/index.js";
import { audio, ChaosLlm, ChaosMemory, ChaosStt, ChaosTools, ChaosTts, forced, modeCounts, pick, random, seedChaos, ONCE_FATAL } from "./chaos-engines.js";
import { captureUnhandled } from "../helpers/unhandled.js";

const ROUNDS = 1000;
const SEED = Number(process.env.CHAOS_SEED ?? 20260501);
const DEADLINES = { sttMs: 50, memoryMs: 20, llmMs: 50, toolMs: 20, ttsMs: 40 };

// --- checks -----------------------------------------------------------------

const turnOf = (e: Received) => (e.data as { turn_id?: unknown }).turn_id as string | null | undefined;

/**
 * The one event of a turn that may come after the next turn started: the
 * outcome of storing what was heard of a cut turn (docs/voice-machine.md,
 * "What is remembered"), after its turn_interrupted, once.
 */
function lateMemoryOfCutTurn(earlier: Received[], e: Received): boolean {
  if (e.type !== "memory_store" && e.type !== "memory_error") return false;
  const cutAt = earlier.findIndex((x) => x.type === "turn_interrupted");
  return cutAt >= 0 && !earlier.slice(cutAt + 1).some((x) => x.type === "memory_store" || x.type === "memory_error");
}

/** Check the pairing rules of one turn's events; returns problems found (empty: none). */
function checkTurn(turnId: string, events: Received[]): string[] {
  const problems: string[] = [];
  const types = events.map((e) => e.type);
  const pair = (start: string, ends: string[], many = false) => {
    const starts = types.flatMap((t, i) => (t === start ? [i] : []));
    const endIdx = types.flatMap((t, i) => (ends.includes(t) ? [i] : []));
    if (!many && starts.length > 1) problems.push(`${turnId}: ${starts.length} ${start}`);
    if (starts.length === 0) {
      if (endIdx.length) problems.push(`${turnId}: ${ends.join("/")} without ${start}`);
      return;
    }
    if (endIdx.length !== 1) problems.push(`${turnId}: ${start} followed by ${endIdx.length} of ${ends.join("/")}: ${types.join(",")}`);
    else if (endIdx[0]! < starts[starts.length - 1]!) problems.push(`${turnId}: ${ends.join("/")} before the last ${start}: ${types.join(",")}`);
  };
  pair("stt_start", ["stt_result", "stt_error"]);
  pair("llm_start", ["llm_result", "llm_error"], true);
  pair("tts_start", ["tts_result", "tts_error"]);
  const calls = new Map<string, number>();
  for (const e of events) {
    const d = e.data as { call_id?: string };
    if (e.type === "tool_call") calls.set(d.call_id!, 0);
    if (e.type === "tool_result" || e.type === "tool_error") {
      if (!calls.has(d.call_id!)) problems.push(`${turnId}: ${e.type} for unknown call ${d.call_id}`);
      else calls.set(d.call_id!, calls.get(d.call_id!)! + 1);
    }
  }
  for (const [id, n] of calls) if (n !== 1) problems.push(`${turnId}: tool_call ${id} answered ${n} times`);
  return problems;
}

describe("chaos: 1,000 rounds with engines that fail, hang, crash and lie", () => {
  const unhandled = captureUnhandled();

  it("every round ends at rest, every start has its end, seq is gapless, nothing is unhandled", async () => {
    const serverErrors: string[] = [];
    const logger: Logger = { info() {}, warn() {}, error: (m, f) => serverErrors.push(`${m} ${JSON.stringify(f)}`) };
    const bridgeErrors: string[] = [];
    let bridge: Bridge | undefined;
    let server: (WebSocketServer & { wsUrl: string }) | undefined;
    let client: TestClient | undefined;
    seedChaos(SEED);
    try {
      bridge = createBridge({
        engines: { stt: new ChaosStt(), llm: new ChaosLlm(), tts: new ChaosTts(), memory: new ChaosMemory(), tools: new ChaosTools() },
        machine: { deadlines: DEADLINES },
        audio,
        demoPartialDelayMs: 0,
        logger: { info() {}, warn() {}, error: (m, f) => bridgeErrors.push(`${m} ${JSON.stringify(f)}`) },
      });
      server = await startServer({ pipeline: bridge, logger, ratePerSecond: 1e6, rateBurst: 1e6, audioFramesPerSecond: 1e6 });
      client = await TestClient.connect(server.wsUrl);
      await client.waitForType("replay");
      const b = bridge;
      const s = server;
      const c = client;

      const lastLogged = () => {
        for (let i = c.messages.length - 1; i >= 0; i--) if (c.messages[i]!.seq !== undefined) return c.messages[i]!.seq!;
        return 0;
      };
      /** Rest: the machine is idle and alive, and the client has every logged event. */
      const atRest = async (round: number) => {
        const end = Date.now() + 5000;
        while (!(b.state() === "idle" && lastLogged() === s.lastSeq && s.lastSeq > 0)) {
          if (Date.now() > end) {
            const tail = c.messages.slice(-25).map((m) => `${m.seq ?? "-"} ${m.type} ${JSON.stringify(m.data).slice(0, 140)}`);
            throw new Error(`round ${round}: not at rest (state ${b.state()}, path ${b.actor.getSnapshot().context.path}, client seq ${lastLogged()}, server seq ${s.lastSeq}); modes ${JSON.stringify(modeCounts)}; last events:\n${tail.join("\n")}`);
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        expect(b.actor.getSnapshot().status).toBe("active");
        const lastState = c.messages.filter((m) => m.type === "state_change").at(-1);
        expect(lastState?.data).toMatchObject({ state: "idle" });
      };

      const commands: Record<string, number> = {};
      for (let round = 1; round <= ROUNDS; round++) {
        const kind = pick(["text_input", "text_input", "demo_flow", "stt_start"] as const);
        const data = kind === "text_input" ? { text: `chaos round ${round}` } : kind === "stt_start" ? { mode: "push_to_talk" } : {};
        const answer = await c.command(kind, data, `r${round}`);
        expect(answer.type, JSON.stringify(answer.data)).toBe("command_ack");
        commands[kind] = (commands[kind] ?? 0) + 1;
        const extra = random();
        if (extra < 0.15) {
          await new Promise((r) => setTimeout(r, Math.floor(random() * 30)));
          const cut = random() < 0.5 ? { type: "stop_speaking", data: {} } : { type: "text_input", data: { text: `barge in ${round}` } };
          const reply = await c.command(cut.type, cut.data, `x${round}`);
          // Either accepted, or refused because the turn had already ended / was listening.
          if (reply.type === "command_error") expect(["invalid_state", "busy"]).toContain((reply.data as { code: string }).code);
          commands[`${cut.type} (cut)`] = (commands[`${cut.type} (cut)`] ?? 0) + 1;
        }
        await atRest(round);
      }

      // --- whole-run checks on what the client received ---
      const logged = c.messages.filter((m) => m.seq !== undefined);
      expect(logged.map((m) => m.seq)).toEqual(Array.from({ length: s.lastSeq }, (_, i) => i + 1));
      const byTurn = new Map<string, Received[]>();
      const order: string[] = [];
      for (const e of logged) {
        const t = turnOf(e);
        if (typeof t !== "string") continue;
        if (!byTurn.has(t)) {
          byTurn.set(t, []);
          order.push(t);
        } else if (order.at(-1) !== t && !lateMemoryOfCutTurn(byTurn.get(t)!, e)) {
          throw new Error(`turn ${t} has an event (${e.type}, seq ${e.seq}) after turn ${order.at(-1)} started`);
        }
        byTurn.get(t)!.push(e);
      }
      const all = [...byTurn].flatMap(([t, evs]) => checkTurn(t, evs).map((p) => ({ p, interrupted: evs.some((e) => e.type === "turn_interrupted") })));
      expect(all.map((x) => x.p)).toEqual([]);
      expect(byTurn.size).toBeGreaterThanOrEqual(ROUNDS);
      // Each round's last event before its rest is the idle state_change: nothing of a turn follows its rest.
      const outcomes = { stt_error: 0, llm_error: 0, tts_error: 0, memory_error: 0, tool_error: 0, llm_result: 0, turn_interrupted: 0 };
      for (const e of logged) if (e.type in outcomes) outcomes[e.type as keyof typeof outcomes]++;
      console.info(`chaos seed ${SEED}: ${byTurn.size} turns, ${s.lastSeq} events; commands ${JSON.stringify(commands)}; outcomes ${JSON.stringify(outcomes)}`);
      // Every kind of fault actually happened, so the run proved something about each.
      for (const k of ["stt_error", "llm_error", "tts_error", "memory_error", "tool_error", "turn_interrupted"] as const) expect(outcomes[k]).toBeGreaterThan(0);
      expect(serverErrors).toEqual([]);
      expect(bridgeErrors).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      await client?.close();
      await server?.stop();
      await bridge?.stop();
    }
  }, 180_000);
});

/**
 * Engine output that once broke the machine (docs/reliability.md, "Fixed
 * gaps"). Each case runs turns with that one malformed answer and expects
 * what the random run proves for every shape: the machine back at rest and
 * every event valid on the wire.
 */
describe("malformed engine output that once broke the machine", () => {
  const what: Record<string, string[]> = {
    llm: ["", "", "tool_call chunk with call null", "tool_call with numeric id and null name"],
    recall: ["", "a hit whose item is null", "a hit whose item has a numeric id and text", "", "a list holding null"],
    store: ["storeTurn resolving null", "storeTurn resolving {id: 5}", 'storeTurn resolving "stored"', "storeTurn resolving {}"],
    tool: ["ToolRunner.run resolving null", "", "", "a failed outcome without code and message"],
  };
  const cases = Object.entries(ONCE_FATAL).flatMap(([stage, idx]) => idx.map((i) => [stage, i, what[stage]?.[i] ?? `shape ${i}`] as const));

  afterEach(() => {
    for (const k of Object.keys(forced)) delete forced[k];
  });

  it.each(cases)("%s shape %i (%s): the turn ends at rest with valid events", async (stage, index) => {
    for (const st of ["stt", "llm", "tts", "recall", "store", "tool"]) forced[st] = { mode: "ok" };
    forced[stage] = { mode: "malformed", bad: index };
    if (stage === "tool") forced.llm = { mode: "ok", toolFirst: true };
    seedChaos(1);
    const errors: string[] = [];
    const bridge = createBridge({
      engines: { stt: new ChaosStt(), llm: new ChaosLlm(), tts: new ChaosTts(), memory: new ChaosMemory(), tools: new ChaosTools() },
      machine: { deadlines: DEADLINES },
      audio,
      logger: { info() {}, warn() {}, error: (m) => errors.push(m) },
    });
    bridge.subscribe((e) => {
      try {
        validateEvent(e);
      } catch (err) {
        errors.push((err as Error).message);
      }
    });
    try {
      for (let turn = 0; turn < 4; turn++) {
        bridge.dispatch({ type: "text_input", data: { text: `turn ${turn}` } }, { clientId: "c1" });
        const end = Date.now() + 500;
        while (bridge.state() !== "idle" && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
        expect(bridge.state()).toBe("idle");
      }
      await new Promise((r) => setTimeout(r, 10));
      expect(errors).toEqual([]);
      expect(bridge.actor.getSnapshot().status).toBe("active");
    } finally {
      await bridge.stop();
    }
  });
});

describe("an interrupted turn closes every stage it started", () => {
  afterEach(() => {
    for (const k of Object.keys(forced)) delete forced[k];
  });

  type Cmd = { type: "demo_flow"; data: object } | { type: "text_input"; data: { text: string } } | { type: "stop_speaking"; data: object };
  const stop: Cmd = { type: "stop_speaking", data: {} };
  async function interrupted(setup: () => void, start: Cmd, during: string, cut: Cmd = stop) {
    for (const st of ["stt", "llm", "tts", "recall", "store", "tool"]) forced[st] = { mode: "ok" };
    setup();
    const events: Received[] = [];
    const bridge = createBridge({
      engines: { stt: new ChaosStt(), llm: new ChaosLlm(), tts: new ChaosTts(), memory: new ChaosMemory(), tools: new ChaosTools() },
      machine: { deadlines: { ...DEADLINES, sttMs: 5000, toolMs: 5000 } },
      audio,
      demoPartialDelayMs: 5,
    });
    bridge.subscribe((e) => events.push(validateEvent(e)));
    try {
      bridge.dispatch(start as never, { clientId: "c1" });
      const end = Date.now() + 2000;
      // Where the session is, and where its running turn is.
      const where = () => JSON.stringify([bridge.actor.getSnapshot().value, bridge.actor.getSnapshot().children.turn?.getSnapshot().value ?? null]);
      while (!where().includes(during) && Date.now() < end) await new Promise((r) => setTimeout(r, 1));
      expect(where()).toContain(during);
      bridge.dispatch(cut as never, { clientId: "c1" });
      while (bridge.state() !== "idle" && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setTimeout(r, 5));
      return events.filter((e) => turnOf(e) === "t1");
    } finally {
      await bridge.stop();
    }
  }

  const toolRound = () => {
    forced.llm = { mode: "ok", toolFirst: true };
    forced.tool = { mode: "hang" };
  };
  const bargeIn: Cmd = { type: "text_input", data: { text: "never mind" } };

  it("the helper does interrupt a tool round and a demo utterance (checks the set-up of the two below)", async () => {
    const a = await interrupted(toolRound, { type: "text_input", data: { text: "use the tool" } }, "calling_tools");
    expect(a.map((e) => e.type)).toEqual(expect.arrayContaining(["tool_call", "llm_result", "turn_interrupted"]));
    const b = await interrupted(() => {}, { type: "demo_flow", data: {} }, "demo", bargeIn);
    expect(b.map((e) => e.type)).toEqual(expect.arrayContaining(["stt_start", "turn_interrupted"]));
  });

  it("a barge-in while listening closes the interrupted turn's stt_start with stt_result or stt_error", async () => {
    const events = await interrupted(() => {}, { type: "demo_flow", data: {} }, "demo", bargeIn);
    expect(checkTurn("t1", events)).toEqual([]);
  });

  it("stop_speaking during a tool round answers its tool_call with tool_error (code cancelled)", async () => {
    const events = await interrupted(toolRound, { type: "text_input", data: { text: "use the tool" } }, "calling_tools");
    expect(checkTurn("t1", events)).toEqual([]);
  });
});
