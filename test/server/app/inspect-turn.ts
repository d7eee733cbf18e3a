/** One scripted demo turn through a bridge with the given actor options (an inspector attached), for the --inspect suites. */
import { ScriptedLlmEngine } from "../../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../../actors/tts/testing/scripted.js";
import { createBridge } from "../../../server/pipeline/bridge.js";
import type { Closer } from "../../helpers/cleanup.js";

/** Run a demo_flow of `text` to idle; the bridge's stop is pushed onto `cleanup`. */
export async function demoTurn(actorOptions: object, cleanup: Closer[], text = "hi there"): Promise<void> {
  const bridge = createBridge({
    engines: { stt: new ScriptedSttEngine(), llm: new ScriptedLlmEngine({ answer: "Hello there. Bye." }), tts: new ScriptedTtsEngine(), memory: new InMemoryStore(), tools: new FakeToolRunner() },
    demoPartialDelayMs: 0,
    actorOptions,
  });
  cleanup.push(() => bridge.stop());
  const idle = new Promise<void>((resolve) => bridge.subscribe((e) => e.type === "state_change" && e.data.state === "idle" && resolve()));
  bridge.dispatch({ type: "demo_flow", data: { text } }, { clientId: "c1" });
  await idle;
}
