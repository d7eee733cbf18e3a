/**
 * Long-term memory on PostgreSQL, shared by every node of a deployment:
 * the same behaviour as the SQLite store (users, recall with the spelling
 * variants, the relevance score, the interrupted mark, migrations, a
 * retention cap per user, listing, search, forget) on PostgreSQL's own
 * full-text search: a GIN-indexed tsvector per memory (an English stemmer
 * without stop words), `to_tsquery` built from the query terms, ts_rank to
 * order candidates. Selected by `--memory-db postgres://...`.
 *
 * The `pg` client is loaded when a store is opened, not when this module
 * is imported, so a server on SQLite never loads it. Connections come from
 * a pool that reconnects by itself: while the server cannot be reached,
 * every call fails with EngineError `unavailable` and `health()` says so;
 * a probe (and every call) finds out when it answers again. The probe also
 * runs while the server answers, so an outage shows in `health()` (and on
 * `/health`) even when no call is being made. What a call
 * acknowledged was committed by PostgreSQL before the call resolved.
 * See docs/memory.md, "PostgreSQL".
 */
import { randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import { abortError, EngineError } from "../engine-error.js";
import { userIdOf } from "../contracts/index.js";
import { migratePostgres } from "./postgres-migrations.js";
import { postgresErrorCode, toPostgresError } from "./postgres-errors.js";
import { redactUrl } from "./postgres-url.js";
import type { QueryTerm } from "./query-terms.js";
import { candidateCount, checkMinScore, rankByRelevance, relevanceScorer } from "./relevance.js";
import { checkCapacity, checkLimit, lookupRequest, newFact, newTurn, type NewMemory } from "./store-input.js";
import { foldDiacritics, tsAll, tsAny, tsTerm } from "./tsquery.js";
import type { MemoryHealth, MemoryHit, MemoryItem, MemoryKind, MemoryStore, RecallOptions } from "./types.js";

/** Options of PostgresMemoryStore.open; only `url` is required. */
export interface PostgresMemoryStoreOptions {
  /** `postgres://user:password@host:port/database` (or postgresql://); the usual libpq URL parameters apply. */
  url: string;
  /** Retention cap: most memories kept per user (default 10 000). */
  maxItems?: number;
  /** Memory text longer than this is cut (default 8000 characters). */
  maxTextChars?: number;
  /** Recall drops hits scoring below this (0..1, default 0: none dropped); a call's own `minScore` wins. */
  minScore?: number;
  /** Most connections (default 10). */
  poolSize?: number;
  /** How long a call waits for a connection before failing with `unavailable` (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Longest a statement may run on the server before failing with `timeout` (default 10 000 ms). */
  statementTimeoutMs?: number;
  /**
   * How often the store asks the server whether it answers (`SELECT 1`), so
   * `health()` notices an outage while no call is made and finds the server
   * back after one (default 2000 ms).
   */
  probeIntervalMs?: number;
  /** Called on each change of `health()`: when the server is lost, and when it answers again (not on close). */
  onHealthChange?: (health: MemoryHealth) => void;
  /** Clock, for tests. */
  now?: () => Date;
}

interface MemoryRow {
  id: string;
  kind: MemoryKind;
  text: string;
  importance: number;
  created_at: Date;
  turn_id: string | null;
  interrupted: boolean;
}

const COLUMNS = "m.id, m.kind, m.text, m.importance, m.created_at, m.turn_id, m.interrupted";

/**
 * A MemoryStore on a PostgreSQL database.
 *
 * @example
 * const store = await PostgresMemoryStore.open({ url: "postgres://coda@db.internal/coda" });
 * await store.remember({ text: "My sister lives in Lisbon", userId: "ana" });
 * const hits = await store.recall("where does my sister live?", { userId: "ana" });
 * await store.close();
 *
 * @throws EngineError from `open` when the database cannot be reached (`unavailable`),
 *   refuses the login or the schema (`storage_error`); nothing is left open.
 */
export class PostgresMemoryStore implements MemoryStore {
  readonly name = "postgres";
  /** The database URL without its password. */
  readonly url: string;
  readonly maxItems: number;
  readonly minScore: number;
  readonly #maxTextChars: number;
  readonly #probeIntervalMs: number;
  readonly #now: () => Date;
  readonly #onHealthChange: ((health: MemoryHealth) => void) | undefined;
  readonly #pool: Pool;
  #down: { code: string; message: string; since: string } | null = null;
  #probe: NodeJS.Timeout | null = null;
  /** A probe's query is running (the next tick skips rather than piling up behind a server that hangs). */
  #probing = false;
  #closed = false;

  private constructor(pool: Pool, options: PostgresMemoryStoreOptions) {
    this.#pool = pool;
    this.url = redactUrl(options.url);
    this.maxItems = options.maxItems ?? 10_000;
    this.minScore = options.minScore ?? 0;
    this.#maxTextChars = options.maxTextChars ?? 8000;
    this.#probeIntervalMs = options.probeIntervalMs ?? 2000;
    this.#now = options.now ?? (() => new Date());
    this.#onHealthChange = options.onHealthChange;
    // An idle connection that the server drops (a restart) is reported here, not thrown: without a listener it would end the process.
    pool.on("error", (err) => this.#markDown(err));
  }

  /** Ask the server every probeIntervalMs whether it answers, for as long as the store is open. */
  #startProbe(): void {
    this.#probe = setInterval(() => {
      if (this.#probing) return;
      this.#probing = true;
      void this.check().finally(() => (this.#probing = false));
    }, this.#probeIntervalMs);
    this.#probe.unref();
  }

  /**
   * Connect, bring the schema up to date (once, whichever node gets there
   * first) and return the store. Loads the `pg` client.
   */
  static async open(options: PostgresMemoryStoreOptions): Promise<PostgresMemoryStore> {
    const maxItems = options.maxItems ?? 10_000;
    checkCapacity(maxItems, options.maxTextChars ?? 8000);
    checkMinScore(options.minScore ?? 0);
    for (const key of ["poolSize", "connectTimeoutMs", "statementTimeoutMs", "probeIntervalMs"] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new TypeError(`${key} must be a positive integer`);
    }
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      application_name: "coda-core memory",
      keepAlive: true,
    });
    const store = new PostgresMemoryStore(pool, options);
    let client: PoolClient | undefined;
    try {
      client = await pool.connect();
      await migratePostgres(client);
      client.release();
    } catch (err) {
      client?.release(true);
      await pool.end().catch(() => {});
      throw toPostgresError(err, `Opening the memory database at ${store.url}`);
    }
    store.#startProbe();
    return store;
  }

  async storeTurn(turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date; importance?: number; userId?: string }): Promise<MemoryItem> {
    const memory = newTurn(turn, this.#maxTextChars, this.#now);
    return this.#run("Storing a turn", () => this.#insert(memory));
  }

  /** Keep a fact (default importance 0.6) or a preference (0.7). */
  async remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null; userId?: string }): Promise<MemoryItem> {
    const memory = newFact(fact, this.#maxTextChars, this.#now);
    return this.#run("Storing a memory", () => this.#insert(memory));
  }

  /**
   * The user's memories most relevant to `query`, best first: candidates
   * hold any of its words (ts_rank orders them) and are scored by relevance
   * (0..1, actors/memory/relevance.ts); equal scores keep ts_rank, then
   * importance, then recency. Hits below `minScore` are dropped.
   */
  async recall(query: string, options: RecallOptions = {}): Promise<MemoryHit[]> {
    const { terms, userId, limit, minScore } = lookupRequest("recall", query, options, this.minScore);
    if (terms === null) return [];
    return this.#run("Recalling memories", () => this.#ranked(terms, userId, limit, minScore), options.signal);
  }

  /** Viewer search: the user's memories holding every word (the last as a prefix), by ts_rank; each scores 1. */
  async search(query: string, options: RecallOptions = {}): Promise<MemoryHit[]> {
    const { terms, userId, limit } = lookupRequest("search", query, options, this.minScore);
    if (terms === null) return [];
    return this.#run(
      "Searching memories",
      async () => {
        const { rows } = await this.#pool.query<MemoryRow>(
          `SELECT ${COLUMNS} FROM coda_memories m, to_tsquery('coda_english', $2) AS q
            WHERE m.user_id = $1 AND m.search @@ q
            ORDER BY ts_rank(m.search, q, 1) DESC, m.importance DESC, m.created_at DESC, m.seq DESC
            LIMIT $3`,
          [userId, tsAll(terms), limit],
        );
        return rows.map((row) => ({ item: toItem(row), score: 1 }));
      },
      options.signal,
    );
  }

  /** The user's memories, newest first. */
  async list(options: { limit?: number; userId?: string } = {}): Promise<MemoryItem[]> {
    const userId = userIdOf(options.userId);
    const limit = checkLimit(options.limit, 20);
    return this.#run("Listing memories", async () => {
      const { rows } = await this.#pool.query<MemoryRow>(`SELECT ${COLUMNS} FROM coda_memories m WHERE m.user_id = $1 ORDER BY m.created_at DESC, m.seq DESC LIMIT $2`, [userId, limit]);
      return rows.map(toItem);
    });
  }

  /** One of the user's memories by id, or null. */
  async get(id: string, options: { userId?: string } = {}): Promise<MemoryItem | null> {
    const userId = userIdOf(options.userId);
    if (!storableId(id)) return null;
    return this.#run("Reading a memory", async () => {
      const { rows } = await this.#pool.query<MemoryRow>(`SELECT ${COLUMNS} FROM coda_memories m WHERE m.id = $1 AND m.user_id = $2`, [id, userId]);
      return rows[0] ? toItem(rows[0]) : null;
    });
  }

  /** How many memories the user has. */
  async count(options: { userId?: string } = {}): Promise<number> {
    const userId = userIdOf(options.userId);
    return this.#run("Counting memories", async () => {
      const { rows } = await this.#pool.query<{ n: number }>("SELECT count(*)::int AS n FROM coda_memories WHERE user_id = $1", [userId]);
      return rows[0]!.n;
    });
  }

  /** Remove one of the user's memories; false when the user has none with that id. */
  async forget(id: string, options: { userId?: string } = {}): Promise<boolean> {
    const userId = userIdOf(options.userId);
    if (!storableId(id)) return false;
    return this.#run("Forgetting a memory", async () => {
      const { rowCount } = await this.#pool.query("DELETE FROM coda_memories WHERE id = $1 AND user_id = $2", [id, userId]);
      return (rowCount ?? 0) > 0;
    });
  }

  /** Not ok from the first failure to reach the server until it answers again (a call or the probe). */
  health(): MemoryHealth {
    if (this.#closed) return { ok: false, code: "storage_error", message: "The memory store is closed", since: this.#down?.since ?? new Date().toISOString() };
    return this.#down ? { ok: false, ...this.#down } : { ok: true };
  }

  /** Ask the server now (`SELECT 1`) and return the health that follows. */
  async check(): Promise<MemoryHealth> {
    if (!this.#closed) await this.#run("Checking the memory database", () => this.#pool.query("SELECT 1")).catch(() => {});
    return this.health();
  }

  /** Close every connection. Idempotent; calls afterwards fail with `storage_error`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#probe) clearInterval(this.#probe);
    this.#probe = null;
    await this.#pool.end();
  }

  /**
   * Candidates (any term, best ts_rank first) with which terms each holds,
   * and how many of the user's memories hold each term, in one statement.
   */
  async #ranked(terms: QueryTerm[], userId: string, limit: number, minScore: number): Promise<MemoryHit[]> {
    const { rows } = await this.#pool.query<MemoryRow & { matched: number[]; total: number; df: number[] }>(
      `WITH terms AS (SELECT i::int AS i, to_tsquery('coda_english', t) AS q FROM unnest($2::text[]) WITH ORDINALITY AS u(t, i)),
            query AS (SELECT to_tsquery('coda_english', $3) AS q)
       SELECT ${COLUMNS},
              ARRAY(SELECT t.i FROM terms t WHERE m.search @@ t.q ORDER BY t.i) AS matched,
              (SELECT count(*)::int FROM coda_memories WHERE user_id = $1) AS total,
              ARRAY(SELECT (SELECT count(*)::int FROM coda_memories d WHERE d.user_id = $1 AND d.search @@ t.q) FROM terms t ORDER BY t.i) AS df
         FROM coda_memories m, query
        WHERE m.user_id = $1 AND m.search @@ query.q
        ORDER BY ts_rank(m.search, query.q, 1) DESC, m.importance DESC, m.created_at DESC, m.seq DESC
        LIMIT $4`,
      [userId, terms.map(tsTerm), tsAny(terms), candidateCount(limit)],
    );
    if (rows.length === 0) return [];
    const score = relevanceScorer(rows[0]!.df, rows[0]!.total);
    return rankByRelevance(
      rows.map((row) => {
        const held = new Set(row.matched);
        return { item: toItem(row), matched: terms.map((_, i) => held.has(i + 1)) };
      }),
      score,
      { limit, minScore },
    );
  }

  /**
   * The row and the eviction it causes, in one transaction. A lock per user
   * serialises writes of one user across nodes, so the cap holds exactly.
   */
  async #insert(m: NewMemory): Promise<MemoryItem> {
    const item: MemoryItem = {
      id: `mem_${randomUUID()}`,
      kind: m.kind,
      text: m.text,
      importance: m.importance,
      createdAt: m.at.toISOString(),
      turnId: m.turnId,
      interrupted: m.interrupted,
    };
    const client = await this.#pool.connect();
    let broken: unknown;
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('coda_memories/' || $1, 0))", [m.userId]);
      const { rows } = await client.query<{ seq: string }>(
        `INSERT INTO coda_memories (id, user_id, kind, text, user_text, answer, importance, created_at, turn_id, interrupted, search)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_tsvector('coda_english', $11))
         RETURNING seq`,
        [item.id, m.userId, m.kind, m.text, m.user, m.answer, m.importance, m.at, m.turnId, m.interrupted, foldDiacritics(m.text)],
      );
      // Retention: the user's least important first, then oldest; never the row just written.
      await client.query(
        `DELETE FROM coda_memories WHERE seq IN (
           SELECT seq FROM coda_memories WHERE user_id = $1 AND seq <> $2
            ORDER BY importance ASC, created_at ASC, seq ASC
            LIMIT GREATEST((SELECT count(*) FROM coda_memories WHERE user_id = $1) - $3, 0))`,
        [m.userId, rows[0]!.seq, this.maxItems],
      );
      await client.query("COMMIT");
    } catch (err) {
      broken = err;
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      // A connection that failed mid-transaction is dropped, not reused.
      client.release(broken !== undefined && postgresErrorCode(broken) === "unavailable");
    }
    return item;
  }

  /** Run one operation: map its failure, track whether the server can be reached, stop waiting when `signal` aborts. */
  async #run<T>(what: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#closed) throw new EngineError("storage_error", `${what}: the memory store is closed`);
    let result: T;
    try {
      result = await (signal ? abortable(fn(), signal) : fn());
    } catch (err) {
      if (signal?.aborted) throw err;
      const mapped = toPostgresError(err, what);
      if ((mapped as { code?: string }).code === "unavailable") this.#markDown(mapped);
      throw mapped;
    }
    this.#markUp();
    return result;
  }

  #markDown(err: unknown): void {
    if (this.#closed || this.#down) return;
    const mapped = toPostgresError(err, "The memory database connection");
    this.#down = { code: (mapped as { code?: string }).code ?? "unavailable", message: mapped.message, since: this.#now().toISOString() };
    this.#onHealthChange?.(this.health());
  }

  #markUp(): void {
    if (!this.#down) return;
    this.#down = null;
    if (!this.#closed) this.#onHealthChange?.({ ok: true });
  }
}

/** `promise`, or the abort error as soon as `signal` aborts (the query itself finishes in the background and releases its connection). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** An id PostgreSQL can compare: one holding NUL is no memory's (and would fail the query). */
function storableId(id: string): boolean {
  return !id.includes("\u0000");
}

function toItem(row: MemoryRow): MemoryItem {
  return { id: row.id, kind: row.kind, text: row.text, importance: row.importance, createdAt: row.created_at.toISOString(), turnId: row.turn_id, interrupted: row.interrupted };
}
