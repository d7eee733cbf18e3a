/**
 * Script (`npm run docs:trace`): runs two demo turns through the app as
 * `npm start` builds it (built-in responder and tools, embedded eSpeak,
 * tracing on) against a local OTLP/HTTP collector, and draws the second
 * turn's trace (the first one warms the synthesiser) to docs/trace.svg.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { createCodaServer } from "../../../server/app/app.js";
import { loadConfig } from "../../../server/app/config.js";
import { silentLogger } from "../../../server/app/logger.js";
import { startOtlpCollector } from "../../helpers/otlp-collector.js";
import { traceSvg } from "./trace-svg.js";

const collector = await startOtlpCollector();
const { config } = loadConfig(
  ["--host", "127.0.0.1", "--port", "0", "--memory-db", "off", "--stt-engine", "none", "--llm-engine", "builtin", "--timezone", "UTC", "--tracing", "--tracing-endpoint", `${collector.url}/v1/traces`],
  {},
);
const app = await createCodaServer({ ...config, logger: silentLogger });
const ws = new WebSocket(`ws://127.0.0.1:${app.server.port}`, ["coda.v1"]);
await new Promise((r) => ws.once("open", r));
for (const text of ["hello there", "what is 12 times 7"]) {
  const idle = new Promise<void>((resolve) => {
    let traced = false;
    const onMessage = (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as { type: string; data: { state?: string } };
      if (m.type === "latency_trace") traced = true;
      if (traced && m.type === "state_change" && m.data.state === "idle") {
        ws.off("message", onMessage);
        resolve();
      }
    };
    ws.on("message", onMessage);
  });
  ws.send(JSON.stringify({ type: "demo_flow", data: { text } }));
  await idle;
}
ws.close();
await app.stop();
await collector.close();
const roots = collector.spans.filter((s) => s.name === "turn");
const root = roots[roots.length - 1]!;
const out = fileURLToPath(new URL("../../../docs/trace.svg", import.meta.url));
writeFileSync(out, traceSvg(collector.spans, root));
console.log(`wrote docs/trace.svg (${collector.spans.filter((s) => s.traceId === root.traceId).length} spans)`);
