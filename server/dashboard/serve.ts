/**
 * HTTP serving of the dashboard: the page at `/`, its static files under
 * `/dashboard/` (from server/dashboard/public, a fixed list read once), the
 * typed client bundled for the browser at `/dashboard/client.js` (bundled by
 * `npm run build`; from the TypeScript sources, bundled on first request with
 * esbuild, a development dependency; kept in memory) and the statechart at
 * `/dashboard/machine.json`. Everything the page loads comes from here:
 * it works with no internet.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_BUNDLE_FILE } from "./bundle.js";
import { voiceMachineDiagramJson } from "./graph.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json; charset=utf-8",
  ".png": "image/png",
};

/**
 * The page may load only what this server serves and talk only to it.
 * ('self' covers ws:// on the same host and port in current browsers.)
 */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; media-src 'self' blob:; worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** Where the static files are: next to this module in the source tree, or in server/dashboard/public of the package when running from dist/. */
function publicDir(): string {
  const here = fileURLToPath(new URL("./public/", import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL("../../../server/dashboard/public/", import.meta.url));
}


let files: Promise<Map<string, string>> | undefined;
let bundle: Promise<string> | undefined;

/** Static files by name; names are checked against this list, so no path from the URL reaches the file system. */
function listFiles(): Promise<Map<string, string>> {
  files ??= (async () => {
    const dir = publicDir();
    const names = await readdir(dir);
    return new Map(names.filter((n) => /^[a-z0-9][a-z0-9._-]*$/.test(n) && extname(n) in TYPES).map((n) => [n, join(dir, n)]));
  })();
  files.catch(() => (files = undefined));
  return files;
}

/** The typed client (and zod, the protocol schemas) as one browser ES module: the build's file, or bundled from the sources. */
function bundleClient(): Promise<string> {
  bundle ??= (async () => {
    const built = fileURLToPath(new URL(`./${CLIENT_BUNDLE_FILE}`, import.meta.url));
    if (existsSync(built)) return readFile(built, "utf8");
    const source = fileURLToPath(new URL("../client/index.ts", import.meta.url));
    if (!existsSync(source)) throw new Error(`${CLIENT_BUNDLE_FILE} is missing next to ${fileURLToPath(import.meta.url)}: run npm run build`);
    const { bundleBrowserClient } = await import("./bundle.js");
    return bundleBrowserClient(source);
  })();
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...extra,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** What the dashboard routes need from the server. */
export interface DashboardContext {
  /** The ws:// URL clients connect to (shown on the page). */
  wsUrl(): string;
  /**
   * True for a server without a voice pipeline (the seed's bare
   * WebSocketServer): `/` is then the read-only event page (events.html),
   * and the full dashboard, whose controls could not work, is not served.
   */
  readOnly?(): boolean;
}

/** The full dashboard's own files, refused by a read-only server. */
const FULL_DASHBOARD_ONLY = new Set(["index.html", "app.js"]);

/**
 * Answer `GET /` and `GET /dashboard/*`. Returns false when `path` is not a
 * dashboard path (the caller answers 404). Failures answer 500 with a reason.
 */
export function serveDashboard(req: IncomingMessage, res: ServerResponse, path: string, ctx: DashboardContext): boolean {
  if (path !== "/" && !path.startsWith("/dashboard/")) return false;
  answer(res, path, ctx).catch((err: unknown) => {
    if (res.headersSent) return void res.destroy();
    const message = err instanceof Error ? err.message : String(err);
    send(res, 500, "application/json; charset=utf-8", JSON.stringify({ error: `Dashboard asset failed: ${message}` }));
  });
  return true;
}

async function answer(res: ServerResponse, path: string, ctx: DashboardContext): Promise<void> {
  const readOnly = ctx.readOnly?.() === true;
  // The page under any of its names gets its CSP and its URL; never the raw template.
  const page =
    path === "/" || path === "/dashboard/" ? (readOnly ? "events.html" : "index.html")
    : path === "/dashboard/index.html" && !readOnly ? "index.html"
    : path === "/dashboard/events.html" ? "events.html"
    : null;
  if (page) {
    const file = (await listFiles()).get(page);
    if (!file) throw new Error(`${page} is missing`);
    const html = (await readFile(file, "utf8")).replaceAll("{{WS_URL}}", escapeHtml(ctx.wsUrl()));
    return send(res, 200, TYPES[".html"]!, html, { "content-security-policy": CSP });
  }
  const name = path.slice("/dashboard/".length);
  if (readOnly && FULL_DASHBOARD_ONLY.has(name)) {
    return send(res, 404, "application/json; charset=utf-8", JSON.stringify({ error: "This server has no voice pipeline, so it serves no dashboard controls; / shows its events read-only" }));
  }
  if (name === "client.js") return send(res, 200, TYPES[".js"]!, await bundleClient());
  if (name === "machine.json") return send(res, 200, TYPES[".json"]!, voiceMachineDiagramJson());
  const file = (await listFiles()).get(name);
  if (!file) return send(res, 404, "application/json; charset=utf-8", JSON.stringify({ error: `No dashboard file ${name}` }));
  return send(res, 200, TYPES[extname(name)]!, await readFile(file));
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
