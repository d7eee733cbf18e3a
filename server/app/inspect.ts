/**
 * `--inspect`: connect the running voice machine to the Stately inspector
 * (@statelyai/inspect). The machine's actor gets an `inspect` observer that
 * sends @xstate.actor / @xstate.event / @xstate.snapshot frames over a
 * WebSocket. By default they go to a small relay started here on loopback:
 * it serves a page that embeds the Stately inspector UI and forwards the
 * frames to it (like @statelyai/inspect/server, which listens on every
 * interface and is therefore not used). Everything listens on 127.0.0.1 only;
 * since snapshots carry the conversation, the relay applies the main
 * server's Host and Origin rules (403 for a foreign page), relays only the
 * voice machine's frames (it connects on a secret path), caps frame sizes
 * and keeps at most `replay` frames and `replayBytes` bytes for late
 * viewers. docs/inspect.md shows how to watch a turn and what is sent where.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { createWebSocketInspector } from "@statelyai/inspect";
import type { AnyEventObject, InspectionEvent, Observer } from "xstate";
import { WebSocket, WebSocketServer } from "ws";
import { Gatekeeper, refuseUpgrade } from "../transport/handshake.js";
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
}

/** Largest frame the voice machine may send to the relay (a snapshot holds the recent conversation). */
export const RELAY_SOURCE_MAX_FRAME_BYTES = 1024 * 1024;
/** Largest frame a viewer may send: viewers only receive. */
export const RELAY_VIEWER_MAX_FRAME_BYTES = 4096;

export interface Inspection<T> {
  /** The actor options with `inspect` set (an existing observer is still called). */
  actorOptions: T & { inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) };
  /** Open this page in a browser to watch (null with `receiverUrl`). */
  pageUrl: string | null;
  /** Where the frames go (with the relay: its secret source path, which only this process knows). */
  receiverUrl: string;
  /** Stop sending and close the relay. */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * PCM in events (tts.chunk, and the tts.audio a turn reports to its session
 * inside `turn.emitted`) is replaced by its size: the inspector does not need the samples.
 */
function sanitizeEvent(event: AnyEventObject): AnyEventObject {
  if ("pcm" in event && event.pcm instanceof Uint8Array) return { ...event, pcm: { bytes: event.pcm.byteLength } };
  if (event.type === "turn.emitted" && event.emitted && typeof event.emitted === "object") return { ...event, emitted: sanitizeEvent(event.emitted as AnyEventObject) };
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
  if (receiverUrl !== undefined) {
    const url = new URL(receiverUrl);
    if (url.protocol !== "ws:" || !LOOPBACK_HOSTS.has(url.hostname)) {
      throw new TypeError(`inspector receiver must be a loopback ws:// URL (127.0.0.1, [::1] or localhost), got ${receiverUrl}`);
    }
  } else {
    relay = await startRelay(options.port ?? 0, options.inspectorUrl ?? "https://stately.ai/inspect", {
      frames: options.replay ?? 500,
      bytes: options.replayBytes ?? 4 * 1024 * 1024,
    });
    receiverUrl = relay.sourceUrl;
  }
  const inspector = createWebSocketInspector({ url: receiverUrl, sanitizeEvent });
  const previous = actorOptions.inspect;
  const inspect = (event: InspectionEvent) => {
    inspector.inspect.next?.(event);
    if (typeof previous === "function") previous(event);
    else previous?.next?.(event);
  };
  return {
    actorOptions: { ...actorOptions, inspect },
    pageUrl: relay ? `http://127.0.0.1:${relay.port}/` : null,
    receiverUrl,
    async close() {
      inspector.stop();
      await relay?.close();
    },
  };
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
 * only receives. Host and Origin are checked by the main server's rules
 * (server/transport/handshake.ts): a foreign page gets 403.
 */
async function startRelay(port: number, inspectorUrl: string, replay: { frames: number; bytes: number }): Promise<Relay> {
  const kept: { frame: string; bytes: number }[] = [];
  let keptBytes = 0;
  const sourcePath = `/source/${randomBytes(16).toString("hex")}`;
  const gate = new Gatekeeper(resolveServerOptions({ host: "127.0.0.1" }));
  let bound = 0;
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
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(relayPage(bound, inspectorUrl));
  });
  const viewers = new WebSocketServer({ noServer: true, maxPayload: RELAY_VIEWER_MAX_FRAME_BYTES });
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
  bound = (server.address() as AddressInfo).port;
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

function relayPage(port: number, inspectorUrl: string): string {
  const src = JSON.stringify(inspectorUrl);
  return `<!DOCTYPE html>
<html><head><title>Coda voice machine: Stately inspector</title>
<style>*{margin:0;padding:0}html,body{height:100%}iframe{width:100%;height:100%;border:none}</style></head>
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
  const ws = new WebSocket("ws://127.0.0.1:${port}");
  ws.onmessage = (m) => {
    const data = JSON.parse(m.data);
    if (connected) iframe.contentWindow.postMessage(data, "*");
    else buffer.push(data);
  };
</script></body></html>`;
}
