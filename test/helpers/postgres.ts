/**
 * A real PostgreSQL server for tests: Debian's `postgresql` binaries
 * (initdb, pg_ctl) run a throwaway cluster in a temporary directory, on a
 * free loopback port, with its unix socket in that directory. PostgreSQL
 * refuses to run as root, so as root the cluster belongs to the `postgres`
 * user and every program runs through `runuser -u postgres`. The cluster can
 * be stopped and started again on the same port (for outage tests) and is
 * removed with its directory at the end; a process that dies without
 * cleaning up still stops it (an exit hook). Nothing is skipped when the
 * binaries are missing: the helper fails saying what to install.
 *
 * @example
 * const pg = usePostgres(); // one cluster per file, stopped after it
 * it("...", async () => { const url = await pg().database(); ... });
 */
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";

const run = promisify(execFile);

/** The superuser of a test cluster (trust authentication on loopback and the socket). */
export const POSTGRES_TEST_USER = "coda";

export interface PostgresServer {
  /** `postgres://coda@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  /** The cluster's directory (data, socket, log). */
  readonly dir: string;
  /** A URL of a new, empty database in this cluster (`coda_test_<n>` unless named). */
  database(name?: string): Promise<string>;
  /** Stop the server (fast shutdown: clients are disconnected); the data stays. */
  stop(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  /** The server log so far (for failure messages). */
  log(): string;
  /** Stop the server and remove its directory. Idempotent. */
  close(): Promise<void>;
}

/** Where Debian keeps a version's server programs; the newest installed version wins (CODA_PG_BIN overrides). */
export function postgresBinDir(): string {
  const override = process.env.CODA_PG_BIN;
  if (override) return override;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/<version>/bin/initdb): apt-get install postgresql");
  return join(root, versions[0]!, "bin");
}

/** A free TCP port on loopback (closed again before the cluster takes it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("There is no postgres user (the postgresql package makes it): apt-get install postgresql");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Start a new cluster. As root it runs as the `postgres` user; otherwise as
 * the current user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "coda-pg-"));
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const logFile = join(dir, "server.log");
  const command = (program: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", join(bin, program), ...args]] : [join(bin, program), args];
  const exec = async (program: string, args: string[]) => {
    const [file, argv] = command(program, args);
    try {
      await run(file, argv, { cwd: dir });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${program} failed: ${e.stderr || e.message}\n${readLog()}`, { cause: err });
    }
  };
  const readLog = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };

  let running = false;
  let removed = false;
  const stopSync = () => {
    if (!running) return;
    running = false;
    const [file, argv] = command("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    try {
      execFileSync(file, argv, { stdio: "ignore" });
    } catch {
      /* already gone */
    }
  };
  process.once("exit", stopSync);

  await exec("initdb", ["-D", data, "-U", POSTGRES_TEST_USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  const port = await freePort();
  const options = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c full_page_writes=off", "-c max_connections=200"].join(" ");
  const start = async () => {
    await exec("pg_ctl", ["-D", data, "-l", logFile, "-o", options, "-w", "-t", "60", "start"]);
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    await exec("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
    running = false;
  };
  await start();

  const url = `postgres://${POSTGRES_TEST_USER}@127.0.0.1:${port}/postgres`;
  let databases = 0;
  return {
    url,
    port,
    dir,
    async database(name = `coda_test_${++databases}`) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new TypeError(`database(): ${JSON.stringify(name)} is not a plain lower-case name`);
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://${POSTGRES_TEST_USER}@127.0.0.1:${port}/${name}`;
    },
    stop,
    start,
    log: readLog,
    async close() {
      if (removed) return;
      removed = true;
      try {
        await stop();
      } finally {
        stopSync();
        process.removeListener("exit", stopSync);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * One cluster for the test file (or describe block) it is called in,
 * started before its tests and closed after them. Returns a getter.
 */
export function usePostgres(): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    server = undefined;
  }, 60_000);
  return () => {
    if (!server) throw new Error("usePostgres: no server outside a test");
    return server;
  };
}
