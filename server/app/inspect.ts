/**
 * `--inspect`: connect the running voice machine to the Stately inspector
 * (@statelyai/inspect). The machine's actor gets an `inspect` observer that
 * sends @xstate.actor / @xstate.event / @xstate.snapshot frames over a
 * WebSocket. By default they go to a small relay started here on loopback:
 * it serves a page that embeds the Stately inspector UI and forwards the
 * frames to it (like @statelyai/inspect/server, which listens on every
 * interface and is therefore not used). Everything listens on 127.0.0.1 only;
 * since snapshots carry the conversation, the relay applies the main
 * server's rules: its Host and Origin rules (403 for a foreign page) and its
 * token (401 for a viewer without it), relays only the voice machine's
 * frames (it connects on a secret path), caps frame sizes and keeps at most
 * `replay` frames and `replayBytes` bytes for late viewers. The page frames
 * Stately's hosted inspector, so it needs the internet; `description` says
 * so. docs/inspect.md shows how to watch a turn and what is sent where.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createWebSocketInspector } from "@statelyai/inspect";
import type { AnyEventObject, InspectionEvent, Observer } from "xstate";
import { WebSocket, WebSocketServer } from "ws";
import { CODA_PROTOCOL, Gatekeeper, refuseUpgrade, type Refusal } from "../transport/handshake.js";
import { resolveServerOptions } from "../transport/options.js";

export interface InspectOptions {
  /** Send frames to this receiver (ws://127.0.0.1:PORT, ws://[::1]:PORT or ws://localhost:PORT) instead of starting the relay. */
  receiverUrl?: string;
  /** Port of the relay (HTTP page and WebSocket). Default 0 (any free port; see `pageUrl`). */
  port?: number;
  /** The inspector UI embedded by the relay page. Default https://stately.ai/inspect. */
  inspectorUrl?: string;
  /** Frames kept for a browser that connects later. Default 500. */
  replay?: number;
  /** Bytes kept for a browser that connects later (the oldest frames go first). Default 4 MiB. */
  replayBytes?: number;
  /** The server's token: a viewer must present it as the server's clients do (Bearer header, or subprotocol `coda-token.<token>`); the page reads it from its `#token=` fragment. */
  token?: string | undefined;
  /** The server's extra allowed browser origins. */
  allowedOrigins?: string[];
  /** The server's extra allowed Host names. */
  allowedHosts?: string[];
}

/** Largest frame the voice machine may send to the relay (a snapshot holds the recent conversation). */
export const RELAY_SOURCE_MAX_FRAME_BYTES = 1024 * 1024;
/** Largest frame a viewer may send: viewers only receive. */
export const RELAY_VIEWER_MAX_FRAME_BYTES = 4096;

export interface Inspection<T> {
  /** The actor options with `inspect` set (an existing observer is still called). */
  actorOptions: T & { inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) };
  /** Open this page in a browser to watch (null with `receiverUrl`); with a token, as `${pageUrl}#token=<token>`. */
  pageUrl: string | null;
  /** What to tell a person about the page (the start-up line): where it is, how to give it the token, and that it needs the internet. Null with `receiverUrl`. */
  description: string | null;
  /** Where the frames go (with the relay: its secret source path, which only this process knows). */
  receiverUrl: string;
  /** Stop sending and close the relay. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** PCM in events (the synthesiser's tts.chunk) is replaced by its size: the inspector does not need the samples. */
function sanitizeEvent(event: AnyEventObject): AnyEventObject {
  if ("pcm" in event && event.pcm instanceof Uint8Array) return { ...event, pcm: { bytes: event.pcm.byteLength } };
  return event;
}

/**
 * Attach the Stately inspector to actor options for `createActor` (or the
 * bridge's `actorOptions`).
 * @throws TypeError when `receiverUrl` is not a loopback ws:// URL.
 * @example
 * const inspection = await attachInspector({});
 * const pipeline = createBridge({ engines, actorOptions: inspection.actorOptions });
 * logger.info("inspector", { open: inspection.pageUrl });
 */
