/**
 * Binding the HTTP server(s). "localhost" binds both 127.0.0.1 and ::1 on
 * the same port so ws://localhost and ws://127.0.0.1 both work whatever the
 * resolver prefers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

export interface Listeners {
  request(req: IncomingMessage, res: ServerResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Every new TCP connection, before it has sent anything. */
  connection?(socket: Socket): void;
  /** An error of the listening socket after it is bound (e.g. accept failing); it must not end the process. */
  error?(err: Error): void;
}

/** Limits on a connection before it is a WebSocket client. */
export interface ListenLimits {
  /** Request headers not complete by then: 408 and close. */
  headersTimeoutMs: number;
}

function listenOne(listeners: Listeners, host: string, port: number, limits: ListenLimits): Promise<Server> {
  const server = createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: Math.max(limits.headersTimeoutMs, 30_000),
    // How often Node checks those timeouts (its default, 30 s, would let idle sockets live 40 s).
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(limits.headersTimeoutMs / 4))),
  }, listeners.request);
  server.on("upgrade", listeners.upgrade);
  if (listeners.connection) server.on("connection", listeners.connection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port, ipv6Only: host === "::1" }, () => {
      server.off("error", reject);
      server.on("error", (err) => listeners.error?.(err));
      resolve(server);
    });
  });
}

/** Listen on `host:port`; returns the servers and the bound port. */
export async function listenAll(listeners: Listeners, host: string, port: number, limits: ListenLimits): Promise<{ servers: Server[]; port: number }> {
  const hosts = host === "localhost" ? ["127.0.0.1", "::1"] : [host.replace(/^\[(.*)\]$/, "$1")];
  const first = await listenOne(listeners, hosts[0]!, port, limits);
  const bound = (first.address() as { port: number }).port;
  const servers = [first];
  for (const extra of hosts.slice(1)) {
    try {
      servers.push(await listenOne(listeners, extra, bound, limits));
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
