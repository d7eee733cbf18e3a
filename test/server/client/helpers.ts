/**
 * Helpers for client tests: a CodaClient on the `ws` package, a recorder of
 * everything it emits, and waiting with a deadline (a missing event fails
 * the test instead of hanging it).
 */
import WebSocket from "ws";
import { CodaClient, type CodaClientOptions, type WebSocketConstructor } from "../../../server/client/index.js";
import type { ServerEvent } from "../../../server/protocol/index.js";

export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

/** What a client emitted, in order. */
export interface Recording {
  events: { event: ServerEvent; replayed: boolean }[];
  /** Client-level notes: "state:open", "gap:3", "reset", "resume", "invalid". */
  notes: string[];
  /** seq of every delivered logged event, in delivery order. */
  seqs(): number[];
}

export function record(client: CodaClient): Recording {
  const rec: Recording = {
    events: [],
    notes: [],
    seqs: () => rec.events.filter((e) => e.event.seq !== undefined).map((e) => e.event.seq!),
  };
  client.on("event", (event, meta) => rec.events.push({ event, replayed: meta.replayed }));
  client.on("state", (s) => rec.notes.push(`state:${s}`));
  client.on("gap", (g) => rec.notes.push(`gap:${g.missed}`));
  client.on("reset", () => rec.notes.push("reset"));
  client.on("resume", (r) => rec.notes.push(`resume:${r.replayed}`));
  client.on("invalid", () => rec.notes.push("invalid"));
  return rec;
}

export function newClient(url: string, options: Partial<CodaClientOptions> = {}): CodaClient {
  return new CodaClient({ url, WebSocket: NodeWebSocket, backoff: { initialMs: 20, maxMs: 200 }, ...options });
}

/** Resolve with the next event of `type` the client delivers (live or replayed). */
export function next<T extends ServerEvent["type"]>(client: CodaClient, type: T, timeoutMs = 5000): Promise<Extract<ServerEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${type}`));
    }, timeoutMs);
    const off = client.on("event", (e) => {
      if (e.type !== type) return;
      clearTimeout(timer);
      off();
      resolve(e as Extract<ServerEvent, { type: T }>);
    });
  });
}
