/**
 * The PostgreSQL store's schema and opening (a real PostgreSQL): the
 * version table records each migration once, however many nodes open a new
 * database at the same time; a database migrated by a newer Coda is refused
 * and left alone; a server that cannot be reached, a missing database and a
 * bad URL fail `open` with a clear EngineError and leave nothing open.
 */
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "../../../actors/engine-error.js";
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from "../../../actors/memory/postgres-migrations.js";
import { PostgresMemoryStore } from "../../../actors/memory/postgres.js";
import { isPostgresUrl, redactUrl, urlPassword } from "../../../actors/memory/postgres-url.js";
import { closedPort } from "../../helpers/http-server.js";
import { usePostgres } from "../../helpers/postgres.js";

const server = usePostgres();

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function openError(options: Parameters<typeof PostgresMemoryStore.open>[0]): Promise<EngineError> {
  const err = await PostgresMemoryStore.open(options).then(
    async (store) => {
      await store.close();
      return new Error("expected open to fail");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

describe("migrations", () => {
  let url: string;
  beforeAll(async () => {
    url = await server().database();
  });

  it("creates the schema on a new database and records its version once", async () => {
    const store = await PostgresMemoryStore.open({ url });
    await store.close();
    await (await PostgresMemoryStore.open({ url })).close();
    expect(await query(url, "SELECT version, description FROM coda_memory_schema ORDER BY version")).toEqual(
      POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, description: m.description })),
    );
    expect(POSTGRES_SCHEMA_VERSION).toBe(POSTGRES_MIGRATIONS.length);
    const columns = await query<{ column_name: string }>(url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'coda_memories' ORDER BY ordinal_position");
    expect(columns.map((c) => c.column_name)).toEqual(["seq", "id", "user_id", "kind", "text", "user_text", "answer", "importance", "created_at", "turn_id", "interrupted", "search"]);
  });

  it("migrates exactly once when several nodes open a new database at the same time", async () => {
    const fresh = await server().database();
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresMemoryStore.open({ url: fresh })));
    await Promise.all(stores.map((s) => s.remember({ text: "opened", userId: "ana" })));
    expect(await stores[0]!.count({ userId: "ana" })).toBe(6);
    await Promise.all(stores.map((s) => s.close()));
    expect(await query(fresh, "SELECT count(*)::int AS n FROM coda_memory_schema")).toEqual([{ n: POSTGRES_SCHEMA_VERSION }]);
  });

  it("refuses a database migrated by a newer Coda and leaves it as it was", async () => {
    const newer = await server().database();
    await (await PostgresMemoryStore.open({ url: newer })).close();
    await query(newer, "INSERT INTO coda_memory_schema (version, description) VALUES (99, 'from the future')");
    const err = await openError({ url: newer });
    expect(err.code).toBe("storage_error");
    expect(err.message).toMatch(/^Opening the memory database at postgres:\/\/coda@127\.0\.0\.1:\d+\/\w+: Memory database schema version 99 is newer than this server supports \(1\)$/);
    expect(await query(newer, "SELECT max(version) AS v FROM coda_memory_schema")).toEqual([{ v: 99 }]);
  });
});

describe("opening", () => {
  it("says `unavailable` when nothing answers at the URL", async () => {
    const err = await openError({ url: `postgres://coda@127.0.0.1:${await closedPort()}/coda`, connectTimeoutMs: 2000 });
    expect(err.code).toBe("unavailable");
    expect(err.message).toMatch(/^Opening the memory database at postgres:\/\/coda@127\.0\.0\.1:\d+\/coda: The PostgreSQL memory database cannot be reached \(.*ECONNREFUSED.*\)$/);
  });

  it("names a database that does not exist, and never shows the password", async () => {
    const url = `postgres://coda:s3cret-pw@127.0.0.1:${server().port}/no_such_db`;
    const err = await openError({ url });
    expect(err.code).toBe("storage_error");
    expect(err.message).toContain('database "no_such_db" does not exist');
    expect(err.message).toContain("postgres://coda:***@127.0.0.1");
    expect(err.message).not.toContain("s3cret-pw");
  });

  it("refuses bad options with one TypeError before connecting", async () => {
    await expect(PostgresMemoryStore.open({ url: "postgres://x/y", maxItems: 0 })).rejects.toThrow(new TypeError("maxItems must be a positive integer"));
    await expect(PostgresMemoryStore.open({ url: "postgres://x/y", poolSize: 1.5 })).rejects.toThrow(new TypeError("poolSize must be a positive integer"));
    await expect(PostgresMemoryStore.open({ url: "postgres://x/y", minScore: 2 })).rejects.toThrow(/minScore must be a number from 0 to 1/);
  });
});

describe("URLs", () => {
  it("selects PostgreSQL for postgres:// and postgresql:// only", () => {
    expect(["postgres://h/db", "postgresql://u:p@h:5432/db", "POSTGRES://h/db"].map(isPostgresUrl)).toEqual([true, true, true]);
    expect(["~/.coda/memory.db", "off", "/var/lib/postgres://x", "sqlite://x", "postgres:/x"].map(isPostgresUrl)).toEqual([false, false, false, false, false]);
  });

  it("shows a URL without its password, and gives the password for the logger to scrub", () => {
    expect(redactUrl("postgres://coda:hunter2@db:5432/coda")).toBe("postgres://coda:***@db:5432/coda");
    expect(redactUrl("postgres://coda@db/coda")).toBe("postgres://coda@db/coda");
    expect(urlPassword("postgres://coda:p%40ss%2Fword@db/coda")).toBe("p@ss/word");
    expect(urlPassword("postgres://coda@db/coda")).toBeUndefined();
  });
});
