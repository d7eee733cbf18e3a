/**
 * A local HTTP server for tests of engines that talk to a remote service
 * (Ollama, OpenAI-compatible chat/speech/transcription, an OTLP collector):
 * listens on 127.0.0.1 port 0, reads and records every request (method,
 * path, headers, raw bytes, JSON-parsed body), hands it to a handler the
 * test can swap, tells when a request's connection closed, and closes
 * everything it opened. Each service's wire format lives in its test or in
 * its own helper (fake-ollama.ts, otlp-collector.ts) built on this one.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach } from "vitest";

export interface RecordedRequest {
  method: string;
  /** The request target, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as received. */
  raw: Buffer;
  /** The body parsed as JSON; the text when it is not JSON; undefined when empty. */
  body: any;
  /** The connection it came on (a test may cut it). */
  socket: Socket;
}

/** Answers one request; may be async. A throw before the head is sent answers 599 with the error text, after it cuts the connection. */
export type HttpHandler = (req: RecordedRequest, res: ServerResponse) => unknown;

export interface HttpTestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Answer the following requests with `handler`. */
  handle(handler: HttpHandler): void;
  /** Resolves when the connection of the n-th request (0-based) has closed, whether or not it has arrived yet. */
  closed(index: number): Promise<void>;
  /** Cut open connections and stop listening. */
  close(): Promise<void>;
}

function parseBody(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Start a server whose every request is answered by `handler` (until `handle` swaps it). */
export async function startHttpServer(handler: HttpHandler = (_req, res) => res.end()): Promise<HttpTestServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const closedSignals: { promise: Promise<void>; resolve: () => void }[] = [];
  const closedSignal = (index: number) => {
    if (!closedSignals[index]) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      closedSignals[index] = { promise, resolve };
    }
    return closedSignals[index];
  };
  let received = 0;
  const server: Server = createServer((req, res) => {
    const signal = closedSignal(received++);
    req.socket.once("close", () => signal.resolve());
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      const recorded: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, raw, body: parseBody(raw), socket: req.socket };
      requests.push(recorded);
      void new Promise((resolve) => resolve(current(recorded, res))).catch((err: unknown) => {
          if (res.headersSent) res.destroy(err instanceof Error ? err : new Error(String(err)));
          else res.writeHead(599, { "content-type": "text/plain" }).end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    closed: (index) => closedSignal(index).promise,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Register an afterEach that closes every server started through the
 * returned function (same arguments as startHttpServer).
 * @example const serve = useHttpServers(); const server = await serve((req, res) => res.end("{}"));
 */
export function useHttpServers(): (handler?: HttpHandler) => Promise<HttpTestServer> {
  const started: HttpTestServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
  return async (handler) => {
    const server = await startHttpServer(handler);
    started.push(server);
    return server;
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Write `data` and wait until it has left, so the next write arrives as a separate chunk. */
export function flushed(res: ServerResponse, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.write(data, () => setTimeout(resolve, 15));
  });
}
