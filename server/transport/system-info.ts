/** Builds the `system_info` event data from the process and the pipeline. */
import type { EventData } from "../protocol/index.js";
import { PROTOCOL_VERSION } from "../protocol/index.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import { SERVER_VERSION } from "./version.js";

export function buildSystemInfo(startedAt: number, clients: number, pipeline: Pipeline | undefined): EventData<"system_info"> {
  const mem = process.memoryUsage();
  return {
    version: SERVER_VERSION,
    uptime: Math.round((performance.now() - startedAt) / 10) / 100,
    memory: mem.rss,
    protocol_version: PROTOCOL_VERSION,
    clients,
    heap_used: mem.heapUsed,
    heap_total: mem.heapTotal,
    state: pipeline ? pipeline.state() : null,
    engines: pipeline ? pipeline.engines() : {},
    ...(pipeline?.voice ? { voice: pipeline.voice() } : {}),
  };
}
