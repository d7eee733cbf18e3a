/**
 * Plain HTTP routes on the WebSocket port: health, the open sessions
 * (/sessions), metrics (Prometheus text at /metrics, the JSON latency
 * figures of a session at /metrics.json or /metrics with `Accept:
 * application/json`), the protocol's JSON Schema (/schema) and AsyncAPI
 * document (/asyncapi.yaml), and the dashboard (`/` and its static files
 * under `/dashboard/`, served by server/dashboard/serve.ts). Same Host and
 * Origin rules as the upgrade; when a token is configured every route needs
 * one except the dashboard's page and files, which a browser must be able
 * to load by navigation and <script> (no headers) and which hold no data,
 * only code: the page's script connects with the token as subprotocol.
 * A session-scoped token sees its own session only (in /sessions and
 * /metrics.json), and not the server-wide Prometheus figures.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { serveDashboard, type DashboardContext } from "../dashboard/serve.js";
import { buildAsyncApiYaml, buildProtocolSchema, DEFAULT_SESSION_ID } from "../protocol/index.js";
import { PROMETHEUS_CONTENT_TYPE } from "../telemetry/prometheus.js";
import { isRefusal, type Grant, type Refusal } from "./handshake.js";
import { HEALTH_OK } from "./health.js";
import { parseRequestTarget, type RequestTarget } from "./request-target.js";

export interface RouteContext extends DashboardContext {
  checkHost(req: IncomingMessage): Refusal | null;
  /** Origin rule of the upgrade; absent: not checked. */
  checkOrigin?(req: IncomingMessage): Refusal | null;
  /** Token rule of the upgrade (Bearer header); absent: everyone may see everything. */
  authorize?(req: IncomingMessage): Promise<Grant | Refusal>;
  /** The /health body; answered 503 when its `status` is not `ok`. */
  health(): Record<string, unknown>;
  /** The open sessions' rows, oldest first (`GET /sessions`). */
  sessions(): readonly { id: string }[];
  /** The performance_metrics data of session `id` (latency figures over its recent turns), or null when it is not open. */
  metrics(sessionId: string): unknown;
  /** Prometheus exposition text; null when metrics are off. */
  prometheus: (() => Promise<string>) | null;
  wsUrl(): string;
}

let schemaJson: string | undefined;
let asyncApiYaml: string | undefined;

/** A client that asks for JSON and not for a Prometheus format (Prometheus itself sends text/plain and openmetrics). */
function wantsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.includes("application/json") && !/text\/plain|openmetrics/.test(accept);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, "application/json; charset=utf-8", JSON.stringify(value));

export function handleHttp(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): void {
  const refused = ctx.checkHost(req) ?? ctx.checkOrigin?.(req);
  if (refused) return json(res, refused.status, { error: refused.reason });
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return json(res, 405, { error: `Method ${req.method} not allowed` });
  }
  const target = parseRequestTarget(req.url);
  if (!target) return json(res, 400, { error: "Bad request target: expected /path?query" });
  if (target.path === "/" || target.path.startsWith("/dashboard/") || !ctx.authorize) return route(req, res, target, ctx, { scope: null });
  ctx.authorize(req).then(
    (grant) => (isRefusal(grant) ? json(res, grant.status, { error: grant.reason }) : route(req, res, target, ctx, grant)),
    (err: unknown) => json(res, 500, { error: `Token check failed: ${(err as Error).message}` }),
  );
}

function route(req: IncomingMessage, res: ServerResponse, { path, query }: RequestTarget, ctx: RouteContext, { scope }: Grant): void {
  switch (path) {
    case "/health": {
      // A load balancer's check takes a degraded node out (503); the body says which dependency and why.
      const health = ctx.health();
      return json(res, health.status === HEALTH_OK ? 200 : 503, health);
    }
    case "/sessions":
      return json(res, 200, scope ? ctx.sessions().filter((s) => s.id === scope.session) : ctx.sessions());
    case "/metrics.json":
      return sessionMetrics(res, query, ctx, scope);
    case "/metrics":
      if (wantsJson(req)) return sessionMetrics(res, query, ctx, scope);
      if (scope) return json(res, 403, { error: "A session-scoped token does not see the server-wide metrics; use the server's token" });
      if (!ctx.prometheus) return json(res, 404, { error: "Prometheus metrics are off (metrics: false); the latency figures are at /metrics.json" });
      ctx.prometheus().then(
        (text) => send(res, 200, PROMETHEUS_CONTENT_TYPE, text),
        (err: unknown) => json(res, 500, { error: `Metrics collection failed: ${(err as Error).message}` }),
      );
      return;
    case "/asyncapi.yaml":
      asyncApiYaml ??= buildAsyncApiYaml();
      return send(res, 200, "application/yaml; charset=utf-8", asyncApiYaml);
    case "/schema":
    case "/protocol.schema.json":
      schemaJson ??= JSON.stringify(buildProtocolSchema(), null, 2);
      return send(res, 200, "application/schema+json; charset=utf-8", schemaJson);
    default:
      if (serveDashboard(req, res, path, ctx)) return;
      return json(res, 404, { error: `No route ${path}; try /health, /sessions, /metrics, /schema or /asyncapi.yaml` });
  }
}

/** The latency figures of `?session=` (default: `default`, or a scoped token's session). */
function sessionMetrics(res: ServerResponse, query: URLSearchParams, ctx: RouteContext, scope: Grant["scope"]): void {
  const asked = query.get("session");
  const id = asked ?? scope?.session ?? DEFAULT_SESSION_ID;
  if (scope && id !== scope.session) return json(res, 403, { error: `This token is for session "${scope.session}", not "${id}"` });
  const figures = ctx.metrics(id);
  if (figures === null) return json(res, 404, { error: `No open session "${id}"` });
  return json(res, 200, figures);
}
