/** Start WebSocketServers and clients for one test file, and close them all after each test. */
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

/**
 * Register an afterEach that closes every client and stops every server
 * made through the returned functions.
 * @example const { server, client } = useServers(); const s = await server(); const c = await client(s.wsUrl);
 */
export function useServers() {
  const clients: TestClient[] = [];
  const servers: { stop(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });
  return {
    /** Start a server that is stopped after the test. */
    async server(options: WebSocketServerOptions = {}): Promise<TestServer> {
      const s = await startServer(options);
      servers.push(s);
      return s;
    },
    /** Track a server made elsewhere so it is stopped after the test. */
    track<T extends { stop(): Promise<void> }>(s: T): T {
      servers.push(s);
      return s;
    },
    /** Connect a client (closed after the test) and wait for its replay. */
    async client(url: string, options?: Parameters<typeof TestClient.connect>[1]): Promise<TestClient> {
      const c = await TestClient.connect(url, options);
      clients.push(c);
      await c.waitForType("replay");
      return c;
    },
  };
}
