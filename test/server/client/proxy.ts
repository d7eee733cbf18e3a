/**
 * A loopback TCP proxy for tests that need a connection to drop while the
 * server keeps running: `drop()` cuts every open connection, `refuse(true)`
 * turns new ones away until `refuse(false)`.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  port: number;
  url: string;
  /** Connections accepted and forwarded so far. */
  readonly accepted: number;
  drop(): void;
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  let accepted = 0;
  const server: Server = createServer((client) => {
    if (refusing) return void client.destroy();
    accepted++;
    const upstream = connect(targetPort, "127.0.0.1");
    open.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", cut).on("close", cut);
    upstream.on("error", cut).on("close", cut);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const drop = () => {
    for (const s of open) s.destroy();
    open.clear();
  };
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    drop,
    refuse(on) {
      refusing = on;
    },
    async close() {
      drop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
