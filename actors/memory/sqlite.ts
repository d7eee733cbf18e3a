/**
 * Long-term memory on SQLite (libsql, actors/memory/sqlite-driver.ts): finished turns and facts or
 * preferences of each user, found with FTS5 (BM25 orders the candidates)
 * and scored by relevance (actors/memory/relevance.ts). One file, WAL mode,
 * versioned migrations, a retention cap per user, and every failure mapped
 * to an EngineError with a stable code. See docs/memory.md for the schema
 * and the rules.
 *
 * The driver is synchronous; each call is one small indexed statement
 * (or one short transaction), so it runs on the calling thread. The async
 * signatures keep the MemoryStore contract open for engines that do not.
 */
import { randomUUID } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { userIdOf } from "../contracts/index.js";
import { EngineError } from "../engine-error.js";
import { ensureDatabaseFolder } from "./db-folder.js";
import { ftsAll, ftsAny, ftsTerm } from "./fts-query.js";
import { migrate } from "./migrations.js";
import type { QueryTerm } from "./query-terms.js";
import { candidateCount, checkMinScore, rankByRelevance, relevanceScorer } from "./relevance.js";
import { immediateTransaction, openSqlite, pragmaValue, type SqliteDatabase } from "./sqlite-driver.js";
import { toMemoryError } from "./sqlite-errors.js";
import { checkCapacity, checkLimit, lookupRequest, newFact, newTurn, type NewMemory } from "./store-input.js";
import type { MemoryHealth, MemoryHit, MemoryItem, MemoryKind, MemoryStore, RecallOptions } from "./types.js";

/** `~/.coda/memory.db`: where the store lives when no path is given. */
export function defaultMemoryPath(): string {
  return join(homedir(), ".coda", "memory.db");
}

/** Options of SqliteMemoryStore; every one has a default. */
export interface SqliteMemoryStoreOptions {
  /** Database file; its directory is created. Default `~/.coda/memory.db`. `":memory:"` for a throwaway store. */
  path?: string;
  /** Retention cap: most memories kept per user (default 10 000). See docs/memory.md for what is evicted. */
  maxItems?: number;
  /** Recall drops hits scoring below this (0..1, default 0: none dropped); a call's own `minScore` wins. */
  minScore?: number;
  /** Memory text longer than this is cut (default 8000 characters). */
  maxTextChars?: number;
  /** How long a write waits for another connection's lock before failing with `locked` (default 2000 ms). */
  busyTimeoutMs?: number;
  /** Optional size limit of the database file in bytes; writes past it fail with `full`. */
  maxBytes?: number;
  /** Run `PRAGMA quick_check` when opening (default true) so a damaged file is refused up front. */
  integrityCheck?: boolean;
  /** Clock, for tests. */
  now?: () => Date;
}

interface MemoryRow {
  seq: number;
  id: string;
  kind: MemoryKind;
  text: string;
  importance: number;
  created_at: string;
  turn_id: string | null;
  interrupted: 0 | 1;
}

/**
 * A MemoryStore backed by one SQLite file.
 *
 * @example
 * const store = new SqliteMemoryStore({ path: "/tmp/coda/memory.db" });
 * await store.remember({ text: "The user's cat is called Miso", kind: "fact" });
 * const hits = await store.recall("what is my cat called?");
 * await store.close();
 *
 * @throws EngineError (locked | full | corrupt | storage_error) when the file cannot be opened;
 *   a corrupt file is left exactly as it was.
 */
export class SqliteMemoryStore implements MemoryStore {
  readonly name = "sqlite";
  /** The database file (absolute or as given). */
  readonly path: string;
  readonly maxItems: number;
  readonly minScore: number;
  readonly #maxTextChars: number;
  readonly #now: () => Date;
  readonly #db: SqliteDatabase;
  /** Page limit from `maxBytes`, or null. */
  readonly #maxPages: number | null = null;
  /** The prepared statements; null once closed (libsql frees the connection when they are collected). */
  #sql: Statements | null;
  #closedAt = "";

