/**
 * Options of the WebSocket server: one zod schema gives the defaults, the
 * validation and the documentation (docs/configuration.md).
 */
import { z } from "zod";
import { describeIssues, issuesFromZod } from "../protocol/index.js";
import { NO_PROFILE, PROFILE_NAME } from "./profile.js";

export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "::1", "[::1]"] as const;

export const ServerOptionsSchema = z.strictObject({
  host: z.string().min(1).default("localhost").describe("Interface to listen on; localhost binds 127.0.0.1 and ::1"),
  port: z.number().int().min(0).max(65535).default(8765).describe("TCP port; 0 picks a free one"),
  replaySize: z.number().int().min(0).max(1_000_000).default(10_000).describe("Most logged events kept for resume (?since=N)"),
  replayMaxBytes: z.number().int().min(0).default(4 * 1024 * 1024).describe("Most bytes of logged events (their JSON) kept for resume"),
  replayTurns: z.number().int().min(0).max(1000).default(20).describe("Turns a new client's replay holds whole"),
  allowedOrigins: z.array(z.string()).default([]).describe("Extra browser origins allowed to connect, e.g. http://localhost:5173"),
  allowedHosts: z.array(z.string()).default([]).describe("Extra Host header names accepted (besides loopback names and the listen host)"),
  token: z.string().min(16).optional().describe("Shared secret clients must present; it admits every session and user. A token (this one, or tokenSecret for scoped ones) is required when listening beyond loopback"),
  tokenSecret: z
    .string()
    .min(32)
    .optional()
    .describe("Secret of session-scoped tokens: a JWT signed with it (HS256) whose claims `session` and `user` name the one session and user it admits (docs/protocol.md, Sessions and users, says how to mint one). With it set, clients must present a token (this kind, or `token`)"),
  maxSessions: z.number().int().min(1).default(100).describe("Sessions (conversations) open at once, `default` included; a join that would open one more is refused with HTTP 503"),
  sessionIdleMs: z
    .number()
    .int()
    .min(0)
    .default(600_000)
    .describe("A session with no clients and its machine idle is closed after this long, and what it held freed (its history, log and machine); a later join makes it anew. `default` is never closed"),
  maxFrameBytes: z.number().int().min(1024).default(1024 * 1024).describe("Largest frame accepted; bigger frames close the connection with 1009"),
  maxCommandBytes: z.number().int().min(256).default(64 * 1024).describe("Largest text command; bigger ones get command_error too_large"),
  maxBufferedBytes: z.number().int().min(1024).default(4 * 1024 * 1024).describe("Bytes queued for one client before it is closed with 1013 as too slow"),
  maxClients: z.number().int().min(1).default(256).describe("Concurrent WebSocket clients; more are refused with HTTP 503"),
  maxPendingConnections: z.number().int().min(1).optional().describe("TCP connections kept that have not become WebSocket clients (HTTP requests, handshakes, idle sockets); past it the oldest is closed. Default: maxClients, so a burst of that many clients connecting at once gets in"),
  headersTimeoutMs: z.number().int().min(100).default(10_000).describe("A connection whose request headers are not complete by then gets 408 and is closed"),
  presenceIntervalMs: z.number().int().min(0).default(500).describe("Clients coming and going within this window are announced in one connection_status"),
  heartbeatMs: z.number().int().min(10).default(30_000).describe("Ping interval; a client that misses one pong is terminated"),
  ratePerSecond: z.number().positive().default(20).describe("Sustained commands per second per client (token bucket refill rate)"),
  rateBurst: z.number().int().min(1).default(40).describe("Commands a client may send at once (token bucket size)"),
  audioFramesPerSecond: z.number().int().min(1).default(100).describe("Binary (audio) frames per second per client, counted apart from commands; bursts of one second's worth"),
  rateViolationsBeforeClose: z.number().int().min(1).default(200).describe("Consecutive rate-limited commands after which the client is closed with 1008"),
  metrics: z.boolean().default(true).describe("Serve Prometheus metrics at /metrics (the JSON latency figures stay at /metrics.json either way)"),
  closeTimeoutMs: z.number().int().min(0).default(2000).describe("How long a client has to answer a close frame (on stop, or when cut as too slow) before its connection is dropped"),
  compat: z
    .string()
    .regex(PROFILE_NAME, "must be a client profile name")
    .default(NO_PROFILE)
    .describe("Client profile for clients that do not ask for one with ?compat=: none (protocol v1 only) or the name of a profile the server registers (createCodaServer and npm start register coda-lite)"),
});

export type ServerOptionsInput = z.input<typeof ServerOptionsSchema>;
export type ServerSettings = Omit<z.output<typeof ServerOptionsSchema>, "maxPendingConnections"> & { maxPendingConnections: number };

export function isLoopbackHost(host: string): boolean {
  return (LOOPBACK_HOSTS as readonly string[]).includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Validate options and apply defaults.
 * @throws TypeError naming the offending setting.
 */
export function resolveServerOptions(input: ServerOptionsInput): ServerSettings {
  const parsed = ServerOptionsSchema.safeParse(input);
  if (!parsed.success) throw new TypeError(`Invalid server option: ${describeIssues(issuesFromZod(parsed.error))}`);
  const s = parsed.data;
  if (!isLoopbackHost(s.host) && !s.token && !s.tokenSecret) {
    throw new TypeError(`Listening on ${s.host} (beyond loopback) requires a token: set the token option (--token or CODA_TOKEN), or tokenSecret for session-scoped tokens (--token-secret or CODA_TOKEN_SECRET)`);
  }
  if (s.maxCommandBytes > s.maxFrameBytes) throw new TypeError("maxCommandBytes must not exceed maxFrameBytes");
  return { ...s, maxPendingConnections: s.maxPendingConnections ?? s.maxClients };
}
