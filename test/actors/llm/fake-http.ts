/**
 * A local HTTP server for LLM engine tests: listens on 127.0.0.1 port 0,
 * records every request (method, path, headers, parsed JSON body), tells
 * when the client's connection closed, and closes everything it opened.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: any;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => unknown;

export interface FakeHttp {
  url: string;
  requests: RecordedRequest[];
  /** Resolves when the socket of the n-th request (0-based) has closed. */
  closed(index: number): Promise<void>;
  close(): Promise<void>;
}

/** Start a server whose every request is answered by `handler`. */
export async function startFakeHttp(handler: Handler): Promise<FakeHttp> {
  const requests: RecordedRequest[] = [];
  const closedPromises: Promise<void>[] = [];
  const server: Server = createServer((req, res) => {
    closedPromises.push(new Promise((resolve) => req.socket.once("close", () => resolve())));
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // keep the raw text
      }
      const recorded: RecordedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body };
      requests.push(recorded);
      void Promise.resolve(handler(req, res, recorded)).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closed: async (index) => {
      // The request may not have been recorded yet when this is called.
      for (let i = 0; i < 200 && !closedPromises[index]; i++) await new Promise((r) => setTimeout(r, 5));
      await closedPromises[index];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
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

/** Wait until the bytes written so far have left, so the next write arrives as a separate chunk. */
export function flushed(res: ServerResponse, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.write(data, () => setTimeout(resolve, 15));
  });
}