  constructor(options: SqliteMemoryStoreOptions = {}) {
    this.path = options.path ?? defaultMemoryPath();
    this.maxItems = options.maxItems ?? 10_000;
    this.minScore = checkMinScore(options.minScore ?? 0);
    this.#maxTextChars = options.maxTextChars ?? 8000;
    this.#now = options.now ?? (() => new Date());
    const busyTimeoutMs = options.busyTimeoutMs ?? 2000;
    checkCapacity(this.maxItems, this.#maxTextChars);
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new TypeError("busyTimeoutMs must be a non-negative integer");
    if (options.maxBytes !== undefined && (!Number.isInteger(options.maxBytes) || options.maxBytes < 65536)) {
      throw new TypeError("maxBytes must be an integer >= 65536");
    }

    const inMemory = this.path === ":memory:";
    let db: SqliteDatabase | undefined;
    try {
      if (!inMemory) ensureDatabaseFolder(this.path);
      // The native module is loaded with the first store rather than with coda-core.
      db = openSqlite(this.path, busyTimeoutMs);
      // Reading the header happens here: a file that is not a database fails
      // with SQLITE_NOTADB before anything is written to it.
      if (!inMemory) pragmaValue(db, "journal_mode", "WAL");
      // FULL: a commit is on disk before storeTurn resolves, so a turn that
      // was reported stored survives a crash or power cut, not just a kill.
      pragmaValue(db, "synchronous", "FULL");
      if (options.maxBytes !== undefined) {
        const pageSize = pragmaValue(db, "page_size") as number;
        this.#maxPages = Math.floor(options.maxBytes / pageSize);
        pragmaValue(db, "max_page_count", this.#maxPages);
      }
      if (options.integrityCheck ?? true) {
        const result = pragmaValue(db, "quick_check");
        if (result !== "ok") throw new EngineError("corrupt", `Opening memory database: quick_check failed (${String(result)}); the file was left untouched`);
      }
      migrate(db);
      this.#sql = prepare(db);
    } catch (err) {
      // Close without checkpointing anything; never delete or rewrite the file.
      try {
        db?.close();
      } catch {
        /* the handle may already be unusable */
      }
      throw toMemoryError(err, "Opening memory database");
    }
    this.#db = db;
  }

  /** Async constructor, for symmetry with other engines. */
  static async open(options: SqliteMemoryStoreOptions = {}): Promise<SqliteMemoryStore> {
    return new SqliteMemoryStore(options);
  }

  /**
   * Keep one turn (importance 0.3 unless the caller's retention rules say
   * otherwise). `interrupted`: the turn was cut short and `assistant` is
   * what was heard of the answer; kept in its own column and in the text.
   */
  async storeTurn(turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date; importance?: number; userId?: string }): Promise<MemoryItem> {
    const memory = newTurn(turn, this.#maxTextChars, this.#now);
    return this.#run("Storing a turn", (sql) => this.#insert(sql, memory));
  }

  /** Keep a fact (default importance 0.6) or a preference (0.7). */
  async remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null; userId?: string }): Promise<MemoryItem> {
    const memory = newFact(fact, this.#maxTextChars, this.#now);
    return this.#run("Storing a memory", (sql) => this.#insert(sql, memory));
  }

  /**
   * The user's memories most relevant to `query`, best first: candidates
   * hold any of its words (stopwords dropped) and are scored by relevance
   * (0..1, actors/memory/relevance.ts); equal scores are ordered by BM25,
   * then importance, then recency. Hits below `minScore` are dropped. No
   * words in the query: no hits.
   */
  async recall(query: string, options: RecallOptions = {}): Promise<MemoryHit[]> {
    const { terms, userId, limit, minScore } = lookupRequest("recall", query, options, this.minScore);
    if (terms === null) return [];
    return this.#run("Recalling memories", (sql) => ranked(sql, terms, userId, limit, minScore));
  }

  /**
   * Viewer search: the user's memories containing every word of `query`
   * (the last one as a prefix), by BM25, then importance, then recency.
   * Each holds every word, so each scores 1.
   */
  async search(query: string, options: RecallOptions = {}): Promise<MemoryHit[]> {
    const { terms, userId, limit } = lookupRequest("search", query, options, this.minScore);
    if (terms === null) return [];
    return this.#run("Searching memories", (sql) => (sql.match.all(ftsAll(terms), userId, limit) as MemoryRow[]).map((row) => ({ item: toItem(row), score: 1 })));
  }

  /** The user's memories, newest first. */
  async list(options: { limit?: number; userId?: string } = {}): Promise<MemoryItem[]> {
    const userId = userIdOf(options.userId);
    const limit = checkLimit(options.limit, 20);
    return this.#run("Listing memories", (sql) => (sql.list.all(userId, limit) as MemoryRow[]).map(toItem));
  }

  /** One of the user's memories by id, or null. */
  async get(id: string, options: { userId?: string } = {}): Promise<MemoryItem | null> {
    const userId = userIdOf(options.userId);
    return this.#run("Reading a memory", (sql) => {
      const row = sql.get.get(id, userId) as MemoryRow | undefined;
      return row ? toItem(row) : null;
    });
  }

  /** How many memories the user has. */
  async count(options: { userId?: string } = {}): Promise<number> {
    const userId = userIdOf(options.userId);
    return this.#run("Counting memories", (sql) => count(sql, userId));
  }

  /**
   * Remove one of the user's memories (and its index entry); false when the
   * user has none with that id. Works on a store that is at its `maxBytes`
   * limit: removing the FTS entry needs a few pages, so the limit is lifted
   * for the delete.
   */
  async forget(id: string, options: { userId?: string } = {}): Promise<boolean> {
    const userId = userIdOf(options.userId);
    return this.#run("Forgetting a memory", (sql) => this.#withoutSizeLimit(() => sql.forget.run(id, userId).changes > 0));
  }

  /** Healthy while open: the file was opened and migrated, and each call reports its own failure. */
  health(): MemoryHealth {
    return this.#sql === null ? { ok: false, code: "storage_error", message: "The memory store is closed", since: this.#closedAt } : { ok: true };
  }

  /**
   * Checkpoint the WAL into the main file and close. Idempotent. Every
   * commit is in the main file when it resolves; libsql lets go of the file
   * handles once the store's statements are garbage-collected.
   */
  async close(): Promise<void> {
    if (this.#sql === null) return;
    this.#sql = null;
    this.#closedAt = new Date().toISOString();
    let failure: unknown;
    try {
      if (this.path !== ":memory:") this.#db.pragma("wal_checkpoint(TRUNCATE)");
    } catch (err) {
      // Another reader holds the WAL: closing still leaves every commit in
      // the WAL file, which the next open replays. Report, do not lose data.
      failure = err;
    } finally {
      this.#db.close();
    }
    if (failure) throw toMemoryError(failure, "Closing memory database");
  }

  #insert(sql: Statements, m: NewMemory): MemoryItem {
    const item: MemoryItem = {
      id: `mem_${randomUUID()}`,
      kind: m.kind,
      text: m.text,
      importance: m.importance,
      createdAt: m.at.toISOString(),
      turnId: m.turnId,
      interrupted: m.interrupted,
    };
    // One transaction: the row, its FTS entry (trigger) and the eviction it
    // causes are all committed together or not at all.
    immediateTransaction(this.#db, () => {
      const { lastInsertRowid } = sql.insert.run({
        user_id: m.userId,
        id: item.id,
        kind: item.kind,
        text: item.text,
        user_text: m.user,
        answer: m.answer,
        importance: item.importance,
        created_at: item.createdAt,
        created_ms: m.at.getTime(),
        turn_id: item.turnId,
        interrupted: m.interrupted ? 1 : 0,
      });
      const over = count(sql, m.userId) - this.maxItems;
      if (over > 0) sql.evict.run(m.userId, lastInsertRowid, over);
    });
    return item;
  }

  #withoutSizeLimit<T>(fn: () => T): T {
    if (this.#maxPages === null) return fn();
    pragmaValue(this.#db, "max_page_count", 4294967294);
    try {
      return fn();
    } finally {
      // Cannot go below the current size; SQLite then keeps the current size as the limit.
      pragmaValue(this.#db, "max_page_count", this.#maxPages);
    }
  }

  #run<T>(what: string, fn: (sql: Statements) => T): T {
    const sql = this.#sql;
    if (sql === null) throw new EngineError("storage_error", `${what}: the memory store is closed`);
    try {
      return fn(sql);
    } catch (err) {
      throw toMemoryError(err, what);
    }
  }
}

