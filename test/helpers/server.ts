/** Start a WebSocketServer on a free loopback port for one test, and stop it. */
import { WebSocketServer, type WebSocketServerOptions } from "../../server/server.js";
import { silentLogger } from "../../server/logger.js";

export async function startServer(options: WebSocketServerOptions = {}): Promise<WebSocketServer & { wsUrl: string }> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, logger: silentLogger, ...options });
  await server.start();
  return Object.assign(server, { wsUrl: `ws://127.0.0.1:${server.port}` });
}
