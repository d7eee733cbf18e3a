/**
 * Binding the HTTP server(s). "localhost" binds both 127.0.0.1 and ::1 on
 * the same port so ws://localhost and ws://127.0.0.1 both work whatever the
 * resolver prefers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

export interface Listeners {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

function listenOne(listeners: Listeners, host: string, port: number): Promise<Server> {
  const server = createServer(listeners.request);
  server.on("upgrade", listeners.upgrade);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, ipv6Only: host === "::1" }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

/** Listen on `host:port`; returns the servers and the bound port. */
export async function listenAll(listeners: Listeners, host: string, port: number): Promise<{ servers: Server[]; port: number }> {
  const hosts = host === "localhost" ? ["127.0.0.1", "::1"] : [host.replace(/^\[(.*)\]$/, "$1")];
  const first = await listenOne(listeners, hosts[0]!, port);
  const bound = (first.address() as { port: number }).port;
  const servers = [first];
  for (const extra of hosts.slice(1)) {
    try {
      servers.push(await listenOne(listeners, extra, bound));
    } catch (err) {
      // A machine without IPv6 loopback still serves 127.0.0.1.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EADDRNOTAVAIL" && code !== "EAFNOSUPPORT") {
        await closeAll(servers);
        throw err;
      }
    }
  }
  return { servers, port: bound };
}

export async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections?.();
        }),
    ),
  );
}
