/**
 * The `coda-lite` client profile: Coda Lite's dashboard and test clients,
 * spoken at the edge. The machine and the v1 events do not change; a
 * connection with the profile gets each v1 event with the legacy fields
 * merged in, the legacy events Coda Lite reads (coda-lite-events.ts), its
 * replay with top-level `events`, and `system_metrics` every few seconds;
 * its legacy commands are rewritten to v1 ones (coda-lite-commands.ts).
 * The composition root (server/app) registers it with the WebSocketServer;
 * the transport knows it only as a ClientProfile. What works and what
 * cannot is docs/compat-coda-lite.md.
 */
import type { ClientProfile } from "../transport/index.js";
import { codaLiteDialect } from "./coda-lite-commands.js";
import { CodaLiteEncoder, encodeLegacy } from "./coda-lite-encoder.js";
import { SystemMetricsSampler } from "./system-metrics.js";

export interface CodaLiteProfileOptions {
  /** How often its clients get `system_metrics`. Default 5000 ms (at least 100). */
  systemMetricsIntervalMs?: number;
}

/**
 * The coda-lite profile, for `profiles` of a WebSocketServer.
 * @throws TypeError for a systemMetricsIntervalMs that is not an integer of at least 100.
 * @example
 * const server = new WebSocketServer({ profiles: [createCodaLiteProfile()], compat: "coda-lite" });
 */
export function createCodaLiteProfile(options: CodaLiteProfileOptions = {}): ClientProfile {
  const intervalMs = options.systemMetricsIntervalMs ?? 5000;
  if (!Number.isInteger(intervalMs) || intervalMs < 100) throw new TypeError(`systemMetricsIntervalMs must be an integer of at least 100 (ms), got ${intervalMs}`);
  const sampler = new SystemMetricsSampler();
  return {
    name: "coda-lite",
    dialect: codaLiteDialect,
    createEncoder: () => new CodaLiteEncoder(),
    periodic: { intervalMs, frame: () => encodeLegacy(sampler.sample()) },
  };
}