export async function attachInspector<T extends { inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void) }>(
  actorOptions: T,
  options: InspectOptions = {},
): Promise<Inspection<T>> {
  let relay: Relay | null = null;
  let receiverUrl = options.receiverUrl;
  const inspectorUrl = options.inspectorUrl ?? "https://stately.ai/inspect";
  if (receiverUrl !== undefined) {
    const url = new URL(receiverUrl);
    if (url.protocol !== "ws:" || !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new TypeError(`inspector receiver must be a loopback ws:// URL (127.0.0.1, [::1] or localhost), got ${receiverUrl}`);
    }
  } else {
    relay = await startRelay(options.port ?? 0, inspectorUrl, {
      frames: options.replay ?? 500,
      bytes: options.replayBytes ?? 4 * 1024 * 1024,
    }, relayGate(options));
    receiverUrl = relay.sourceUrl;
  }
  const inspector = createWebSocketInspector({ url: receiverUrl, sanitizeEvent });
  const previous = actorOptions.inspect;
  const inspect = (event: InspectionEvent) => {
    inspector.inspect.next?.(event);
    if (typeof previous === "function") previous(event);
    else previous?.next?.(event);
  };
  const pageUrl = relay ? `http://127.0.0.1:${relay.port}/` : null;
  return {
    actorOptions: { ...actorOptions, inspect },
    pageUrl,
    description: pageUrl ? describePage(pageUrl, inspectorUrl, options.token !== undefined) : null,
    receiverUrl,
    async close() {
      inspector.stop();
      await relay?.close();
    },
  };
}

/** The start-up line: the page, the token's place (never the token), and the internet the hosted inspector needs. */
function describePage(pageUrl: string, inspectorUrl: string, token: boolean): string {
  const open = token ? `${pageUrl}#token=<token>` : pageUrl;
  return `Inspector: open ${open} in a browser on this machine to watch the voice machine; the page frames Stately's hosted inspector (${inspectorUrl}), so it needs the internet and stays blank without it (docs/inspect.md)`;
}

/** The main server's Host, Origin and token rules, for the relay on 127.0.0.1. */
function relayGate(options: InspectOptions): Gatekeeper {
  const { token, allowedOrigins = [], allowedHosts = [] } = options;
  try {
    return new Gatekeeper(resolveServerOptions({ host: "127.0.0.1", allowedOrigins, allowedHosts, ...(token !== undefined ? { token } : {}) }));
  } catch (err) {
    throw new TypeError(`Invalid inspector option: ${(err as Error).message.replace(/^Invalid server option: /, "")}`, { cause: err });
  }
}

interface Relay {
  port: number;
  /** The voice machine's own URL on the relay (a secret path: frames from any other connection are ignored). */
  sourceUrl: string;
  close(): Promise<void>;
}

/** The frame types @statelyai/inspect sends; anything else from the source is dropped. */
const INSPECTION_TYPES = new Set(["@xstate.actor", "@xstate.event", "@xstate.snapshot"]);

function inspectionType(frame: string): string | null {
  try {
    const value: unknown = JSON.parse(frame);
    const type = (value as { type?: unknown } | null)?.type;
    return typeof type === "string" && INSPECTION_TYPES.has(type) ? type : null;
  } catch {
    return null;
  }
}

/**
 * Loopback HTTP page + WebSocket relay. The voice machine connects on a
 * secret path and is the only sender; every other connection (the page)
 * only receives. Host, Origin and the token are checked by the main
 * server's rules (server/transport/handshake.ts): a foreign page gets 403,
 * a viewer without the token 401. The page itself holds no data, only
 * code, so it is served without the token (as the dashboard's is).
 */