type Statements = ReturnType<typeof prepare>;

// Rows are read by column name: libsql adds a `_metadata` property to each.
// CROSS JOIN keeps the full-text index as the outer loop: given the choice,
// libSQL's SQLite (3.45) walks the user's memories and runs the MATCH once
// per row instead, 150 times slower on 10,000 memories (bench:memory-recall).
function prepare(db: SqliteDatabase) {
  const columns = "m.seq, m.id, m.kind, m.text, m.importance, m.created_at, m.turn_id, m.interrupted";
  return {
    insert: db.prepare(
      `INSERT INTO memories (user_id, id, kind, text, user_text, answer, importance, created_at, created_ms, turn_id, interrupted)
       VALUES (@user_id, @id, @kind, @text, @user_text, @answer, @importance, @created_at, @created_ms, @turn_id, @interrupted)`,
    ),
    count: db.prepare("SELECT count(*) AS n FROM memories WHERE user_id = ?"),
    // Retention: the user's least important first, then oldest; never the row just written.
    evict: db.prepare(
      `DELETE FROM memories WHERE seq IN (
         SELECT seq FROM memories WHERE user_id = ? AND seq != ? ORDER BY importance ASC, created_ms ASC, seq ASC LIMIT ?)`,
    ),
    match: db.prepare(
      `SELECT ${columns}
         FROM memories_fts CROSS JOIN memories m ON m.seq = memories_fts.rowid
        WHERE memories_fts MATCH ? AND m.user_id = ?
        ORDER BY bm25(memories_fts) ASC, m.importance DESC, m.created_ms DESC, m.seq DESC
        LIMIT ?`,
    ),
    // Which of the user's memories hold one term (for its weight and for who holds it).
    termRows: db.prepare(
      `SELECT m.seq FROM memories_fts CROSS JOIN memories m ON m.seq = memories_fts.rowid
        WHERE memories_fts MATCH ? AND m.user_id = ?`,
    ),
    list: db.prepare(`SELECT ${columns} FROM memories m WHERE m.user_id = ? ORDER BY m.created_ms DESC, m.seq DESC LIMIT ?`),
    get: db.prepare(`SELECT ${columns} FROM memories m WHERE m.id = ? AND m.user_id = ?`),
    forget: db.prepare("DELETE FROM memories WHERE id = ? AND user_id = ?"),
  };
}

function count(sql: Statements, userId: string): number {
  return (sql.count.get(userId) as { n: number }).n;
}

/**
 * Candidates (any term, best BM25 first), scored by which terms each
 * holds, weighed by how many of the user's memories hold each term.
 */
function ranked(sql: Statements, terms: QueryTerm[], userId: string, limit: number, minScore: number): MemoryHit[] {
  const rows = sql.match.all(ftsAny(terms), userId, candidateCount(limit)) as MemoryRow[];
  if (rows.length === 0) return [];
  const total = count(sql, userId);
  const holding = terms.map((t) => new Set((sql.termRows.all(ftsTerm(t), userId) as { seq: number }[]).map((row) => row.seq)));
  const score = relevanceScorer(holding.map((h) => h.size), total);
  return rankByRelevance(
    rows.map((row) => ({ item: toItem(row), matched: holding.map((h) => h.has(row.seq)) })),
    score,
    { limit, minScore },
  );
}

function toItem(row: MemoryRow): MemoryItem {
  return { id: row.id, kind: row.kind, text: row.text, importance: row.importance, createdAt: row.created_at, turnId: row.turn_id, interrupted: row.interrupted === 1 };
}
