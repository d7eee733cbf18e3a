/**
 * Who may connect: checks on the HTTP upgrade (and plain HTTP requests) of
 * the Host header (DNS rebinding), the Origin header (web pages), the token
 * (the server's `token`, which admits everything, or a session-scoped JWT
 * signed with `tokenSecret`: tokens.ts) and the client limit. Each refusal
 * is an HTTP status with a reason.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { timingSafeEqual, createHash } from "node:crypto";
import { LOOPBACK_HOSTS, type ServerSettings } from "./options.js";
import { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from "../protocol/subprotocol.js";
import { looksLikeJwt, verifyScopedToken, type TokenScope } from "./tokens.js";

export interface Refusal {
  status: 400 | 401 | 403 | 404 | 503;
  reason: string;
}

/** Who a request is: `scope` null for the server's token (or when none is needed), else what its scoped token admits. */
export interface Grant {
  scope: TokenScope | null;
}

/** Whether a check's answer is a refusal. */
export function isRefusal(value: object): value is Refusal {
  return "status" in value;
}

/** Answer an upgrade request with the refusal's status and reason (plain text), and close. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  const text = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable" }[refusal.status];
  const body = `${refusal.reason}\n`;
  socket.end(
    `HTTP/1.1 ${refusal.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export { CODA_PROTOCOL, TOKEN_PROTOCOL_PREFIX };

function stripPort(host: string): { name: string; port: string | null } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.trim().toLowerCase());
  return m ? { name: m[1]!, port: m[2] ?? null } : { name: host, port: null };
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

export class Gatekeeper {
  readonly #settings: ServerSettings;
  /** The time tokens are checked at (their `exp`); default the system's. */
  readonly #now: (() => Date) | undefined;
  #secret: Uint8Array | undefined;
  #port = 0;
  #hostNames: Set<string>;

  constructor(settings: ServerSettings, now?: () => Date) {
    this.#settings = settings;
    this.#now = now;
    const own = [...LOOPBACK_HOSTS, settings.host, ...settings.allowedHosts].map((h) => h.toLowerCase());
    this.#hostNames = new Set(own.flatMap((h) => (h.includes(":") && !h.startsWith("[") ? [h, `[${h}]`] : [h])));
  }

  /** The port actually bound (known after listen). */
  setPort(port: number): void {
    this.#port = port;
  }

  get #wildcard(): boolean {
    return this.#settings.host === "0.0.0.0" || this.#settings.host === "::";
  }

  /** Host header must name this server, so a rebinding DNS name cannot reach it. */
  checkHost(req: IncomingMessage): Refusal | null {
    const header = req.headers.host;
    if (!header) return { status: 400, reason: "Missing Host header" };
    if (this.#wildcard && this.#settings.allowedHosts.length === 0) return null;
    const { name } = stripPort(header);
    if (this.#hostNames.has(name)) return null;
    return { status: 403, reason: `Host "${header}" is not allowed; add it with --allowed-host` };
  }

  /** Browsers send Origin; only this server's own pages and configured origins may connect. Scripts send none. */
  checkOrigin(req: IncomingMessage): Refusal | null {
    const origin = req.headers.origin;
    if (origin === undefined) return null;
    if (this.#settings.allowedOrigins.includes(origin)) return null;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return { status: 403, reason: `Origin "${origin}" is not allowed` };
    }
    const web = url.protocol === "http:" || url.protocol === "https:";
    const port = url.port || (url.protocol === "https:" ? "443" : "80");
    if (web && this.#hostNames.has(url.hostname.toLowerCase()) && port === String(this.#port)) return null;
    // Bound to every interface (which needs a token), the dashboard is reached by the machine's
    // own address, e.g. http://192.168.1.5:8765 from a phone: a page whose origin is the Host it
    // asked is this server's own page.
    if (web && this.#wildcard && req.headers.host !== undefined && url.host.toLowerCase() === req.headers.host.toLowerCase() && port === String(this.#port)) return null;
    return { status: 403, reason: `Origin "${origin}" is not allowed; add it with --allowed-origin` };
  }

  /** The server's own `token` only (what the inspector's relay asks): null when none is set or the request presents it. */
  checkToken(req: IncomingMessage): Refusal | null {
    const token = this.#settings.token;
    if (!token || presentedTokens(req).some((p) => sameSecret(p, token))) return null;
    return { status: 401, reason: "Missing or wrong token" };
  }

  /**
   * When a token is configured, the client must present one (Authorization:
   * Bearer, or subprotocol coda-token.<token>): the server's `token` admits
   * everything; with `tokenSecret`, a JWT signed with it admits its scope
   * (one session, as one user). Without either, everyone is admitted.
   */
  async authorize(req: IncomingMessage): Promise<Grant | Refusal> {
    const { token, tokenSecret } = this.#settings;
    if (!token && !tokenSecret) return { scope: null };
    const presented = presentedTokens(req);
    if (token) for (const p of presented) if (sameSecret(p, token)) return { scope: null };
    if (tokenSecret) {
      this.#secret ??= new TextEncoder().encode(tokenSecret);
      const jwt = presented.find(looksLikeJwt);
      if (jwt !== undefined) {
        const scope = await verifyScopedToken(jwt, this.#secret, this.#now?.());
        return isRefusal(scope) ? scope : { scope };
      }
    }
    return { status: 401, reason: "Missing or wrong token" };
  }

  /** A browser that offers the token subprotocol must also offer coda.v1, or it would fail the handshake itself. */
  checkProtocols(req: IncomingMessage): Refusal | null {
    const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
    if (offered.some((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX)) && !offered.includes(CODA_PROTOCOL)) {
      return { status: 400, reason: `Offer the subprotocol ${CODA_PROTOCOL} next to ${TOKEN_PROTOCOL_PREFIX}<token>` };
    }
    return null;
  }

  /** The client limit: one more client than maxClients is refused. */
  checkClients(clients: number): Refusal | null {
    return clients >= this.#settings.maxClients ? { status: 503, reason: `Too many clients (limit ${this.#settings.maxClients})` } : null;
  }

  /** All upgrade checks in order (Host, Origin, token, subprotocols, client limit); the first refusal wins. */
  async checkUpgrade(req: IncomingMessage, clients: () => number): Promise<Grant | Refusal> {
    const early = this.checkHost(req) ?? this.checkOrigin(req);
    if (early) return early;
    const grant = await this.authorize(req);
    if (isRefusal(grant)) return grant;
    // The count is read after the token's check, which may have waited.
    return this.checkProtocols(req) ?? this.checkClients(clients()) ?? grant;
  }
}

/** The tokens a request presents: its Bearer header's and its coda-token.<token> subprotocols'. */
function presentedTokens(req: IncomingMessage): string[] {
  const tokens: string[] = [];
  // The scheme is case-insensitive (RFC 7235 section 2.1): "bearer" and "BEARER" are "Bearer".
  const auth = /^bearer +(.*)$/i.exec(req.headers.authorization ?? "");
  if (auth) tokens.push(auth[1]!.trim());
  const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
  for (const p of offered) if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) tokens.push(p.slice(TOKEN_PROTOCOL_PREFIX.length));
  return tokens;
}
