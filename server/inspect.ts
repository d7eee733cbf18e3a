/**
 * `--inspect`: connect the running voice machine to the Stately inspector
 * (@statelyai/inspect). The machine's actor gets an `inspect` observer that
 * sends @xstate.actor / @xstate.event / @xstate.snapshot frames over a
 * WebSocket. By default they go to a small relay started here on loopback:
 * it serves a page that embeds the Stately inspector UI and forwards the
 * frames to it (like @statelyai/inspect/server, which listens on every
 * interface and is therefore not used). Everything listens on 127.0.0.1 only,
 * and the relay refuses WebSocket upgrades from any page but its own, since
 * snapshots carry the conversation. docs/inspect.md shows how to watch a turn.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createWebSocketInspector } from "@statelyai/inspect";
import type { AnyEventObject, InspectionEvent, Observer } from "xstate";
import { WebSocket, WebSocketServer } from "ws";

export interface InspectOptions {
  /** Send frames to this receiver (ws://127.0.0.1:PORT, ws://[::1]:PORT or ws://localhost:PORT) instead of starting the relay. */
  receiverUrl?: string;
  /** Port of the relay (HTTP page and WebSocket). Default 0 (any free port; see `pageUrl`). */
  port?: number;
  /** The inspector UI embedded by the relay page. Default https://stately.ai/inspect. */
  inspectorUrl?: string;
  /** Frames kept for a browser that connects later. Default 500. */
  replay?: number;
}

export interface Inspection<T> {
  /** The actor options with `inspect` set (an existing observer is still called). */
  actorOptions: T & { inspect: Observer<InspectionEvent> | ((event: InspectionEvent) => void) };
  /** Open this page in a browser to watch (null with `receiverUrl`). */
  pageUrl: string | null;
  /** Where the frames go. */
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
    relay = await startRelay(options.port ?? 0, options.inspectorUrl ?? "https://stately.ai/inspect", options.replay ?? 500);
    receiverUrl = `ws://127.0.0.1:${relay.port}`;
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
  close(): Promise<void>;
}

/** Loopback HTTP page + WebSocket relay: frames from the app go to every other connection. */
async function startRelay(port: number, inspectorUrl: string, replaySize: number): Promise<Relay> {
  const buffer: string[] = [];
  let bound = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== "/" && req.url !== "/index.html") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(relayPage(bound, inspectorUrl));
  });
  const wss = new WebSocketServer({
    server,
    // The app connects without an Origin; a browser may only connect from the relay's own page.
    verifyClient: ({ origin }: { origin?: string }) => !origin || origin === `http://127.0.0.1:${bound}` || origin === `http://localhost:${bound}`,
  });
  wss.on("connection", (ws) => {
    for (const frame of buffer) ws.send(frame);
    ws.on("message", (data) => {
      const frame = data.toString();
      buffer.push(frame);
      if (buffer.length > replaySize) buffer.shift();
      for (const client of wss.clients) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(frame);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.close(() => resolve());
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
