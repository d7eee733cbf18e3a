/**
 * A real Redis server for tests: Debian's `redis-server` on a free loopback
 * port, its working directory (and log, and append-only file when asked) in
 * a temporary directory. By default nothing is persisted (`--save ""`,
 * `--appendonly no`): a restart starts empty. With `{ aof: true }` every
 * write is appended and fsynced (`appendfsync always`), so `stop()` then
 * `start()` keeps the data, as a production Redis with AOF would. `stop()`
 * and `start()` on the same port are for outage tests; `close()` stops it
 * and removes the directory; a process that dies without cleaning up still
 * kills the server (an exit hook). Nothing is skipped when the binary is
 * missing: the helper fails saying what to install.
 *
 * @example
 * const redis = useRedis(); // one server per file, stopped after it
 * it("...", async () => { const client = await openRedis({ url: redis().url }); ... });
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { closeRedis, openClusterNode, openRedis, type ClusterNode, type RedisClient } from "../../server/cluster/index.js";
import { closedPort } from "./http-server.js";

export interface RedisServerOptions {
  /** Keep data across stop()/start() with the append-only file (fsync on every write). Default false. */
  aof?: boolean;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The server's working directory (log, AOF). */
  readonly dir: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Stop the server: SIGTERM (graceful: the AOF is flushed) or SIGKILL (a crash). Data stays on disk with `aof`. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Start it again on the same port and wait until it answers PING. */
  start(): Promise<void>;
  /** Remove every key (FLUSHALL). */
  flush(): Promise<void>;
  /** The server log so far (for failure messages). */
  log(): string;
  /** Stop the server and remove its directory. Idempotent. */
  close(): Promise<void>;
}

/** Where the binary is; CODA_REDIS_SERVER overrides. */
export function redisServerBinary(): string {
  const override = process.env.CODA_REDIS_SERVER;
  if (override) return override;
  for (const candidate of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) if (existsSync(candidate)) return candidate;
  throw new Error("redis-server is not installed (no /usr/bin/redis-server): apt-get install redis-server");
}

/** RESP encoding of one command. */
function encodeCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** Send one command on a fresh socket and resolve with its one-line reply (PING, FLUSHALL). */
function rawCommand(port: number, args: readonly string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let reply = "";
    let settled = false;
    const done = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(reply);
    };
    const timer = setTimeout(() => done(new Error(`redis ${args[0]} got no reply within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => socket.write(encodeCommand(args)));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      // Only simple replies (+PONG, +OK, -ERR ...) are asked for: they end at the first CRLF.
      if (reply.includes("\r\n")) done(null);
    });
    socket.on("error", (err) => done(err));
    socket.on("close", () => done(null));
  });
}

/** Start a new server in a fresh temporary directory. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), "coda-redis-"));
  const logFile = join(dir, "redis.log");
  const port = await closedPort();
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", dir,
    "--logfile", logFile,
    "--daemonize", "no",
    "--save", "",
    "--appendonly", options.aof ? "yes" : "no",
    "--appendfsync", "always",
    "--protected-mode", "no",
  ];
  const readLog = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };

  let child: ChildProcess | null = null;
  let removed = false;
  const killSync = () => {
    child?.kill("SIGKILL");
  };
  process.once("exit", killSync);

  const waitReady = async () => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const pong = await rawCommand(port, ["PING"], 500);
        if (pong.startsWith("+PONG")) return;
        // LOADING: the server is reading its AOF; ask again.
      } catch {
        /* not listening yet */
      }
      if (child === null || child.exitCode !== null) throw new Error(`redis-server exited before answering:\n${readLog()}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port}:\n${readLog()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const start = async () => {
    if (child) return;
    const proc = spawn(binary, args, { cwd: dir, stdio: "ignore" });
    child = proc;
    proc.once("exit", () => {
      if (child === proc) child = null;
    });
    await waitReady();
  };
  const stop = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    await exited;
    child = null;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get running() {
      return child !== null;
    },
    stop,
    start,
    async flush() {
      const reply = await rawCommand(port, ["FLUSHALL"]);
      if (!reply.startsWith("+OK")) throw new Error(`FLUSHALL failed: ${reply}`);
    },
    log: readLog,
    async close() {
      if (removed) return;
      removed = true;
      try {
        await stop("SIGKILL");
      } finally {
        process.removeListener("exit", killSync);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * One server for the test file (or describe block) it is called in, started
 * before its tests and closed after them. Returns a getter.
 */
export function useRedis(options: RedisServerOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis(options);
  }, 30_000);
  afterAll(async () => {
    await server?.close();
    server = undefined;
  }, 30_000);
  return () => {
    if (!server) throw new Error("useRedis: no server outside a test");
    return server;
  };
}

/**
 * Connections to the server of `redis` for each test, closed after it
 * (nodes first, then clients). `connect()` opens one client (reconnecting
 * quickly after an outage); `node(id)` opens a stand-in cluster node
 * (openClusterNode: a command client, a StreamMux on its own reader, the
 * health flag), as a real node has.
 * @example const { connect, node } = useRedisClients(redis); const a = await node("a");
 */
export function useRedisClients(redis: () => RedisServer): { connect(name?: string): Promise<RedisClient>; node(id: string, options?: { blockMs?: number }): Promise<ClusterNode> } {
  const clients: RedisClient[] = [];
  const nodes: ClusterNode[] = [];
  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.close();
    for (const client of clients.splice(0)) closeRedis(client);
  });
  return {
    async connect(name?: string) {
      const client = await openRedis({ url: redis().url, reconnectMaxMs: 100, ...(name ? { name } : {}) });
      clients.push(client);
      return client;
    },
    async node(id, options = {}) {
      const node = await openClusterNode({ url: redis().url, node: id, reconnectMaxMs: 100, ...options });
      nodes.push(node);
      return node;
    },
  };
}

/** Every entry of stream `key` (id and fields as text), read with a plain XRANGE. */
export async function streamEntries(client: RedisClient, key: string): Promise<{ id: string; message: Record<string, string> }[]> {
  return (await client.xRange(key, "-", "+")) ?? [];
}
