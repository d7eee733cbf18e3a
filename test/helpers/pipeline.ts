/**
 * A voice pipeline behind a real WebSocket for tests: createBridge over
 * scripted engines (the answer "Okay."), any of which a test replaces, a
 * WebSocketServer on a free loopback port, and real clients. Everything it
 * opens is pushed onto the caller's cleanup list (useCleanup), so it is
 * closed newest first after the test: clients, then the server, then the
 * bridge. `startSessions` is the same with one bridge per session over
 * shared engines, as createCodaServer makes them.
 */
import type { VoiceEngines } from "../../actors/index.js";
import { ScriptedLlmEngine } from "../../actors/llm/testing/scripted.js";
import { InMemoryStore } from "../../actors/memory/testing/in-memory.js";
import { ScriptedSttEngine } from "../../actors/stt/testing/scripted.js";
import { FakeToolRunner } from "../../actors/tools/testing/fake-runner.js";
import { ScriptedTtsEngine } from "../../actors/tts/testing/scripted.js";
import { createBridge, type Bridge, type BridgeOptions } from "../../server/pipeline/bridge.js";
import type { WebSocketServerOptions } from "../../server/transport/server.js";
import type { Closer } from "./cleanup.js";
import { TestClient } from "./client.js";
import { startServer, type TestServer } from "./server.js";

export type PipelineOptions = Omit<BridgeOptions, "engines"> & {
  /** Engines to use instead of the scripted ones. */
  engines?: Partial<VoiceEngines>;
  /** WebSocketServer options besides the pipeline (e.g. `dependencies`). */
  server?: Omit<WebSocketServerOptions, "pipeline">;
};

export interface TestPipeline {
  bridge: Bridge;
  server: TestServer;
  /** Connect a client (to `path`, e.g. "/?audio=1"), closed after the test; resolves after its replay. */
  connect(path?: string): Promise<TestClient>;
}

/** Scripted engines for every stage, answering "Okay."; `engines` replaces any of them. */
export function scriptedEngines(engines: Partial<VoiceEngines> = {}): VoiceEngines {
  return {
    stt: new ScriptedSttEngine(),
    llm: new ScriptedLlmEngine({ answer: "Okay." }),
    tts: new ScriptedTtsEngine(),
    memory: new InMemoryStore(),
    tools: new FakeToolRunner(),
    ...engines,
  };
}

/**
 * Start a bridge and a WebSocketServer over it; both are stopped after the
 * test through `cleanup`.
 * @example const { connect } = await startPipeline(closers, { engines: { stt }, vad }); const client = await connect();
 */
export async function startPipeline(cleanup: Closer[], options: PipelineOptions = {}): Promise<TestPipeline> {
  const { engines, server: serverOptions, ...bridgeOptions } = options;
  const bridge = createBridge({ ...bridgeOptions, engines: scriptedEngines(engines) });
  cleanup.push(() => bridge.stop());
  const server = await startServer({ ...serverOptions, pipeline: bridge });
  cleanup.push(() => server.stop());
  return {
    bridge,
    server,
    async connect(path = "") {
      const client = await TestClient.connect(`${server.wsUrl}${path}`);
      cleanup.push(() => client.close());
      await client.waitForType("replay");
      return client;
    },
  };
}

export interface TestSessions {
  server: TestServer;
  /** The engines every session's bridge shares. */
  engines: VoiceEngines;
  /** Every bridge made, by session id, the newest for an id that was made again. */
  bridges: Map<string, Bridge>;
  /** How many bridges were made (sessions made, `default` included). */
  made(): number;
  /** Connect a client to `query` (e.g. "session=a&user=ana"), closed after the test; resolves after its replay. */
  connect(query?: string): Promise<TestClient>;
}

/**
 * A WebSocketServer that gives every session its own bridge over one set of
 * scripted engines (any replaced), with `closeEngines: false`.
 * @example const { connect } = await startSessions(closers, { server: { maxSessions: 3 } }); const a = await connect("session=a");
 */
export async function startSessions(
  cleanup: Closer[],
  options: PipelineOptions & { server?: Omit<WebSocketServerOptions, "pipeline" | "sessions"> } = {},
): Promise<TestSessions> {
  const { engines: given, server: serverOptions, ...bridgeOptions } = options;
  const engines = scriptedEngines(given);
  const bridges = new Map<string, Bridge>();
  let made = 0;
  const server = await startServer({
    ...serverOptions,
    sessions: (id) => {
      const bridge = createBridge({ demoPartialDelayMs: 0, ...bridgeOptions, engines, closeEngines: false });
      bridges.set(id, bridge);
      made++;
      return bridge;
    },
  });
  cleanup.push(() => server.stop());
  return {
    server,
    engines,
    bridges,
    made: () => made,
    async connect(query = "") {
      const client = await TestClient.connect(`${server.wsUrl}/${query ? `?${query}` : ""}`);
      cleanup.push(() => client.close());
      await client.waitForType("replay");
      return client;
    },
  };
}