async function startRelay(port: number, inspectorUrl: string, replay: { frames: number; bytes: number }, gate: Gatekeeper): Promise<Relay> {
  const kept: { frame: string; bytes: number }[] = [];
  let keptBytes = 0;
  const sourcePath = `/source/${randomBytes(16).toString("hex")}`;
  const server: Server = createServer({ headersTimeout: 10_000 }, (req, res) => {
    const refusal = gate.checkHost(req) ?? gate.checkOrigin(req);
    if (refusal) {
      res.writeHead(refusal.status, { "content-type": "text/plain; charset=utf-8" }).end(`${refusal.reason}\n`);
      return;
    }
    if (req.url !== "/" && req.url !== "/index.html") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(relayPage(inspectorUrl));
  });
  // The page offers coda.v1 next to its coda-token.<token>, as the dashboard does; the relay selects it.
  const viewers = new WebSocketServer({ noServer: true, maxPayload: RELAY_VIEWER_MAX_FRAME_BYTES, handleProtocols: (offered) => (offered.has(CODA_PROTOCOL) ? CODA_PROTOCOL : false) });
  const source = new WebSocketServer({ noServer: true, maxPayload: RELAY_SOURCE_MAX_FRAME_BYTES });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const refusal = gate.checkHost(req) ?? gate.checkOrigin(req);
    if (refusal) return refuseUpgrade(socket, refusal);
    if (req.url === sourcePath && req.headers.origin === undefined) {
      return source.handleUpgrade(req, socket, head, (ws) => {
        // ws closes a peer that breaks the frame limit (1009) and reports it as an error event: without a listener that would end the process.
        ws.on("error", () => {});
        ws.on("message", (data, isBinary) => sourceOnMessage(data as Buffer, isBinary));
      });
    }
    if (req.url !== "/") return refuseUpgrade(socket, { status: 404, reason: "The inspector page connects to /" });
    const denied: Refusal | null = gate.checkToken(req) ?? gate.checkProtocols(req);
    if (denied) return refuseUpgrade(socket, denied);
    viewers.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => {}); // as above: an oversized frame is closed with 1009, not a crash
      for (const { frame } of kept) ws.send(frame);
      // Viewers only receive; what they send is ignored (the limit above bounds it).
    });
  });
  const sourceOnMessage = (data: Buffer, isBinary: boolean) => {
    if (isBinary) return;
    const frame = data.toString();
    if (inspectionType(frame) === null) return;
    const bytes = data.byteLength;
    if (bytes <= replay.bytes && replay.frames > 0) {
      kept.push({ frame, bytes });
      keptBytes += bytes;
      while (kept.length > replay.frames || keptBytes > replay.bytes) keptBytes -= kept.shift()!.bytes;
    }
    for (const client of viewers.clients) if (client.readyState === WebSocket.OPEN) client.send(frame);
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  gate.setPort(bound);
  return {
    port: bound,
    sourceUrl: `ws://127.0.0.1:${bound}${sourcePath}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of [...viewers.clients, ...source.clients]) client.terminate();
        viewers.close();
        source.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function relayPage(inspectorUrl: string): string {
  const src = JSON.stringify(inspectorUrl);
  return `<!DOCTYPE html>
<html><head><title>Coda voice machine: Stately inspector</title>
<style>*{margin:0;padding:0}html,body{height:100%}iframe{width:100%;height:100%;border:none}p{font:16px sans-serif;padding:1em}</style></head>
<body><iframe id="inspector"></iframe>
<script>
  const iframe = document.getElementById("inspector");
  iframe.src = ${src};
  const buffer = [];
  let connected = false;
  window.addEventListener("message", (e) => {
    if (e.data && e.data.type === "@statelyai.connected") {
      connected = true;
      for (const event of buffer.splice(0)) iframe.contentWindow.postMessage(event, "*");
    }
  });
  // A server with a token: open this page as .../#token=<token> (the fragment never leaves the browser).
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const ws = new WebSocket("ws://" + location.host + "/", token ? ["coda.v1", "coda-token." + token] : []);
  let opened = false;
  ws.onopen = () => (opened = true);
  ws.onclose = () => {
    if (opened) return;
    const p = document.createElement("p");
    p.textContent = "The relay refused this page: if the server runs with --token, open this page as " + location.origin + "/#token=<token>.";
    document.body.prepend(p);
  };
  ws.onmessage = (m) => {
    const data = JSON.parse(m.data);
    if (connected) iframe.contentWindow.postMessage(data, "*");
    else buffer.push(data);
  };
</script></body></html>`;
}
