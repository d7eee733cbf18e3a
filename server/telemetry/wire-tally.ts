/**
 * Plain counters the transport bumps on its hot paths (every frame to every
 * client): two integer additions, no lookups, so a server with metrics off
 * pays nothing measurable and one with metrics on reads them only when
 * Prometheus scrapes (server/telemetry/prometheus.ts).
 */

/** Why the server cut a client. */
export const DROP_REASONS = ["slow", "heartbeat", "rate_limit"] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface WireTally {
  /** Text frames (events) queued to clients, and their bytes. */
  events: number;
  eventBytes: number;
  /** Binary frames (synthesised speech) queued to clients, and their bytes. */
  audioFrames: number;
  audioBytes: number;
  /** Clients the server closed, by reason. */
  drops: Record<DropReason, number>;
  /** command_error replies, by code. */
  commandErrors: Map<string, number>;
}

export function createWireTally(): WireTally {
  return { events: 0, eventBytes: 0, audioFrames: 0, audioBytes: 0, drops: { slow: 0, heartbeat: 0, rate_limit: 0 }, commandErrors: new Map() };
}
