/**
 * The database memory stores, side by side, for suites that hold every
 * store to the same behaviour: SQLite on a fresh file per test, PostgreSQL
 * on a real server (test/helpers/postgres.ts, one per file) with a fresh,
 * migrated database per file whose rows are removed before each test.
 * `open()` may be called several times in a test: each store it returns
 * works on the same data (a restart), and all are closed after the test.
 *
 * @example
 * describe.each(useMemoryStores())("$name store", (kind) => {
 *   it("...", async () => { const store = await kind.open(); ... });
 * });
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { PostgresMemoryStore } from "../../actors/memory/postgres.js";
import { SqliteMemoryStore } from "../../actors/memory/sqlite.js";
import type { MemoryHit, MemoryItem, MemoryStore, RecallOptions } from "../../actors/memory/types.js";
import { startPostgres, type PostgresServer } from "./postgres.js";
import { tempDir, type TempDir } from "./temp-dir.js";

/** What both database stores offer beyond MemoryStore. */
export type DatabaseMemoryStore = MemoryStore & {
  search(query: string, options?: RecallOptions): Promise<MemoryHit[]>;
  get(id: string, options?: { userId?: string }): Promise<MemoryItem | null>;
  count(options?: { userId?: string }): Promise<number>;
};

/** Options every database store takes. */
export interface StoreOptions {
  maxItems?: number;
  minScore?: number;
  maxTextChars?: number;
  now?: () => Date;
}

export interface StoreKind {
  name: "sqlite" | "postgres";
  /** A store on this test's data. */
  open(options?: StoreOptions): Promise<DatabaseMemoryStore>;
}

/**
 * Register the hooks (PostgreSQL started once for the file) and return the
 * two store kinds, for `describe.each`.
 */
export function useMemoryStores(): StoreKind[] {
  const opened: MemoryStore[] = [];
  let tmp: TempDir | undefined;
  let server: PostgresServer | undefined;
  let url: string | undefined;

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.database();
    // Migrate once, so each test starts from an empty, current schema.
    await (await PostgresMemoryStore.open({ url })).close();
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  }, 60_000);
  beforeEach(async () => {
    tmp = tempDir();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("TRUNCATE coda_memories");
    } finally {
      await client.end();
    }
  });
  afterEach(async () => {
    for (const store of opened.splice(0).reverse()) await store.close().catch(() => {});
    tmp?.remove();
  });

  const track = <T extends MemoryStore>(store: T): T => {
    opened.push(store);
    return store;
  };
  return [
    { name: "sqlite", open: async (options = {}) => track(new SqliteMemoryStore({ path: tmp!.file(), ...options })) },
    { name: "postgres", open: async (options = {}) => track(await PostgresMemoryStore.open({ url: url!, ...options })) },
  ];
}

/** A clock that ticks one second per read, so creation order is unambiguous. */
export function tickingClock(start = Date.UTC(2026, 0, 1)): () => Date {
  let now = start;
  return () => new Date((now += 1000));
}
