/** Start WebSocketServers (or track fixtures) and clients for one test file, and close them all after each test. */
import { afterEach } from "vitest";
import { WebSocketServer, type WebSocketServerOptions } from "../../server/transport/server.js";
import { silentLogger } from "../../server/app/logger.js";
import { TestClient } from "./client.js";

export type TestServer = WebSocketServer & { wsUrl: string };

/** Start a server on a free loopback port (the caller stops it). */
export async function startServer(options: WebSocketServerOptions = {}): Promise<TestServer> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: silentLogger, presenceIntervalMs: 20, ...options });
  await server.start();
  return Object.assign(server, { wsUrl: `ws://127.0.0.1:${server.port}` });
}

/** Something a test started that has an async stop or close. */
export type Stoppable = { stop(): Promise<void> } | { close(): Promise<void> };

/** A `ws` server as something to close: resolves once it has closed. */
export function closable(server: { close(cb: () => void): void }): { close(): Promise<void> } {
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Register an afterEach that closes every client, then stops every server,
 * made or tracked through the returned functions.
 * @example const { server, client } = useServers(); const s = await server(); const c = await client(s.wsUrl);
 */
export function useServers() {
  const clients: { close(): Promise<unknown> }[] = [];
  const servers: Stoppable[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => ("stop" in s ? s.stop() : s.close())));
  });
  /** Connect a client (closed after the test); resolves once open, before the replay. */
  async function connect(url: string, options?: Parameters<typeof TestClient.connect>[1]): Promise<TestClient> {
    const c = await TestClient.connect(url, options);
    clients.push(c);
    return c;
  }
  return {
    connect,
    /** Track a client made elsewhere (a CodaClient) so it is closed after the test, before the servers. */
    trackClient<T extends { close(): Promise<unknown> }>(c: T): T {
      clients.push(c);
      return c;
    },
    /** Start a server that is stopped after the test. */
    async server(options: WebSocketServerOptions = {}): Promise<TestServer> {
      const s = await startServer(options);
      servers.push(s);
      return s;
    },
    /** Track a server or fixture made elsewhere (startCoda, createCodaServer) so it is stopped or closed after the test. */
    track<T extends Stoppable>(s: T): T {
      servers.push(s);
      return s;
    },
    /** Connect a client (closed after the test) and wait for its replay. */
    async client(url: string, options?: Parameters<typeof TestClient.connect>[1]): Promise<TestClient> {
      const c = await connect(url, options);
      await c.waitForType("replay");
      return c;
    },
  };
}
