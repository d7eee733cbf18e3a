/**
 * Long-term memory on SQLite (better-sqlite3): finished turns and facts or
 * preferences, recalled with FTS5/BM25. One file, WAL mode, versioned
 * migrations, a retention cap, and every failure mapped to an EngineError
 * with a stable code. See docs/memory.md for the schema and the rules.
 *
 * better-sqlite3 is synchronous; each call is one small indexed statement
 * (or one short transaction), so it runs on the calling thread. The async
 * signatures keep the MemoryStore contract open for engines that do not.
 */
import { randomUUID } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { EngineError } from "../engine-error.js";
import { ensureDatabaseFolder } from "./db-folder.js";
import { ftsAllQuery, ftsAnyQuery } from "./fts-query.js";
import { migrate } from "./migrations.js";
import { toMemoryError } from "./sqlite-errors.js";
import { turnMemoryText } from "./turn-text.js";
import { DEFAULT_IMPORTANCE, type MemoryHit, type MemoryItem, type MemoryKind, type MemoryStore } from "./types.js";

/** `~/.coda/memory.db`: where the store lives when no path is given. */
export function defaultMemoryPath(): string {
  return join(homedir(), ".coda", "memory.db");
}

/** Options of SqliteMemoryStore; every one has a default. */
export interface SqliteMemoryStoreOptions {
  /** Database file; its directory is created. Default `~/.coda/memory.db`. `":memory:"` for a throwaway store. */
  path?: string;
  /** Retention cap: most memories kept (default 10 000). See docs/memory.md for what is evicted. */
  maxItems?: number;
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
  id: string;
  kind: MemoryKind;
  text: string;
  importance: number;
  created_at: string;
  turn_id: string | null;
  interrupted: 0 | 1;
}

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;

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
  readonly #maxTextChars: number;
  readonly #now: () => Date;
  readonly #db: Database.Database;
  /** Page limit from `maxBytes`, or null. */
  readonly #maxPages: number | null = null;
  readonly #sql: ReturnType<typeof prepare>;
  #closed = false;

  constructor(options: SqliteMemoryStoreOptions = {}) {
    this.path = options.path ?? defaultMemoryPath();
    this.maxItems = options.maxItems ?? 10_000;
    this.#maxTextChars = options.maxTextChars ?? 8000;
    this.#now = options.now ?? (() => new Date());
    const busyTimeoutMs = options.busyTimeoutMs ?? 2000;
    if (!Number.isInteger(this.maxItems) || this.maxItems < 1) throw new TypeError("maxItems must be a positive integer");
    if (!Number.isInteger(this.#maxTextChars) || this.#maxTextChars < 16) throw new TypeError("maxTextChars must be an integer >= 16");
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new TypeError("busyTimeoutMs must be a non-negative integer");
    if (options.maxBytes !== undefined && (!Number.isInteger(options.maxBytes) || options.maxBytes < 65536)) {
      throw new TypeError("maxBytes must be an integer >= 65536");
    }

    const inMemory = this.path === ":memory:";
    let db: Database.Database | undefined;
    try {
      if (!inMemory) ensureDatabaseFolder(this.path);
      db = new Database(this.path, { timeout: busyTimeoutMs });
      // Reading the header happens here: a file that is not a database fails
      // with SQLITE_NOTADB before anything is written to it.
      if (!inMemory) db.pragma("journal_mode = WAL");
      // FULL: a commit is on disk before storeTurn resolves, so a turn that
      // was reported stored survives a crash or power cut, not just a kill.
      db.pragma("synchronous = FULL");
      if (options.maxBytes !== undefined) {
        const pageSize = db.pragma("page_size", { simple: true }) as number;
        this.#maxPages = Math.floor(options.maxBytes / pageSize);
        db.pragma(`max_page_count = ${this.#maxPages}`);
      }
      if (options.integrityCheck ?? true) {
        const result = db.pragma("quick_check", { simple: true });
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
  async storeTurn(turn: { turnId: string; user: string; assistant: string; interrupted?: boolean; at?: Date; importance?: number }): Promise<MemoryItem> {
    const at = turn.at ?? this.#now();
    if (Number.isNaN(at.getTime())) throw new TypeError("storeTurn: `at` is not a valid date");
    const importance = checkImportance(turn.importance ?? DEFAULT_IMPORTANCE.turn);
    const interrupted = turn.interrupted ?? false;
    const user = this.#cut(turn.user);
    const answer = this.#cut(turn.assistant);
    const text = this.#cut(turnMemoryText(user, answer, interrupted));
    return this.#run("Storing a turn", () => this.#insert({ kind: "turn", text, user, answer, importance, at, turnId: turn.turnId, interrupted }));
  }

  /** Keep a fact (default importance 0.6) or a preference (0.7). */
  async remember(fact: { text: string; kind?: Exclude<MemoryKind, "turn">; importance?: number; turnId?: string | null }): Promise<MemoryItem> {
    const kind = fact.kind ?? "fact";
    if (kind !== "fact" && kind !== "preference") throw new TypeError(`remember: kind must be "fact" or "preference", got ${JSON.stringify(kind)}`);
    const text = this.#cut(fact.text.trim());
    if (text.length === 0) throw new TypeError("remember: text must not be empty");
    const importance = checkImportance(fact.importance ?? DEFAULT_IMPORTANCE[kind]);
    return this.#run("Storing a memory", () =>
      this.#insert({ kind, text, user: null, answer: null, importance, at: this.#now(), turnId: fact.turnId ?? null, interrupted: false }),
    );
  }

  /**
   * The memories most relevant to `query`, best first: any of its words
   * (stopwords dropped), BM25 first, then importance, then recency.
   * `score` is -bm25 (higher is better). No words in the query: no hits.
   */
  async recall(query: string, options: { limit?: number; signal?: AbortSignal } = {}): Promise<MemoryHit[]> {
    options.signal?.throwIfAborted();
    const match = ftsAnyQuery(query);
    if (match === null) return [];
    const limit = checkLimit(options.limit);
    return this.#run("Recalling memories", () => (this.#sql.match.all(match, limit) as (MemoryRow & { rank: number })[]).map(toHit));
  }

  /**
   * Viewer search: memories containing every word of `query` (the last one
   * as a prefix), ranked like recall.
   */
  async search(query: string, options: { limit?: number; signal?: AbortSignal } = {}): Promise<MemoryHit[]> {
    options.signal?.throwIfAborted();
    const match = ftsAllQuery(query);
    if (match === null) return [];
    const limit = checkLimit(options.limit);
    return this.#run("Searching memories", () => (this.#sql.match.all(match, limit) as (MemoryRow & { rank: number })[]).map(toHit));
  }

  /** Newest first. */
  async list(options: { limit?: number } = {}): Promise<MemoryItem[]> {
    const limit = checkLimit(options.limit, 20);
    return this.#run("Listing memories", () => (this.#sql.list.all(limit) as MemoryRow[]).map(toItem));
  }

  /** One memory by id, or null. */
  async get(id: string): Promise<MemoryItem | null> {
    return this.#run("Reading a memory", () => {
      const row = this.#sql.get.get(id) as MemoryRow | undefined;
      return row ? toItem(row) : null;
    });
  }

  /** How many memories are kept. */
  async count(): Promise<number> {
    return this.#run("Counting memories", () => (this.#sql.count.get() as { n: number }).n);
  }

  /**
   * Remove one memory (and its index entry); false when there was none with
   * that id. Works on a store that is at its `maxBytes` limit: removing the
   * FTS entry needs a few pages, so the limit is lifted for the delete.
   */
  async forget(id: string): Promise<boolean> {
    return this.#run("Forgetting a memory", () => this.#withoutSizeLimit(() => this.#sql.forget.run(id).changes > 0));
  }

  /** Checkpoint the WAL into the main file and close. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
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

  #insert(m: {
    kind: MemoryKind;
    text: string;
    user: string | null;
    answer: string | null;
    importance: number;
    at: Date;
    turnId: string | null;
    interrupted: boolean;
  }): MemoryItem {
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
    this.#db.transaction(() => {
      const { lastInsertRowid } = this.#sql.insert.run({
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
      const over = (this.#sql.count.get() as { n: number }).n - this.maxItems;
      if (over > 0) this.#sql.evict.run(lastInsertRowid, over);
    }).immediate();
    return item;
  }

  #withoutSizeLimit<T>(fn: () => T): T {
    if (this.#maxPages === null) return fn();
    this.#db.pragma("max_page_count = 4294967294");
    try {
      return fn();
    } finally {
      // Cannot go below the current size; SQLite then keeps the current size as the limit.
      this.#db.pragma(`max_page_count = ${this.#maxPages}`);
    }
  }

  #cut(text: string): string {
    return text.length <= this.#maxTextChars ? text : `${text.slice(0, this.#maxTextChars - 1)}…`;
  }

  #run<T>(what: string, fn: () => T): T {
    if (this.#closed) throw new EngineError("storage_error", `${what}: the memory store is closed`);
    try {
      return fn();
    } catch (err) {
      throw toMemoryError(err, what);
    }
  }
}

function prepare(db: Database.Database) {
  const columns = "m.id, m.kind, m.text, m.importance, m.created_at, m.turn_id, m.interrupted";
  return {
    insert: db.prepare(
      `INSERT INTO memories (id, kind, text, user_text, answer, importance, created_at, created_ms, turn_id, interrupted)
       VALUES (@id, @kind, @text, @user_text, @answer, @importance, @created_at, @created_ms, @turn_id, @interrupted)`,
    ),
    count: db.prepare("SELECT count(*) AS n FROM memories"),
    // Retention: least important first, then oldest; never the row just written.
    evict: db.prepare(
      `DELETE FROM memories WHERE seq IN (
         SELECT seq FROM memories WHERE seq != ? ORDER BY importance ASC, created_ms ASC, seq ASC LIMIT ?)`,
    ),
    match: db.prepare(
      `SELECT ${columns}, bm25(memories_fts) AS rank
         FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
        WHERE memories_fts MATCH ?
        ORDER BY rank ASC, m.importance DESC, m.created_ms DESC, m.seq DESC
        LIMIT ?`,
    ),
    list: db.prepare(`SELECT ${columns} FROM memories m ORDER BY m.created_ms DESC, m.seq DESC LIMIT ?`),
    get: db.prepare(`SELECT ${columns} FROM memories m WHERE m.id = ?`),
    forget: db.prepare("DELETE FROM memories WHERE id = ?"),
  };
}

function toItem(row: MemoryRow): MemoryItem {
  return { id: row.id, kind: row.kind, text: row.text, importance: row.importance, createdAt: row.created_at, turnId: row.turn_id, interrupted: row.interrupted === 1 };
}

function toHit(row: MemoryRow & { rank: number }): MemoryHit {
  // bm25() is lower-is-better; flip it so callers see higher-is-better. `+ 0` turns -0 into 0.
  return { item: toItem(row), score: -row.rank + 0 };
}

function checkImportance(value: number): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new TypeError(`importance must be a number from 0 to 1, got ${String(value)}`);
  return value;
}

function checkLimit(limit: number | undefined, fallback = DEFAULT_LIMIT): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`limit must be a positive integer, got ${String(limit)}`);
  return Math.min(limit, MAX_LIMIT);
}
